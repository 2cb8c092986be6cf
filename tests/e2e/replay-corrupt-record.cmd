replay -t {root}/docs/examples/hub-spoke.json --workers 0 corrupt-caplen.pcap
