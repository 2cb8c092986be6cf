test-connectivity -t {root}/docs/examples/connectivity.json --source-resource db1 --dest-address 192.168.10.20 --dest-port 8080 --probes 10 | sed -E 's/(LatencyInMs": )[0-9]+/\1#/'
