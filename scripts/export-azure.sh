#!/bin/bash
# Exports what nwsim needs of one or more resource groups with the Azure CLI, into a folder of
# JSON files that nwsim reads as they are:
#   scripts/export-azure.sh [-o DIR] [--location REGION] [--no-service-tags] RESOURCE-GROUP...
#   nwsim test-ip-flow -t DIR/*.json ...        (every file of DIR, in any order)
# Needs `az` logged in (az login) with read access to the groups. Writes, per resource group RG:
#   RG.vnets.json  RG.nsgs.json  RG.route-tables.json  RG.nics.json  RG.vms.json  RG.asgs.json
#   RG.gateways.json  RG.local-gateways.json
# and, once, service-tags.json (az network list-service-tags for REGION: the addresses of tags
# such as Storage or AzureCloud that rules name). The files are az's own output, untouched.
set -euo pipefail

out=azure-export
location=
tags=1
groups=()
while [ $# -gt 0 ]; do
	case $1 in
	-o | --output-dir) out=$2; shift 2 ;;
	--location) location=$2; shift 2 ;;
	--no-service-tags) tags=0; shift ;;
	-h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "export-azure.sh: unknown option '$1'" >&2; exit 2 ;;
	*) groups+=("$1"); shift ;;
	esac
done
if [ ${#groups[@]} -eq 0 ]; then
	echo "usage: export-azure.sh [-o DIR] [--location REGION] [--no-service-tags] RESOURCE-GROUP..." >&2
	exit 2
fi
command -v az >/dev/null || { echo "export-azure.sh: the Azure CLI (az) is not installed" >&2; exit 1; }
az account show >/dev/null 2>&1 || { echo "export-azure.sh: az is not logged in: run az login" >&2; exit 1; }
mkdir -p "$out"

# One az command per kind of resource nwsim reads; lists, so an empty group gives [].
export_group() {
	local rg=$1
	az network vnet list -g "$rg" -o json >"$out/$rg.vnets.json"
	az network nsg list -g "$rg" -o json >"$out/$rg.nsgs.json"
	az network route-table list -g "$rg" -o json >"$out/$rg.route-tables.json"
	az network nic list -g "$rg" -o json >"$out/$rg.nics.json"
	az vm list -g "$rg" -o json >"$out/$rg.vms.json"
	az network asg list -g "$rg" -o json >"$out/$rg.asgs.json"
	az network vnet-gateway list -g "$rg" -o json >"$out/$rg.gateways.json"
	az network local-gateway list -g "$rg" -o json >"$out/$rg.local-gateways.json"
}

for rg in "${groups[@]}"; do
	echo "export-azure.sh: $rg" >&2
	export_group "$rg"
	[ -n "$location" ] || location=$(az group show -n "$rg" --query location -o tsv)
done
if [ $tags = 1 ]; then
	az network list-service-tags --location "$location" -o json >"$out/service-tags.json"
fi
echo "export-azure.sh: wrote $(ls "$out" | wc -l) files to $out/: nwsim COMMAND -t '$out'/*.json ..." >&2
