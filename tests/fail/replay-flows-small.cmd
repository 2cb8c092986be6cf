replay -t valid.json --flows 10 ../e2e/cut.pcap
