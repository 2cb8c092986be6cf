replay -t valid.json bad-bom.pcapng
