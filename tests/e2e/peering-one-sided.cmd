show-effective-route-table -t peering-one-sided.json --nic nic1
