test-ip-flow -t import-bare-number-prefix.json --vm vm1 --direction Inbound --protocol TCP --local 10.0.0.9:4444 --remote 0.0.3.21:1000
