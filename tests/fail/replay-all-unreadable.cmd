replay -t valid.json --verdicts verdicts-not-made.jsonl --flow-log flowlog-not-made.json nothere.pcap notpcap.pcap
