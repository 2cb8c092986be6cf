list-effective-nsg -t facts-fw-default.json --nic n1
