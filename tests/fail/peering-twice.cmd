show-effective-route-table -t peering-twice.json --nic nic1
