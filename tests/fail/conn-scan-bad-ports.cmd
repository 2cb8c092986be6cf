scan-ports -t ../../docs/examples/connectivity.json --source-resource web1 --dest-resource db1 --ports 10-5
