replay -t valid.json --loop 0 ../e2e/cut.pcap
