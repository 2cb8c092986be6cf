show-effective-route-table -t {root}/docs/examples/routing-example.json --nic vm2-nic -o table
