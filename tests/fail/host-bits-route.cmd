show-effective-route-table -t host-bits-route.json --nic nic1
