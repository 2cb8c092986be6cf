test-connectivity -t ../../docs/examples/connectivity.json --source-resource web1 --dest-address http://host:99999/
