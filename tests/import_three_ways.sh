#!/bin/bash
# One network, exported three ways: the quickstart template userdefined-routes-appliance with its
# parameters file (as deployed into subscription 11111111-... and resource group udr-demo), what
# az network vnet/nsg/route-table/nic list and az vm list print for that deployment, and nwsim's
# own format. The same batch of IP flow verify and next hop queries, and the replay of one capture,
# must give byte-identical answers whichever way the network came, and equal
# tests/import/three-ways/expected.out.
#   usage: import_three_ways.sh NWSIM PROJECT-ROOT [--regen]
set -u
nwsim=$(realpath "$1")
root=$(realpath "$2")
dir=$root/tests/import/three-ways
qs=$root/tests/import/quickstarts/userdefined-routes-appliance
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$dir" || exit 1
forms=(template az nwsim)
topo_template=(-t "$qs/azuredeploy.json" --parameters "$qs/azuredeploy.parameters.json"
	--subscription 11111111-2222-3333-4444-555555555555 --resource-group udr-demo)
topo_az=(-t az/vnets.json -t az/nsgs.json -t az/route-tables.json -t az/nics.json -t az/vms.json)
topo_nwsim=(-t nwsim.json)
fail=0
for f in "${forms[@]}"; do
	declare -n topo="topo_$f"
	{
		"$nwsim" test-ip-flow "${topo[@]}" --batch ip-flow-queries.txt &&
			"$nwsim" show-next-hop "${topo[@]}" --batch next-hop-queries.txt &&
			"$nwsim" replay "${topo[@]}" capture.pcap
	} >"$tmp/$f.out" 2>"$tmp/$f.err"
	rc=$?
	if [ $rc != 0 ]; then
		echo "FAIL $f: exit status $rc:" >&2
		cat "$tmp/$f.err" >&2
		fail=1
	fi
	unset -n topo
done
[ $fail = 0 ] || exit 1
for f in az nwsim; do
	if ! cmp -s "$tmp/template.out" "$tmp/$f.out"; then
		echo "FAIL: the answers from the $f export differ from the template's:" >&2
		diff -u "$tmp/template.out" "$tmp/$f.out" >&2
		fail=1
	fi
done
[ $fail = 0 ] || exit 1
if [ "${3:-}" = --regen ]; then
	cp "$tmp/template.out" expected.out
elif ! diff -u expected.out "$tmp/template.out"; then
	echo "FAIL: the three agree, but not with expected.out" >&2
	exit 1
fi
echo "template, az lists and nwsim's format: the same $(wc -l <"$tmp/template.out") lines of answers"
