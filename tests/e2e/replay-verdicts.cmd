replay -t {root}/docs/examples/hub-spoke.json --verdicts /dev/stdout ../../pcap-samples/hub-spoke.pcap -o json --report /dev/null
