test-ip-flow -t duplicate-ip-first.json --vm vm-a --direction Inbound --protocol TCP --local 10.0.0.5:80 --remote 8.8.8.8:1000
