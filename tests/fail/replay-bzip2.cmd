replay -t valid.json capture.pcap.bz2
