test-connectivity -t {root}/tests/data/conn-noforward.json --source-resource web1 --dest-resource db1 --dest-port 1433 --probes 10 | sed -E 's/(LatencyInMs": )[0-9]+/\1#/'
