replay -t {root}/docs/examples/hub-spoke.json --workers 0 - < ../../pcap-samples/hub-spoke.pcap
