#!/usr/bin/env python3
"""Generate a hub-and-spoke network in nwsim's topology format, seeded, sized by flags.

The hub holds a firewall appliance (10.0.1.4) and a shared-services subnet; every spoke peers with
the hub both ways. Each spoke subnet has its own route table (the default route and the other
spokes through the appliance, a blackholed range, more specific UDRs) and its own NSG of --rules
rules (service tags, prefixes and prefix lists, application security groups, port ranges and
lists, IPv6 with --ipv6), or, with --shared-nsgs N, one of N NSGs shared by all subnets.

  gen-topology.py --spokes 100 --subnets 2 --rules 100 --vms 2 --seed 1 -o big.json
  gen-topology.py --spokes 1000 --subnets 1 --rules 1000 --shared-nsgs 1 -o shared.json

--queries FILE and --next-hop-queries FILE also write --batch files of test-ip-flow and
show-next-hop queries about random NICs, and --flows FILE a list "src dst proto sport dport" of flows between NICs and the internet
(what scripts/bench.sh --scale turns into a capture).
"""
import argparse
import ipaddress
import json
import random
import socket
import struct
import sys

TAGS = ["VirtualNetwork", "Internet", "AzureLoadBalancer", "*"]
PROTOS = ["Tcp", "Udp", "*", "Icmp"]


def spoke_net(i):
    """Spoke i (1..4095): a /20 of 10.0.0.0/8 above the hub's 10.0.0.0/16."""
    base = (10 << 24) + (1 << 16) + (i - 1) * 4096
    return ipaddress.ip_network((base, 20))


def subnet_of(i, k):
    return ipaddress.ip_network((int(spoke_net(i).network_address) + k * 256, 24))


def v6_subnet(i, k):
    return ipaddress.ip_network("fd00:%x:0:%x::/64" % (i, k))


def ports(rng):
    r = rng.random()
    if r < 0.3:
        return {"destinationPortRange": "*"}
    if r < 0.6:
        return {"destinationPortRange": str(rng.choice([22, 80, 443, 1433, 3389, 5432, 8080]))}
    if r < 0.85:
        lo = rng.randrange(1024, 60000)
        return {"destinationPortRange": "%d-%d" % (lo, lo + rng.randrange(1, 2000))}
    return {"destinationPortRanges": sorted({str(rng.randrange(1, 65536)) for _ in range(rng.randrange(2, 5))})}


def side(rng, args, spokes, asgs, which, v6):
    """One side of a rule: a tag, a prefix, a prefix list, or application security groups."""
    r = rng.random()
    if v6:
        i = rng.randrange(1, spokes + 1)
        return {which + "AddressPrefix": str(v6_subnet(i, rng.randrange(args.subnets)))}
    if r < 0.35:
        return {which + "AddressPrefix": rng.choice(TAGS)}
    if r < 0.65:
        i = rng.randrange(1, spokes + 1)
        net = subnet_of(i, rng.randrange(args.subnets))
        return {which + "AddressPrefix": str(net)}
    if r < 0.8:
        out = set()
        for _ in range(rng.randrange(2, 6)):
            a = rng.randrange(1, 223) << 24 | rng.randrange(1 << 24)
            out.add(str(ipaddress.ip_network((a, rng.choice([16, 24, 28, 32])), strict=False)))
        return {which + "AddressPrefixes": sorted(out)}
    if asgs and r < 0.9:
        return {which + "ApplicationSecurityGroups": rng.sample(asgs, min(len(asgs), rng.randrange(1, 3)))}
    return {which + "AddressPrefix": "*"}


def nsg(rng, args, name, nrules, spokes, asgs):
    rules, used = [], {"Inbound": set(), "Outbound": set()}
    for n in range(nrules):
        d = "Inbound" if n % 2 == 0 else "Outbound"
        prio = rng.randrange(100, 4097)
        while prio in used[d]:
            prio = rng.randrange(100, 4097)
        used[d].add(prio)
        v6 = args.ipv6 and rng.random() < args.ipv6
        rule = {"name": "r%d" % n, "priority": prio, "direction": d,
                "access": "Allow" if rng.random() < 0.6 else "Deny",
                "protocol": rng.choice(PROTOS), "sourcePortRange": "*"}
        rule.update(side(rng, args, spokes, asgs, "source", v6))
        rule.update(side(rng, args, spokes, asgs, "destination", v6))
        rule.update(ports(rng))
        rules.append(rule)
    return {"name": name, "securityRules": rules}


