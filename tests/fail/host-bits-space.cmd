show-effective-route-table -t host-bits-space.json --nic nic1
