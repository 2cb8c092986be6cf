test-connectivity -t {root}/tests/data/paths-stopped.json --source-resource web1 --dest-resource db1 --dest-port 1433 --probes 5 | sed -E 's/(LatencyInMs": )[0-9]+/\1#/'
