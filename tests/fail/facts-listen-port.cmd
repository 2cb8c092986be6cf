list-effective-nsg -t facts-listen-port.json --nic n1
