show-effective-route-table -t host-bits-subnet.json --nic nic1
