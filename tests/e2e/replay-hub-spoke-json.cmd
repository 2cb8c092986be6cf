replay -t {root}/docs/examples/hub-spoke.json -o json ../../pcap-samples/hub-spoke.pcap
