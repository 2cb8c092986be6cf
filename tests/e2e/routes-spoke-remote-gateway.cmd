show-effective-route-table -t {root}/docs/examples/routing-example.json --nic vm3-nic -o table
