show-next-hop -t {root}/docs/examples/hub-spoke.json --batch hubspoke-queries.txt
