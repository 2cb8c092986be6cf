show-next-hop -t valid.json --vm vm1 --source-ip 2001:db8::1 --dest-ip 2001:db8::2
