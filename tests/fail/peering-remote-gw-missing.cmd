show-effective-route-table -t peering-remote-gw-missing.json --nic nic1
