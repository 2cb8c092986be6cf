test-connectivity -t http-status-range.json --source-resource vm --dest-address 10.0.0.9 --dest-port 80
