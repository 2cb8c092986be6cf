show-next-hop -t valid.json --batch nexthop-bad.txt
