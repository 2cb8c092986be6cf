run-configuration-diagnostic -t nsg-diagnostics-fixed.json --nic myvm-nic --queries diag-queries.json
