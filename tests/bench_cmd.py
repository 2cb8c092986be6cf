#!/usr/bin/env python3
"""nwsim bench as a command (its figures are for docs/benchmarks.md, never asserted): the JSON
has what a performance lab reads, the packet count is the one asked for, every packet is
accounted for, the policy is the size asked for, and bad options are refused with one line.

usage: bench_cmd.py NWSIM PROJECT-ROOT
"""
import json
import os
import subprocess
import sys
import tempfile

from tcheck import Checks  # noqa: E402


def main():
    nwsim = sys.argv[1]
    checks = Checks()
    check = checks.check

    for workers in ("0", "1"):
        p = subprocess.run([nwsim, "bench", "--rules", "200", "--nsgs", "2", "--nics", "8", "--flows", "300",
                            "--packets-per-flow", "4", "--packets", "24001", "--workers", workers, "-o", "json"],
                           capture_output=True, text=True, timeout=120)
        try:
            d = json.loads(p.stdout)
        except ValueError:
            check("bench -o json prints JSON (%s workers)" % workers, False, p.stderr)
            continue
        pol, acc, ws = d["policy"], d["accounting"], d["workers"]
        check("the policy is the size asked for: 2 NSGs of 200 rules, their defaults, 8 NICs (%s workers)" % workers,
              pol["nsgs"] == 2 and pol["rulesPerNsg"] == 200 and pol["rulesWithDefaults"] == 2 * 206 and pol["nics"] == 8 and
              pol["aclRules"] > 400 and pol["tableBytes"] > 0 and pol["buildMicroseconds"] > 0, json.dumps(pol))
        check("exactly the packets asked for, every one accounted for (%s workers)" % workers,
              acc["received"] == 24001 and acc["delivered"] + acc["dropped"] + acc["unparsed"] == 24001 and
              acc["unparsed"] == 0 and acc["stateful"] > 0 and acc["dropped"] > 0, json.dumps(acc))
        total = ws[-1] if len(ws) > 1 else ws[0]
        fields = ("packets", "kpps", "mbitPerSecond", "cyclesPerPacket", "p50Cycles", "p99Cycles", "p999Cycles", "p50Ns",
                  "p99Ns", "p999Ns", "classifyKeys", "classifyKeysPerPacket", "classifyCyclesPerKey", "classifyPercent")
        check("per-worker figures are all there and ordered (p50 <= p99 <= p99.9) (%s workers)" % workers,
              all(all(f in w for f in fields) for w in ws) and total["packets"] == 24001 and total["kpps"] > 0 and
              total["p50Cycles"] <= total["p99Cycles"] <= total["p999Cycles"], json.dumps(ws))
        check("classification's figures: keys, keys a packet (4 decimals), cycles a key, a share of the cycles "
              "(%s workers)" % workers,
              total["classifyKeys"] > 0 and total["classifyKeysPerPacket"] == round(total["classifyKeys"] / 24001, 4) and
              total["classifyCyclesPerKey"] > 0 and 0 < total["classifyPercent"] < 100, json.dumps(total))
    # Azure's ceiling per NSG: 1,000 rules by default, 4,000 with a raised limit. Both are generated
    # whole, compiled, and every packet is accounted for.
    for n in ("1000", "4000"):
        p = subprocess.run([nwsim, "bench", "--rules", n, "--nics", "2", "--flows", "200", "--packets", "2000",
                            "--workers", "0", "-o", "json"], capture_output=True, text=True, timeout=120)
        d = json.loads(p.stdout) if p.returncode == 0 else {}
        pol, acc = d.get("policy", {}), d.get("accounting", {})
        check("--rules %s: one NSG of %s rules and its 6 defaults, compiled, every packet accounted for" % (n, n),
              pol.get("rulesPerNsg") == int(n) and pol.get("rulesWithDefaults") == int(n) + 6 and
              pol.get("aclRules", 0) >= int(n) and acc.get("received") == 2000 and
              acc["delivered"] + acc["dropped"] + acc["unparsed"] == 2000, p.stderr + json.dumps(pol) + json.dumps(acc))
    # Two workers, and the main lcore, all on the first CPU: the main lcore sleeps while they run, so
    # this finishes. The packets asked for are shared, the remainder to the first worker.
    p = subprocess.run([nwsim, "bench", "--rules", "200", "--nics", "8", "--flows", "300", "--packets-per-flow", "4",
                        "--packets", "24001", "--workers", "2", "-o", "json", "--", "--lcores", "0@0,1@0,2@0"],
                       capture_output=True, text=True, timeout=120)
    d = json.loads(p.stdout) if p.returncode == 0 else {}
    ws, acc = d.get("workers", []), d.get("accounting", {})
    check("--workers 2 on one CPU: 12001 + 12000 packets, a total, every one accounted for",
          [w.get("worker") for w in ws] == [0, 1, "total"] and [w.get("packets") for w in ws] == [12001, 12000, 24001] and
          acc.get("received") == 24001 and acc["delivered"] + acc["dropped"] + acc["unparsed"] == 24001,
          p.stderr + json.dumps(d.get("workers")))
    check("--workers 2: each worker counts its own classify keys, and the total is their sum",
          len(ws) == 3 and ws[0].get("classifyKeys", 0) > 0 and ws[1].get("classifyKeys", 0) > 0 and
          ws[2].get("classifyKeys") == ws[0]["classifyKeys"] + ws[1]["classifyKeys"], json.dumps(ws))
    # How many flows are in flight changes the order of packets, never a packet's fate.
    accs = {}
    for conc in ("1", "7", "300"):
        p = subprocess.run([nwsim, "bench", "--rules", "200", "--nics", "8", "--flows", "300", "--packets-per-flow", "4",
                            "--packets", "2400", "--concurrent", conc, "--workers", "0", "-o", "json"],
                           capture_output=True, text=True, timeout=120)
        d = json.loads(p.stdout) if p.returncode == 0 else {}
        accs[conc] = (d.get("traffic", {}).get("concurrentFlows"), d.get("accounting"))
    check("--concurrent 1, 7, 300: reported, and the same accounting (delivered, dropped, stateful) for each",
          [a[0] for a in accs.values()] == [1, 7, 300] and accs["1"][1] is not None and
          accs["1"][1] == accs["7"][1] == accs["300"][1] and accs["1"][1]["stateful"] > 0, json.dumps(accs))
    # A ClassBench filter set (20 filters, one on GRE, which an NSG cannot name) and a trace for it.
    root = sys.argv[2]
    cb = os.path.join(root, "tests", "data", "classbench-small")
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "trace")
        subprocess.run([sys.executable, os.path.join(root, "scripts", "classbench2trace.py"), cb, trace, "500", "3"], check=True)
        p = subprocess.run([nwsim, "bench", "--classbench", cb, "--trace", trace, "--packets", "20000", "--workers", "0",
                            "-o", "json"], capture_output=True, text=True, timeout=120)
        d = json.loads(p.stdout) if p.returncode == 0 else {}
        pol, acc = d.get("policy", {}), d.get("accounting", {})
        check("--classbench: 19 filters as NSG rules, the GRE one skipped, one NSG on one NIC",
              pol.get("rules") == 19 and pol.get("filtersSkipped") == 1 and pol.get("nsgs") == 1 and pol.get("nics") == 1,
              p.stderr + json.dumps(pol))
        check("--trace: the trace's 500 lines are the flows, every packet accounted for, a linear reference timed",
              d.get("traffic", {}).get("flows") == 500 and acc.get("received") == 20000 and
              acc["delivered"] + acc["dropped"] + acc["unparsed"] == 20000 and d.get("linearReferenceKpps", 0) > 0,
              json.dumps(d.get("traffic")) + json.dumps(acc))
        # One pass over the trace's 500 distinct flows: one packet each is one key each (its NIC's NSG).
        # With the reply too, a reply to an admitted flow passes statefully, unclassified, and a reply to
        # a refused one is judged at the NIC's outbound NSG: one key more for each first packet refused.
        keys, refused = {}, None
        for per in (1, 2):
            p = subprocess.run([nwsim, "bench", "--classbench", cb, "--trace", trace, "--packets", str(500 * per),
                                "--packets-per-flow", str(per), "--workers", "0", "-o", "json"],
                               capture_output=True, text=True, timeout=120)
            d = json.loads(p.stdout) if p.returncode == 0 else {}
            keys[per] = d.get("workers", [{}])[0].get("classifyKeys")
            if per == 1:
                refused = d.get("accounting", {}).get("dropped")
        check("classifyKeys: 500 for 500 one-packet flows, and with their replies one more for each refused "
              "first packet (%s)" % refused,
              keys[1] == 500 and refused and 0 < refused < 500 and keys[2] == 500 + refused, json.dumps(keys))
        # Each walk of a new flow meets one NSG (one key), found on its pair of addresses' walk or walked
        # first: every pair at least once in the first pass; a second pass finds the pairs kept, and walks
        # again only those another pair took the slot of.
        distinct = len({tuple(l.split()[:2]) for l in open(trace) if l.strip()})
        pairs = {}
        for passes in (1, 2):
            p = subprocess.run([nwsim, "bench", "--classbench", cb, "--trace", trace, "--packets", str(500 * passes),
                                "--packets-per-flow", "1", "--workers", "0", "-o", "json"],
                               capture_output=True, text=True, timeout=120)
            w = (json.loads(p.stdout) if p.returncode == 0 else {}).get("workers", [{}])[0]
            pairs[passes] = (w.get("pairsKnown"), w.get("pairsWalked"), w.get("classifyKeys"))
        k1, w1, c1 = pairs[1]
        k2, w2, c2 = pairs[2]
        check("pairsKnown + pairsWalked: one for each new flow's walk; each of the trace's %d pairs of addresses "
              "walked at least once; a second pass walks fewer than half of them again" % distinct,
              None not in pairs[1] + pairs[2] and k1 + w1 == c1 == 500 and distinct <= w1 < 500 and
              k2 + w2 == c2 and c2 > c1 and k2 > k1 and w2 - w1 < distinct // 2, json.dumps(pairs))
        bad_cb = os.path.join(tmp, "bad")
        open(bad_cb, "w").write("@10.0.0.0/8\t0.0.0.0/0\t0 : 65535\n")
        p = subprocess.run([nwsim, "bench", "--classbench", bad_cb], capture_output=True, text=True, timeout=60)
        check("a line that is not a ClassBench filter: one line naming the file and line, status 3",
              p.returncode == 3 and p.stderr.strip().endswith("bad: line 1: not a ClassBench filter "
                                                              "(@src/len dst/len lo : hi lo : hi proto/mask ...)"),
              p.stderr)
    # -t: the user's own topology. Its flows meet its NSGs' user rules: an allow rule the flows could
    # miss (one source range, one port) lets every packet through only if each flow meets it, and an
    # outbound deny rule drops every packet only if each flow goes where it names (the internet's
    # replies are refused inbound by DenyAllInBound, and the defaults allow the rest outbound).
    def topo(rule):
        return json.dumps({
            "virtualNetworks": [{"name": "v", "addressSpace": ["10.1.0.0/16"],
                                 "subnets": [{"name": "s", "addressPrefix": "10.1.0.0/24"}]}],
            "networkSecurityGroups": [{"name": "nsg", "securityRules": [dict(
                {"name": "r", "priority": 100, "sourcePortRange": "*"}, **rule)]}],
            "virtualMachines": [{"name": "vm", "networkInterfaces": [
                {"name": "nic", "subnet": "v/s", "privateIpAddress": "10.1.0.4", "networkSecurityGroup": "nsg"}]}]})
    with tempfile.TemporaryDirectory() as tmp:
        cases = (("allow", {"direction": "Inbound", "access": "Allow", "protocol": "Tcp", "sourceAddressPrefix": "203.0.113.0/24",
                            "destinationAddressPrefix": "*", "destinationPortRange": "8443"}),
                 ("deny-out", {"direction": "Outbound", "access": "Deny", "protocol": "Udp",
                               "sourceAddressPrefix": "*", "destinationAddressPrefix": "198.51.100.0/24",
                               "destinationPortRange": "5000-5009"}))
        got = {}
        for name, rule in cases:
            path = os.path.join(tmp, name + ".json")
            open(path, "w").write(topo(rule))
            p = subprocess.run([nwsim, "bench", "-t", path, "--flows", "100", "--packets-per-flow", "4", "--packets", "400",
                                "--workers", "0", "-o", "json"], capture_output=True, text=True, timeout=120)
            d = json.loads(p.stdout) if p.returncode == 0 else {}
            got[name] = (d.get("policy"), d.get("accounting"), p.stderr)
        pol, acc, err = got["allow"]
        check("-t: the policy is the file's: 1 NSG, 1 user rule, 7 with the defaults, 1 NIC, the file named",
              pol and pol["nsgs"] == 1 and pol["rules"] == 1 and pol["rulesPerNsg"] == 1 and pol["rulesWithDefaults"] == 7 and
              pol["nics"] == 1 and pol["topology"].endswith("allow.json"), err + json.dumps(pol))
        check("-t: every flow meets the inbound allow rule (TCP 8443 from 203.0.113.0/24): nothing dropped, and 3 "
              "packets of each flow of 4 pass as part of it",
              acc and acc["received"] == 400 and acc["delivered"] == 400 and acc["stateful"] == 300, err + json.dumps(acc))
        pol, acc, err = got["deny-out"]
        check("-t: every flow goes where the outbound deny rule names (UDP 5000-5009 to 198.51.100.0/24): "
              "every packet dropped",
              acc and acc["received"] == 400 and acc["dropped"] == 400 and acc["stateful"] == 0, err + json.dumps(acc))
        empty = os.path.join(tmp, "empty.json")
        open(empty, "w").write(json.dumps({"virtualNetworks": [{"name": "v", "addressSpace": ["10.1.0.0/16"]}]}))
        for args, code, want in ((["-t", empty], 3, "empty.json: no network interface to send the traffic to"),
                                 (["-t", os.path.join(tmp, "missing.json")], 3, "missing.json"),
                                 (["-t", empty, "--rules", "10"], 2,
                                  "-t gives the policy: drop --classbench, --rules, --nsgs, --nics, --tags, --port-lists, --ipv6"),
                                 (["-t", empty, "--trace", empty], 2, "--trace goes with --classbench")):
            p = subprocess.run([nwsim, "bench"] + args + ["--packets", "1000"], capture_output=True, text=True, timeout=60)
            err = [l for l in p.stderr.splitlines() if l.startswith("nwsim:")]
            check("bench %s: refused with one line, exit %d" % (" ".join(a.replace(tmp + "/", "") for a in args), code),
                  p.returncode == code and len(err) == 1 and want in err[0] and p.stdout == "", p.stderr)
    for args, want in ((["--rules", "5000"], "--rules: '5000' is not a whole number in 1..4000"),
                       (["--burst", "65"], "--burst: '65' is not a whole number in 1..64"),
                       (["--concurrent", "0"], "--concurrent: '0' is not a whole number in 1..10000000"),
                       (["--packets", "10", "--seconds", "1"], "give --packets or --seconds, not both"),
                       (["--alg", "quantum"], "--alg: 'quantum' is not a classify algorithm this machine has")):
        p = subprocess.run([nwsim, "bench"] + args, capture_output=True, text=True, timeout=60)
        err = [l for l in p.stderr.splitlines() if l.startswith("nwsim:")]
        check("bench %s: refused with one line" % " ".join(args), p.returncode == 2 and len(err) == 1 and want in err[0],
              p.stderr)
    # scripts/bench.sh refuses what it does not know before it builds or runs anything.
    script = os.path.join(root, "scripts", "bench.sh")
    for args, want in ((["--bogus"], "unknown option '--bogus'"), (["--sweep", "--fast"], "--sweep takes only --quick, not '--fast'")):
        p = subprocess.run([script] + args, capture_output=True, text=True, timeout=60)
        err = p.stderr.splitlines()
        check("scripts/bench.sh %s: refused with one line, exit 2" % " ".join(args),
              p.returncode == 2 and len(err) == 1 and want in err[0] and p.stdout == "", p.stderr)
    checks.finish()


if __name__ == "__main__":
    main()
