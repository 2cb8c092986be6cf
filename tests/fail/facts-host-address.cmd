list-effective-nsg -t facts-host-address.json --nic n1
