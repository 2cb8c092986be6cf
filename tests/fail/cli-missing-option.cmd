test-ip-flow -t valid.json --vm vm1 --protocol TCP --local 10.0.0.4:80 --remote 8.8.8.8:1000
