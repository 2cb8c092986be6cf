#!/usr/bin/env python3
"""The per-packet verdicts of `nwsim replay` agree with `test-ip-flow` and `show-next-hop`.

For thousands of random packets between the VMs of a topology, the internet and on-premises
(each its own flow, so no packet passes as return traffic): the NSG verdict replay reports at
the source NIC is what test-ip-flow answers for that NIC outbound, the first route is what
show-next-hop answers, and the verdict at a destination NIC reached directly is what
test-ip-flow answers inbound.

usage: agree.py NWSIM PROJECT-ROOT
"""
import importlib.util
import json
import os
import random
import struct
import subprocess
import sys
import tempfile


def gen_topology(root):
    """scripts/gen-topology.py as a module: its frame() makes the packets here too."""
    spec = importlib.util.spec_from_file_location("gen_topology", os.path.join(root, "scripts", "gen-topology.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


GEN = None


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)))
            f.write(fr)


def run(nwsim, args, stdin=None):
    p = subprocess.run([nwsim] + args, input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("nwsim %s failed: %s" % (" ".join(args), p.stderr))
    return p.stdout


def check(nwsim, topo_path, seed, count):
    topo = json.load(open(topo_path))
    rng = random.Random(seed)
    vms = []
    for vm in topo["virtualMachines"]:
        for nic in vm["networkInterfaces"]:
            vms.append((vm["name"], nic["privateIpAddress"]))
    others = ["8.8.8.8", "13.107.21.200", "203.0.113.9", "192.168.10.20", "192.168.20.5", "10.9.9.9", "172.16.1.1"]
    packets = []
    for i in range(count):
        src = rng.choice(vms)
        dst = rng.choice(vms + [(None, o) for o in others])
        if rng.random() < 0.25:
            src, dst = (None, rng.choice(others)), rng.choice(vms)
        if src[1] == dst[1]:
            continue
        proto = rng.choice([6, 17])
        sport = 10000 + i  # every packet its own flow
        dport = rng.choice([22, 53, 80, 443, 1433, 3389, 8080, rng.randrange(1, 65536)])
        packets.append((src, dst, proto, sport, dport))
    with tempfile.TemporaryDirectory() as tmp:
        cap = os.path.join(tmp, "random.pcap")
        out = os.path.join(tmp, "verdicts.jsonl")
        write_pcap(cap, [GEN.frame(s[1], d[1], p, sp, dp) for s, d, p, sp, dp in packets])
        run(nwsim, ["replay", "-t", topo_path, "--verdicts", out, cap])
        # With several workers the lines come in the order packets are answered: put them back.
        verdicts = sorted((json.loads(line) for line in open(out)), key=lambda v: v["packet"])
    assert len(verdicts) == len(packets), "one verdict per packet"
    flow_q, nh_q, checks = [], [], []
    for (s, d, proto, sport, dport), v in zip(packets, verdicts):
        assert not v["stateful"], "each packet is its own flow"
        p = "TCP" if proto == 6 else "UDP"
        hops = v["hops"]
        if s[0]:
            h = hops[0]
            if "outbound" in h:
                flow_q.append("--vm %s --direction Outbound --protocol %s --local %s:%d --remote %s:%d"
                              % (s[0], p, s[1], sport, d[1], dport))
                checks.append(("flow", h["outbound"], v))
            if "nextHopType" in h:
                nh_q.append("--vm %s --source-ip %s --dest-ip %s" % (s[0], s[1], d[1]))
                checks.append(("hop", h, v))
        # The destination NIC's verdict, when the packet reached it straight from its source.
        last = hops[-1]
        if d[0] and len(hops) == 2 and "inbound" in last:
            flow_q.append("--vm %s --direction Inbound --protocol %s --local %s:%d --remote %s:%d"
                          % (d[0], p, d[1], dport, s[1], sport))
            checks.append(("flow", last["inbound"], v))
    flows = iter([json.loads(l) for l in run(nwsim, ["test-ip-flow", "-t", topo_path, "--batch", "-"],
                                              "\n".join(flow_q) + "\n").splitlines()])
    hopsr = iter([json.loads(l) for l in run(nwsim, ["show-next-hop", "-t", topo_path, "--batch", "-"],
                                              "\n".join(nh_q) + "\n").splitlines()])
    bad = 0
    # One query alone compiles only its NIC's NSGs: the answer must be the batch's.
    batch_answers = [json.loads(l) for l in run(nwsim, ["test-ip-flow", "-t", topo_path, "--batch", "-"],
                                                 "\n".join(flow_q) + "\n").splitlines()]
    for k in rng.sample(range(len(flow_q)), min(20, len(flow_q))):
        alone = json.loads(run(nwsim, ["test-ip-flow", "-t", topo_path] + flow_q[k].split()))
        want = dict(batch_answers[k])
        want.pop("line", None)
        if alone != want:
            bad += 1
            print("DISAGREE test-ip-flow %s: alone %s, in a batch %s" % (flow_q[k], alone, want))
    for kind, got, v in checks:
        if kind == "flow":
            want = next(flows)
            same = want["access"] == got["access"] and want["ruleName"] == got["ruleName"]
        else:
            want = next(hopsr)
            same = want["nextHopType"] == got["nextHopType"] and want["routeTableId"] == got["routeTableId"]
        if not same:
            bad += 1
            if bad <= 10:
                print("DISAGREE packet %d (%s -> %s): replay %s, %s %s" % (v["packet"], v["source"], v["destination"],
                      got, "test-ip-flow" if kind == "flow" else "show-next-hop", want))
    print("%s: %d packets, %d verdicts compared, %d disagreements" % (os.path.basename(topo_path), len(packets),
          len(checks), bad))
    return len(checks), bad


def main():
    global GEN
    nwsim, root = sys.argv[1], sys.argv[2]
    GEN = gen_topology(root)
    total = bad = 0
    for i, name in enumerate(["hub-spoke.json", "web-app.json", "routing-example.json"]):
        n, b = check(nwsim, os.path.join(root, "docs", "examples", name), 1000 + i, 2500)
        total += n
        bad += b
    # A generated hub and 12 spokes: more route tables than go to rte_lpm, so flat ones answer too.
    with tempfile.TemporaryDirectory() as tmp:
        gen = os.path.join(tmp, "generated.json")
        subprocess.run([sys.executable, os.path.join(root, "scripts", "gen-topology.py"), "--spokes", "12",
                        "--subnets", "2", "--rules", "30", "--vms", "2", "--seed", "7", "-o", gen], check=True)
        n, b = check(nwsim, gen, 2000, 2500)
        total += n
        bad += b
    print("%d passed, %d failed" % (total - bad, bad))
    sys.exit(1 if bad or total < 3000 else 0)


if __name__ == "__main__":
    main()
