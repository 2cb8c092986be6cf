show-effective-route-table -t valid.json --nic nic9
