replay -t {root}/docs/examples/hub-spoke.json --workers 0 ../../pcap-samples/public/wireshark__dns+icmp.pcapng.gz
