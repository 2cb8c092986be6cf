show-next-hop -t {root}/docs/examples/routing-example.json --vm vm1 --source-ip 10.0.0.4 --dest-ip 8.8.8.8
