list-effective-nsg -t facts-latency-jitter.json --nic n1
