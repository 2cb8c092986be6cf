test-connectivity -t {root}/tests/e2e/conn-today.json --source-resource VM1 --dest-resource VM2 --dest-port 22 --valid-status-codes 200
