show-next-hop -t {root}/docs/examples/web-app.json --batch - -o table < nexthop-bad-lines.txt
