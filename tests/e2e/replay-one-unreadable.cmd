replay -t {root}/docs/examples/hub-spoke.json -o json --workers 0 nothere.pcap ../../pcap-samples/public/zeek__rotation.pcap
