test-connectivity -t ../../docs/examples/connectivity.json --source-resource web1 --dest-resource db1 --dest-address 1.2.3.4 --dest-port 1433
