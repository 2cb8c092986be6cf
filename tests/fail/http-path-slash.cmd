test-connectivity -t http-path-slash.json --source-resource vm --dest-address 10.0.0.9 --dest-port 80
