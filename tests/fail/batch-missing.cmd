test-ip-flow -t valid.json --batch nothing-here.txt
