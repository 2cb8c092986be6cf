test-ip-flow -t valid.json --batch /dev/zero
