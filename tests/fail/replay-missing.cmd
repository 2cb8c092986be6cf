replay -t valid.json nothere.pcap
