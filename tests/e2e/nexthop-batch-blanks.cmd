show-next-hop -t {root}/docs/examples/routing-example.json --batch nexthop-blanks.txt -o table
