show-effective-route-table -t valid.json
