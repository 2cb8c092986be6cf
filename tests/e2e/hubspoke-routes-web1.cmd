show-effective-route-table -t {root}/docs/examples/hub-spoke.json --nic web1-nic -o table
