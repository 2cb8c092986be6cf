test-connectivity -t {root}/docs/examples/connectivity.json --source-resource web1 --dest-resource db1 --dest-port 1433 --probes 20 | sed -E 's/(LatencyInMs": )[0-9]+/\1#/'
