replay -t valid.json --at nic9 ../e2e/cut.pcap
