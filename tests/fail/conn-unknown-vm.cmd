test-connectivity -t ../../docs/examples/connectivity.json --source-resource web9 --dest-resource db1 --dest-port 1433
