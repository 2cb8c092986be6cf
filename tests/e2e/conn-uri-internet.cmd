test-connectivity -t {root}/docs/examples/connectivity.json --source-resource web1 --dest-address https://www.contoso.com/health --probes 10 | sed -E 's/(LatencyInMs": )[0-9]+/\1#/'
