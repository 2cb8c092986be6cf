show-next-hop -t valid.json --vm vm1 --source-ip 10.0.0.9 --dest-ip 8.8.8.8
