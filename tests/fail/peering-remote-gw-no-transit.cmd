show-effective-route-table -t peering-remote-gw-no-transit.json --nic nic1
