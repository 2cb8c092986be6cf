show-next-hop -t valid.json --vm vmX --source-ip 10.0.0.4 --dest-ip 8.8.8.8
