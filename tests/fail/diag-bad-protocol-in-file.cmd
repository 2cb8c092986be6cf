run-configuration-diagnostic -t diag-net.json --vm myVM --queries diag-bad-queries.json
