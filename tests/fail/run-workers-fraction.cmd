run -t valid.json --workers 2.5 -- --no-pci --vdev net_null0
