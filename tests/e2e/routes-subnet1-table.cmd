show-effective-route-table -t {root}/docs/examples/routing-example.json --nic vm1-nic -o table
