replay -t {root}/docs/examples/hub-spoke.json ../../pcap-samples/hub-spoke.pcap
