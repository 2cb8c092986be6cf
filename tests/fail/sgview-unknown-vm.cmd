show-security-group-view -t diag-net.json --vm nosuch
