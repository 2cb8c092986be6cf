show-effective-route-table -t peering-remote-gw-own-gw.json --nic nic1
