test-ip-flows -t valid.json
