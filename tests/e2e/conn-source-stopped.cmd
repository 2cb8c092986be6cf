test-connectivity -t {root}/tests/data/paths-stopped.json --source-resource db1 --dest-resource web1 --dest-port 443 --probes 5 | sed -E 's/(LatencyInMs": )[0-9]+/\1#/'
