test-connectivity -t {root}/docs/examples/connectivity.json --source-resource web1 --source-port 50000 --dest-resource db1 --dest-port 1433 --probes 10 | sed -E 's/(LatencyInMs": )[0-9]+/\1#/'
