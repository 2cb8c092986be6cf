list-effective-nsg -t valid.json
