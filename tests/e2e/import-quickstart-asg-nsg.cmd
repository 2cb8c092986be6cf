list-effective-nsg -t {root}/tests/import/quickstarts/application-security-group/azuredeploy.json --parameter adminUsername=azureuser --parameter adminPasswordOrKey=unused --nic VM-NIC
