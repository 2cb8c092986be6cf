show-effective-route-table -t gateway-base.json -t gateway-az.json --nic nic1 -o table
