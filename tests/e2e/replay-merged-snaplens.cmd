replay -t {root}/docs/examples/hub-spoke.json -o json --workers 0 merged-snaplens.pcapng
