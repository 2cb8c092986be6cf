replay -t {root}/docs/examples/hub-spoke.json --workers 0 -o json --flow-log /dev/stdout ../../pcap-samples/public/zeek__rotation.pcap | cat
