list-effective-nsg -t facts-fw-ports.json --nic n1
