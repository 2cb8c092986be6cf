show-effective-route-table -t strict-v6-v4-rule.json --nic nic1
