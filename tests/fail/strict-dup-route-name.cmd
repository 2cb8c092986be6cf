show-effective-route-table -t strict-dup-route-name.json --nic nic1
