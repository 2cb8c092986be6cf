test-ip-flow -t valid.json --vm vm1 --direction Inbound --protocol TCP --local 10.0.0.4:80 --remote 1.2.3.4:1000 -o json -- --bogus
