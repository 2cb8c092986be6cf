test-ip-flow -t {root}/docs/examples/web-app.json --vm web1 --direction Inbound --protocol TCP --local 10.0.1.4:* --remote 13.107.21.200:*
