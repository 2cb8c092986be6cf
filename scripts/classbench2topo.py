#!/usr/bin/env python3
"""Turn a ClassBench filter set into an nwsim topology, plus IP flow verify queries that hit it.

The rules become Inbound NSG rules of one NIC's NSG, in file order (priority 100, 101, ...):
source prefix, source and destination port ranges and protocol come from the filter; the
destination is '*' (the NIC itself); every third rule denies. Queries pick a random rule and a
packet inside it, so they land all over the rule list.

usage: classbench2topo.py RULES TOPOLOGY.json QUERIES.txt N-QUERIES [SEED]
"""
import json
import random
import sys

import classbench

PROTO = {0x06: "Tcp", 0x11: "Udp", 0x01: "Icmp", 0x32: "Esp", 0x33: "Ah"}


def parse(path):
    rules = []
    for f in classbench.read(path):
        proto = "*" if f.proto_mask == 0 else PROTO.get(f.proto)
        if proto is None:
            continue  # a protocol NSGs cannot name
        rules.append((f.src, f.sport, f.dport, proto))
    return rules


def port_text(r):
    if r == (0, 65535):
        return "*"
    return str(r[0]) if r[0] == r[1] else "%d-%d" % r


def main():
    rules_path, topo_path, q_path, nq = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    rules = parse(rules_path)[: 4096 - 100 + 1]
    sec = []
    for i, (src, sp, dp, proto) in enumerate(rules):
        sec.append({"name": "cb%04d" % i, "priority": 100 + i, "direction": "Inbound",
                    "access": "Deny" if i % 3 == 2 else "Allow", "protocol": proto,
                    "sourceAddressPrefix": str(src), "sourcePortRange": port_text(sp),
                    "destinationAddressPrefix": "*", "destinationPortRange": port_text(dp)})
    topo = {
        "virtualNetworks": [{"name": "bench", "addressSpace": ["10.0.0.0/16"],
                             "subnets": [{"name": "s", "addressPrefix": "10.0.0.0/24"}]}],
        "networkSecurityGroups": [{"name": "nsg-classbench", "securityRules": sec}],
        "virtualMachines": [{"name": "vm1", "networkInterfaces": [
            {"name": "vm1-nic", "subnet": "s", "privateIpAddress": "10.0.0.4",
             "networkSecurityGroup": "nsg-classbench"}]}],
    }
    with open(topo_path, "w") as f:
        json.dump(topo, f, indent=1)
    with open(q_path, "w") as f:
        for _ in range(nq):
            src, sp, dp, proto = rules[rng.randrange(len(rules))]
            ip = src.network_address + rng.randrange(src.num_addresses)
            p = {"Tcp": "TCP", "Udp": "UDP"}.get(proto, rng.choice(["TCP", "UDP"]))
            f.write("--vm vm1 --direction Inbound --protocol %s --local 10.0.0.4:%d --remote %s:%d\n"
                    % (p, rng.randint(*dp), ip, rng.randint(*sp)))
    print("%s: %d rules; %s: %d queries" % (topo_path, len(rules), q_path, nq))


if __name__ == "__main__":
    main()
