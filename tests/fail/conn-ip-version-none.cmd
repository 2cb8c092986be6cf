test-connectivity -t {root}/docs/examples/connectivity.json --source-resource web1 --dest-resource db1 --dest-port 22 --preferred-ip-version IPv6
