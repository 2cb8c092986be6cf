test-ip-flow -t {root}/docs/examples/web-app.json --vm nva1 --direction Inbound --protocol TCP --local 10.0.3.4:22 --remote 8.8.8.8:5000
