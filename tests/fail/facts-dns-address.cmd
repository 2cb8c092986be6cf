list-effective-nsg -t facts-dns-address.json --nic n1
