list-effective-nsg -t {root}/docs/examples/web-app.json --nic web1-nic
