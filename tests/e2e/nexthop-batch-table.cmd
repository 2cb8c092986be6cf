show-next-hop -t {root}/docs/examples/routing-example.json --batch - -o table < nexthop-queries.txt
