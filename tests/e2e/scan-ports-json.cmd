scan-ports -t {root}/docs/examples/connectivity.json --source-resource web1 --dest-resource db1 --ports 20-25,1433,3306
