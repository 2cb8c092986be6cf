run-configuration-diagnostic -t nsg-diagnostics-fixed.json --vm myVM --direction Inbound --protocol '*' --source 10.0.1.0/26 --destination 10.0.0.4 --destination-port '*' -o table
