replay -t valid.json archaic.pcap
