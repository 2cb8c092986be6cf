replay -t {root}/docs/examples/hub-spoke.json cut.pcap
