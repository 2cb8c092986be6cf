replay -t valid.json
