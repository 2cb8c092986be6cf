test-ip-flow -t import-template.json --parameter vnetName --vm vm1 --direction Inbound --protocol TCP --local 10.0.0.4:80 --remote 8.8.8.8:1000
