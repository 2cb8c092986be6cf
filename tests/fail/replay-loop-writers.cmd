replay -t valid.json --loop 2 --write-allowed /tmp/x.pcap ../e2e/cut.pcap
