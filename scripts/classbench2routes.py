#!/usr/bin/env python3
"""Turn a ClassBench filter set into a route table, plus next hop queries against it.

The destination prefixes of the filters become user-defined routes of one subnet's route table
(duplicates dropped), next hop types cycling through VirtualAppliance, VnetLocal, Internet, None
and VirtualNetworkGateway. Queries ask for destinations inside random routes, and anywhere.

usage: classbench2routes.py RULES TOPOLOGY.json QUERIES.txt N-QUERIES [SEED]
"""
import ipaddress
import json
import random
import sys

import classbench

TYPES = ["VirtualAppliance", "VnetLocal", "Internet", "None", "VirtualNetworkGateway"]


def main():
    rules_path, topo_path, q_path, nq = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    prefixes = []
    seen = set()
    for f in classbench.read(rules_path):
        net = f.dst
        if net.prefixlen == 0 or net in seen:
            continue
        seen.add(net)
        prefixes.append(net)
    routes = []
    for i, net in enumerate(prefixes):
        r = {"name": "r%05d" % i, "addressPrefix": str(net), "nextHopType": TYPES[i % len(TYPES)]}
        if r["nextHopType"] == "VirtualAppliance":
            r["nextHopIpAddress"] = "10.0.1.%d" % (4 + i % 200)
        routes.append(r)
    topo = {
        "virtualNetworks": [{"name": "bench", "addressSpace": ["10.0.0.0/16"],
                             "subnets": [{"name": "s", "addressPrefix": "10.0.0.0/24", "routeTable": "rt-classbench"},
                                         {"name": "nva", "addressPrefix": "10.0.1.0/24"}],
                             "gateway": {"name": "gw", "publicIpAddress": "20.1.2.3",
                                         "localNetworks": [{"name": "onprem", "addressPrefixes": ["192.168.0.0/16"]}]}}],
        "routeTables": [{"name": "rt-classbench", "routes": routes}],
        "virtualMachines": [{"name": "vm1", "networkInterfaces": [
            {"name": "vm1-nic", "subnet": "s", "privateIpAddress": "10.0.0.4"}]}],
    }
    with open(topo_path, "w") as f:
        json.dump(topo, f, indent=1)
    with open(q_path, "w") as f:
        for _ in range(nq):
            if rng.random() < 0.8:
                net = prefixes[rng.randrange(len(prefixes))]
                ip = net.network_address + rng.randrange(net.num_addresses)
            else:
                ip = ipaddress.IPv4Address(rng.getrandbits(32))
            f.write("--vm vm1 --source-ip 10.0.0.4 --dest-ip %s\n" % ip)
    print("%s: %d routes; %s: %d queries" % (topo_path, len(routes), q_path, nq))


if __name__ == "__main__":
    main()
