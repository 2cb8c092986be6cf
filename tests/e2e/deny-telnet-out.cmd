test-ip-flow -t {root}/docs/examples/web-app.json --vm web1 --direction Outbound --protocol TCP --local 10.0.1.4:5000 --remote 8.8.8.8:23
