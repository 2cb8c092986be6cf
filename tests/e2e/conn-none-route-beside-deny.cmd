test-connectivity -t {root}/tests/e2e/conn-today.json --source-resource VM1 --dest-address 10.0.9.7 --dest-port 8080 --probes 5
