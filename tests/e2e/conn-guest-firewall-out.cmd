test-connectivity -t {root}/docs/examples/connectivity.json --source-resource web1 --dest-address 203.0.113.9 --dest-port 443 --probes 10 | sed -E 's/(LatencyInMs": )[0-9]+/\1#/'
