list-effective-nsg -t asg-rule-two-vnets.json --nic nic1
