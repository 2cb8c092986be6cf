test-ip-flow -t {root}/docs/examples/hub-spoke.json --vm db1 --direction Inbound --protocol TCP --local 10.2.1.4:1433 --remote 10.1.1.4:50000
