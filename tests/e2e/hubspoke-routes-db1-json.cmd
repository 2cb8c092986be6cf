show-effective-route-table -t {root}/docs/examples/hub-spoke.json --nic db1-nic
