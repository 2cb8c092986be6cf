test-connectivity -t ../../docs/examples/connectivity.json --source-resource web1 --dest-resource db1
