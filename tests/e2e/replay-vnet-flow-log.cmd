replay -t {root}/docs/examples/hub-spoke.json --vnet-flow-log /dev/stderr ../../pcap-samples/hub-spoke.pcap --report /dev/null
