list-effective-nsg -t trailing.json --nic nic1
