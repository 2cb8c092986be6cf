show-effective-route-table -t gateway-bad-type.json --nic nic1
