test-ip-flow -t {root}/docs/examples/web-app.json --vm app1 --direction Inbound --protocol TCP --local 10.0.2.4:8080 --remote 10.0.1.4:5000
