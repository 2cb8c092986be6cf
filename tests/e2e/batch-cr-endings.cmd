test-ip-flow -t {root}/docs/examples/web-app.json --batch batch-cr.txt
