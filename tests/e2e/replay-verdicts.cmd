replay -t {root}/docs/examples/hub-spoke.json --workers 1 --verdicts /dev/stderr ../../pcap-samples/hub-spoke.pcap -o json
