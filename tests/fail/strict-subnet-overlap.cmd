show-effective-route-table -t strict-subnet-overlap.json --nic nic1
