replay -t valid.json --rate 0 ../e2e/cut.pcap
