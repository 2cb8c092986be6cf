show-next-hop -t {root}/docs/examples/routing-example.json --vm vm1 --nic vm1-nic --source-ip=10.0.0.4 --dest-ip=10.0.0.77