def route_table(rng, args, name, i, spokes):
    routes = [{"name": "default-via-fw", "addressPrefix": "0.0.0.0/0",
               "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.1.4"}]
    others = rng.sample(range(1, spokes + 1), min(spokes, args.routes))
    for j in others:
        if j != i:
            routes.append({"name": "spoke%d-via-fw" % j, "addressPrefix": str(spoke_net(j)),
                           "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.1.4"})
    routes.append({"name": "blackhole", "addressPrefix": "192.0.2.0/24", "nextHopType": "None"})
    routes.append({"name": "internet-direct", "addressPrefix": "203.0.113.0/24", "nextHopType": "Internet"})
    return {"name": name, "routes": routes}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spokes", type=int, default=10)
    ap.add_argument("--subnets", type=int, default=2, help="subnets a spoke (1..16)")
    ap.add_argument("--rules", type=int, default=20, help="rules an NSG")
    ap.add_argument("--vms", type=int, default=1, help="VMs a subnet")
    ap.add_argument("--routes", type=int, default=4, help="UDRs to other spokes a route table")
    ap.add_argument("--shared-nsgs", type=int, default=0, help="N NSGs shared by all subnets instead of one each")
    ap.add_argument("--asgs", type=int, default=2, help="application security groups a spoke (Azure keeps an ASG's members in one network)")
    ap.add_argument("--ipv6", type=float, default=0.0, help="share of rules on IPv6 (spokes become dual-stack)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", default="-")
    ap.add_argument("--queries", help="also write a test-ip-flow --batch file")
    ap.add_argument("--next-hop-queries", help="also write a show-next-hop --batch file")
    ap.add_argument("--flows", help="also write flows, one 'src dst proto sport dport' a line")
    ap.add_argument("--nqueries", type=int, default=1000)
    ap.add_argument("--pcap", help="also write a capture of --packets packets over --pcap-flows flows between NICs and the internet")
    ap.add_argument("--packets", type=int, default=1000000)
    ap.add_argument("--pcap-flows", type=int, default=10000)
    args = ap.parse_args()
    if not 1 <= args.spokes <= 4095 or not 1 <= args.subnets <= 16 or not 0 <= args.vms <= 250:
        ap.error("--spokes 1..4095, --subnets 1..16, --vms 0..250")
    if args.rules > 4000:
        ap.error("--rules: an NSG holds at most 4,000")
    rng = random.Random(args.seed)
    topo = {"_comment": "generated: " + " ".join(sys.argv[1:]),
            "applicationSecurityGroups": [],
            "virtualNetworks": [], "routeTables": [], "networkSecurityGroups": [], "virtualMachines": []}
    hub = {"name": "hub", "addressSpace": ["10.0.0.0/16"],
           "subnets": [{"name": "firewall", "addressPrefix": "10.0.1.0/24"},
                       {"name": "shared", "addressPrefix": "10.0.2.0/24"}],
           "peerings": []}
    topo["virtualNetworks"].append(hub)
    topo["virtualMachines"].append({"name": "fw1", "networkInterfaces": [
        {"name": "fw1-nic", "subnet": "hub/firewall", "privateIpAddress": "10.0.1.4", "enableIpForwarding": True}]})
    for s in range(args.shared_nsgs):
        topo["networkSecurityGroups"].append(nsg(rng, args, "nsg-shared%d" % s, args.rules, args.spokes, []))
    nics = []
    for i in range(1, args.spokes + 1):
        name = "spoke%d" % i
        asgs = ["asg-%d-%d" % (i, a) for a in range(args.asgs)]
        topo["applicationSecurityGroups"] += [{"name": a} for a in asgs]
        space = [str(spoke_net(i))] + (["fd00:%x::/48" % i] if args.ipv6 else [])
        vn = {"name": name, "addressSpace": space, "subnets": [],
              "peerings": [{"name": "to-hub", "remoteVirtualNetwork": "hub", "allowForwardedTraffic": True}]}
        hub["peerings"].append({"name": "to-" + name, "remoteVirtualNetwork": name, "allowForwardedTraffic": True})
        for k in range(args.subnets):
            sn = {"name": "s%d" % k, "addressPrefix": str(subnet_of(i, k)), "routeTable": "rt-%d-%d" % (i, k)}
            if args.ipv6:
                sn = {"name": "s%d" % k, "addressPrefixes": [str(subnet_of(i, k)), str(v6_subnet(i, k))],
                      "routeTable": "rt-%d-%d" % (i, k)}
            if args.shared_nsgs:
                sn["networkSecurityGroup"] = "nsg-shared%d" % ((i * args.subnets + k) % args.shared_nsgs)
            else:
                sn["networkSecurityGroup"] = "nsg-%d-%d" % (i, k)
                topo["networkSecurityGroups"].append(nsg(rng, args, sn["networkSecurityGroup"], args.rules, args.spokes, asgs))
            topo["routeTables"].append(route_table(rng, args, "rt-%d-%d" % (i, k), i, args.spokes))
            vn["subnets"].append(sn)
            for v in range(args.vms):
                ip = str(subnet_of(i, k)[4 + v])
                nic = {"name": "vm-%d-%d-%d-nic" % (i, k, v), "subnet": "%s/s%d" % (name, k), "privateIpAddress": ip}
                if asgs and rng.random() < 0.5:
                    nic["applicationSecurityGroups"] = [rng.choice(asgs)]
                topo["virtualMachines"].append({"name": "vm-%d-%d-%d" % (i, k, v), "networkInterfaces": [nic]})
                nics.append(("vm-%d-%d-%d" % (i, k, v), ip))
        topo["virtualNetworks"].append(vn)
    out = sys.stdout if args.output == "-" else open(args.output, "w")
    json.dump(topo, out, separators=(",", ":"))
    out.write("\n")
    def remote():
        if rng.random() < 0.5:
            return rng.choice(nics)[1]
        return "%d.%d.%d.%d" % (rng.randrange(1, 223), rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))

    if args.queries and nics:
        with open(args.queries, "w") as q:
            for _ in range(args.nqueries):
                vm, ip = rng.choice(nics)
                q.write("--vm %s --direction %s --protocol %s --local %s:%d --remote %s:%d\n" % (
                    vm, rng.choice(["Inbound", "Outbound"]), rng.choice(["TCP", "UDP"]), ip,
                    rng.randrange(1, 65536), remote(), rng.randrange(1, 65536)))
    if args.next_hop_queries and nics:
        with open(args.next_hop_queries, "w") as q:
            for _ in range(args.nqueries):
                vm, ip = rng.choice(nics)
                q.write("--vm %s --source-ip %s --dest-ip %s\n" % (vm, ip, remote()))
    if args.flows and nics:
        with open(args.flows, "w") as f:
            for _ in range(args.nqueries):
                src = rng.choice(nics)[1]
                dst = rng.choice(nics)[1] if rng.random() < 0.7 else "%d.%d.%d.%d" % (
                    rng.randrange(1, 223), rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))
                f.write("%s %s %s %d %d\n" % (src, dst, rng.choice(["tcp", "udp"]), rng.randrange(1024, 65536),
                                            rng.choice([22, 80, 443, 1433, 3389, rng.randrange(1, 65536)])))
    if args.pcap and nics:
        write_pcap(args.pcap, rng, nics, args.packets, args.pcap_flows)
    return 0


def frame(src, dst, proto, sport, dport):
    """Ethernet, IPv4 and a TCP SYN or UDP header: the smallest packets a capture holds."""
    l4 = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 2, 65535, 0, 0) if proto == 6 else \
        struct.pack("!HHHH", sport, dport, 8, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + l4


def write_pcap(path, rng, nics, npackets, nflows):
    flows = []
    for _ in range(nflows):
        src = rng.choice(nics)[1]
        dst = rng.choice(nics)[1] if rng.random() < 0.7 else "%d.%d.%d.%d" % (
            rng.randrange(1, 223), rng.randrange(256), rng.randrange(256), rng.randrange(1, 255))
        fr = frame(src, dst, rng.choice([6, 17]), rng.randrange(1024, 65536),
                   rng.choice([22, 80, 443, 1433, 3389, rng.randrange(1, 65536)]))
        flows.append(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        pick = rng.randrange
        f.write(b"".join(flows[pick(nflows)] for _ in range(npackets)))


if __name__ == "__main__":
    sys.exit(main())
