test-connectivity -t ../../docs/examples/connectivity.json --source-resource web1 --dest-address 2001:db8::1 --dest-port 80
