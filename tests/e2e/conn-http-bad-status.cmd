test-connectivity -t {root}/tests/e2e/conn-today.json --source-resource VM1 --dest-address http://10.0.0.5/health --protocol Http --probes 5
