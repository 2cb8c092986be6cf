show-next-hop -t {root}/docs/examples/routing-example.json --vm vm2 --source-ip 10.0.1.4 --dest-ip 10.10.3.3
