test-connectivity -t {root}/tests/e2e/conn-today.json --source-resource VM1 --dest-resource VM2 --protocol Http --method Post
