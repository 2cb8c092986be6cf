test-ip-flow -t valid.json --batch batch-bad.txt --strict
