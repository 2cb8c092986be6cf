run-configuration-diagnostic -t diag-net.json --vm myVM --direction Inbound --protocol TCP --source 10.0.1.0/26 --destination 10.0.0.4 --destination-port 70000
