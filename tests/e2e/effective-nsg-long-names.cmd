list-effective-nsg -t long-names.json --nic web1-nic -o table
