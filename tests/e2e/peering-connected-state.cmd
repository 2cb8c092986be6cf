show-effective-route-table -t peering-connected-state.json --nic nic1 -o table
