list-effective-nsg -t facts-cpu-range.json --nic n1
