test-connectivity -t {root}/tests/e2e/conn-today.json --source-resource VM1 --dest-address www.contoso.com --protocol Https --path /nothing --probes 5 -o table
