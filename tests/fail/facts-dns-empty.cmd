list-effective-nsg -t facts-dns-empty.json --nic n1
