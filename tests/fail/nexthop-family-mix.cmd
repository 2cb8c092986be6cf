show-next-hop -t valid.json --vm vm1 --source-ip 10.0.0.4 --dest-ip 2001:db8::1
