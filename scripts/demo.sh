#!/bin/bash
# Builds nwsim (installing missing Debian packages first) and runs it on the bundled examples:
# docs/examples/web-app.json (a web tier, an app tier behind ASGs, a peered shared-services
# network) for IP flow verify, and docs/examples/hub-spoke.json (a hub with a firewall appliance
# and a VPN gateway, two spokes, a blackhole route) for next hop.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
nwsim_deps
if [ ! -d build ]; then
	meson setup build -Dtests=false >/dev/null
fi
ninja -C build >/dev/null
nwsim=build/control/nwsim
topo=docs/examples/web-app.json

show() {
	echo
	echo "\$ nwsim $*"
	"$nwsim" "$@"
}

echo "IP flow verify against $topo"
show test-ip-flow -t "$topo" --vm web1 --direction Inbound --protocol TCP \
	--local 10.0.1.4:443 --remote 13.107.21.200:50000
show test-ip-flow -t "$topo" --vm web1 --direction Inbound --protocol TCP \
	--local 10.0.1.4:22 --remote 198.51.100.8:50000 -o table
show test-ip-flow -t "$topo" --vm web1 --direction Outbound --protocol TCP \
	--local 10.0.1.4:5000 --remote 8.8.8.8:23 -o table
show test-ip-flow -t "$topo" --vm app1 --direction Inbound --protocol UDP \
	--local 10.0.2.4:8080 --remote 10.0.1.4:5000 -o table
echo
echo "\$ nwsim test-ip-flow -t $topo --batch docs/examples/web-app-queries.txt"
"$nwsim" test-ip-flow -t "$topo" --batch docs/examples/web-app-queries.txt
show list-effective-nsg -t "$topo" --nic app1-nic -o table

hub=docs/examples/hub-spoke.json
echo
echo "Next hop against $hub"
show show-effective-route-table -t "$hub" --nic web1-nic -o table
show show-next-hop -t "$hub" --vm web1 --source-ip 10.1.1.4 --dest-ip 10.2.1.4
echo
echo "\$ nwsim show-next-hop -t $hub --batch docs/examples/hub-spoke-queries.txt -o table"
"$nwsim" show-next-hop -t "$hub" --batch docs/examples/hub-spoke-queries.txt -o table

echo
echo "Replaying pcap-samples/hub-spoke.pcap through $hub"
show replay -t "$hub" pcap-samples/hub-spoke.pcap
