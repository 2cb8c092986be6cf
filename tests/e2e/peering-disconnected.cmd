show-effective-route-table -t peering-disconnected.json --nic nic1
