test-connectivity -t {root}/tests/e2e/conn-today.json --source-resource VM3 --dest-resource VM1 --dest-port 22 --probes 5 -o table
