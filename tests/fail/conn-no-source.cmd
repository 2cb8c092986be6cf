test-connectivity -t ../../docs/examples/connectivity.json --dest-resource db1 --dest-port 1433
