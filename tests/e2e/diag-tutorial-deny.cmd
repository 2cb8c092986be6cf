run-configuration-diagnostic -t nsg-diagnostics.json --vm myVM --direction Inbound --protocol '*' --source 10.0.1.0/26 --destination 10.0.0.4 --destination-port '*'
