replay -t {root}/docs/examples/hub-spoke.json --loop 1000 ../../pcap-samples/hub-spoke.pcap
