show-security-group-view -t {root}/docs/examples/web-app.json --vm web1 -o table
