list-effective-nsg -t facts-listen-proto.json --nic n1
