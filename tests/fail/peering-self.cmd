show-effective-route-table -t peering-self.json --nic nic1
