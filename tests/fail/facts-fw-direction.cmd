list-effective-nsg -t facts-fw-direction.json --nic n1
