show-effective-route-table -t strict-nic-shadow.json --nic nic1
