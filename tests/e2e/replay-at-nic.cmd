replay -t {root}/docs/examples/hub-spoke.json --at db1-nic -o json ../../pcap-samples/hub-spoke.pcap
