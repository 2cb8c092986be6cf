test-ip-flow -t {root}/docs/examples/hub-spoke.json --vm web1 --direction Inbound --protocol TCP --local 10.1.1.4:22 --remote 192.168.7.7:50000
