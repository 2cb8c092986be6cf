show-effective-route-table -t strict-peer-overlap.json --nic nic1
