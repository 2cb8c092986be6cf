scan-ports -t {root}/docs/examples/connectivity.json --source-resource db1 --dest-resource web1 --ports 1-1024 -o table
