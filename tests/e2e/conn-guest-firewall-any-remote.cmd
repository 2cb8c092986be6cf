test-connectivity -t guest-fw-any.json --source-resource db1 --dest-resource web1 --dest-port 22 --probes 4 -o table
