list-effective-nsg -t facts-inuse-fraction.json --nic n1
