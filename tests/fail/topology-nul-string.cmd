list-effective-nsg -t nul-string.json --nic nic1
