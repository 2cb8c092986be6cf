show-security-group-view -t nsg-diagnostics-fixed.json --vm myVM
