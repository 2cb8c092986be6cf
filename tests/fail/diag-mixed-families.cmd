run-configuration-diagnostic -t diag-net.json --vm myVM --direction Inbound --protocol TCP --source 10.0.1.0/26 --destination fd00::4 --destination-port 22
