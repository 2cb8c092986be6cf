list-effective-nsg -t {root}/docs/examples/web-app.json --nic nva1-nic
