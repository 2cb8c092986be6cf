test-connectivity -t {root}/docs/examples/connectivity.json --source-resource web1 --dest-address 10.1.99.5 --dest-port 80 --probes 10 | sed -E 's/(LatencyInMs": )[0-9]+/\1#/'
