test-connectivity -t {root}/docs/examples/connectivity.json --source-resource web1 --dest-resource dns1 --protocol Icmp --probes 10 | sed -E 's/(LatencyInMs": )[0-9]+/\1#/'
