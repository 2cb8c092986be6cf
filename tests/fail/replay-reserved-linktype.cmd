replay -t valid.json reserved-linktype.pcap
