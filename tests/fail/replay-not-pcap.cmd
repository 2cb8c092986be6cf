replay -t valid.json notpcap.pcap
