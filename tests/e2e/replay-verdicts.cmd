replay -t {root}/docs/examples/hub-spoke.json --verdicts /dev/stderr ../../pcap-samples/hub-spoke.pcap -o json
