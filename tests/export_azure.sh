#!/bin/bash
# scripts/export-azure.sh against a stand-in for az that records what it is asked and answers
# as az does for an empty resource group: the files written, the commands run, and what nwsim
# makes of the folder. Also: no az, az not logged in, no resource group.
#   usage: export_azure.sh NWSIM PROJECT-ROOT
set -u
nwsim=$(realpath "$1")
root=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir "$tmp/bin"
cat >"$tmp/bin/az" <<'AZ'
#!/bin/bash
echo "az $*" >>"$AZ_LOG"
case "$*" in
"account show"*) [ -n "${AZ_LOGGED_OUT:-}" ] && exit 1; echo '{}' ;;
"group show"*) echo westeurope ;;
"network list-service-tags"*) echo '{"changeNumber": 1, "cloud": "Public", "values": [{"name": "Storage", "id": "Storage", "properties": {"addressPrefixes": ["20.60.0.0/16"]}}]}' ;;
*) echo '[]' ;;
esac
AZ
chmod +x "$tmp/bin/az"
export AZ_LOG=$tmp/az.log
script=$root/scripts/export-azure.sh

PATH=$tmp/bin:$PATH "$script" -o "$tmp/out" rg1 rg2 2>"$tmp/err" || fail "export: exit $?: $(cat "$tmp/err")"
per_group() {
	for k in "network vnet" "network nsg" "network route-table" "network nic" vm "network asg" "network vnet-gateway" \
		"network local-gateway"; do
		echo "az $k list -g $1 -o json"
	done
}
want=$(echo "az account show"; per_group rg1; echo "az group show -n rg1 --query location -o tsv"; per_group rg2
	echo "az network list-service-tags --location westeurope -o json")
[ "$(cat "$AZ_LOG")" = "$want" ] || { diff <(echo "$want") "$AZ_LOG"; fail "the az commands differ"; }
[ "$(ls "$tmp/out" | wc -l)" = 17 ] || fail "expected 17 files, got: $(ls "$tmp/out")"
# An empty export is a network with nothing in it, read without complaint.
"$nwsim" topology -o dot $(printf -- '-t %s ' "$tmp"/out/*.json) >"$tmp/dot" 2>"$tmp/err" ||
	fail "nwsim on the export: $(cat "$tmp/err")"
grep -q '^digraph topology' "$tmp/dot" || fail "no drawing"

: >"$AZ_LOG"
if ! PATH=/usr/bin:/bin command -v az >/dev/null; then
	PATH=/usr/bin:/bin "$script" rg1 >/dev/null 2>"$tmp/err"
	[ $? = 1 ] && grep -q "the Azure CLI (az) is not installed" "$tmp/err" || fail "without az: $(cat "$tmp/err")"
fi
AZ_LOGGED_OUT=1 PATH=$tmp/bin:$PATH "$script" rg1 >/dev/null 2>"$tmp/err"
[ $? = 1 ] && grep -q "az login" "$tmp/err" || fail "logged out: $(cat "$tmp/err")"
PATH=$tmp/bin:$PATH "$script" >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q "^usage:" "$tmp/err" || fail "no group: $(cat "$tmp/err")"
echo "export-azure.sh: 19 az commands for two groups, 17 files that nwsim reads; refusals checked"
