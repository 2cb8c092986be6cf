test-ip-flow -t - --vm web1 --direction Inbound --protocol TCP --local 10.0.1.4:443 --remote 13.107.21.200:50000 < {root}/docs/examples/web-app.json
