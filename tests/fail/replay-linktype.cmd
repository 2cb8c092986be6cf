replay -t valid.json wifi.pcap
