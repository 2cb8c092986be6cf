test-connectivity -t {root}/docs/examples/connectivity.json --source-resource web1 --dest-address api.contoso.com --dest-port 443 --probes 10 | sed -E 's/(LatencyInMs": )[0-9]+/\1#/'
