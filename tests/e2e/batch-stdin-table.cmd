test-ip-flow -t {root}/docs/examples/web-app.json --batch - -o table < batch.txt
