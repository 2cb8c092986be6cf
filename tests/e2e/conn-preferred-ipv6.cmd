test-connectivity -t {root}/tests/e2e/conn-today.json --source-resource VM1 --dest-resource VM2 --dest-port 22 --preferred-ip-version IPv6 --probes 5 | sed -E 's/(LatencyInMs": )[0-9]+/\1#/'
