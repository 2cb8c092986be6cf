list-effective-nsg -t facts-listen-port-huge.json --nic n1
