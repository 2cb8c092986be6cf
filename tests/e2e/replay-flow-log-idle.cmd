replay -t {root}/docs/examples/hub-spoke.json --flow-log /dev/stderr idle.pcap
