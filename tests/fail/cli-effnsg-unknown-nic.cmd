list-effective-nsg -t valid.json --nic nic9
