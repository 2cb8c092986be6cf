list-effective-nsg -t {root}/docs/examples/web-app.json --nic app1-nic -o table
