test-ip-flow -t {root}/docs/examples/web-app.json --vm web1 --direction Inbound --protocol ICMP --local 10.0.1.4 --remote 10.10.0.4
