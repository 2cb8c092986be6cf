replay -t valid.json -o json --workers 0 bad-block.pcapng
