#!/usr/bin/env python3
"""Hostile input, end to end: NSGs at Azure's limits and one past them, topologies too large or
empty, captures that are empty, cut, or carry oversized and malformed packets. Each must give
the right answer, or one error line and a non-zero status, or a counted unparsed reason; the
accounting identity always holds.
    usage: hostile.py NWSIM PROJECT-ROOT"""
import json
import os
import struct
import subprocess
import sys
import tempfile

from tcheck import Checks

IFV = ["--vm", "vm1", "--direction", "Inbound", "--protocol", "TCP"]


# The NSG's ARM id as nwsim makes it for a topology without ids (the default subscription and group).
NSG1 = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/nwsim/providers/Microsoft.Network/networkSecurityGroups/nsg1"


def topo(nrules, nprefix=1):
    """One NSG of nrules rules (rule i: source 10.X.Y.0/24, port i+1, deny when even), or
    one rule with nprefix source prefixes."""
    rules = []
    for i in range(nrules):
        src = ({"sourceAddressPrefixes": ["10.%d.%d.0/24" % (8 + j // 256, j % 256) for j in range(nprefix)]} if nprefix > 1
               else {"sourceAddressPrefix": "10.%d.%d.0/24" % (8 + i // 256, i % 256)})
        # Priorities 100..4096 give 3,997 a direction: the last three rules are outbound.
        rule = {"name": "r%d" % i, "priority": 100 + i % 3997, "direction": "Inbound" if i < 3997 else "Outbound", "access": "Allow" if i % 2 else "Deny",
                "protocol": "Tcp", "sourcePortRange": "*", "destinationAddressPrefix": "*",
                "destinationPortRange": str(i + 1)}
        rule.update(src)
        rules.append(rule)
    return {"virtualNetworks": [{"name": "vnet1", "addressSpace": ["10.0.0.0/8"],
                                 "subnets": [{"name": "web", "addressPrefix": "10.0.0.0/24", "networkSecurityGroup": "nsg1"}]}],
            "networkSecurityGroups": [{"name": "nsg1", "securityRules": rules}],
            "virtualMachines": [{"name": "vm1", "networkInterfaces": [{"name": "vm1-nic", "subnet": "vnet1/web",
                                                                       "privateIpAddress": "10.0.0.4"}]}]}


def one_error(p, rc, want):
    lines = p.stderr.splitlines()
    return p.returncode == rc and len(lines) == 1 and want in lines[0]


def pcap(path, frames, snaplen=65535, linktype=1, cut=0):
    """A pcap of (caplen, wire_len, bytes) records; cut drops that many bytes from the end."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)
    for i, f in enumerate(frames):
        data, wire = f if isinstance(f, tuple) else (f, len(f))
        out += struct.pack("<IIII", 1700000000 + i, 0, len(data), wire) + data
    open(path, "wb").write(out[:len(out) - cut] if cut else out)


def eth_ipv4(payload, proto=6, ihl=5, total=None, src="10.8.0.9", dst="10.0.0.4"):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total if total is not None else 20 + len(payload), 1, 0, 64, proto, 0,
                      bytes(int(x) for x in src.split(".")), bytes(int(x) for x in dst.split(".")))
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + hdr + b"\x00" * (ihl * 4 - 20) + payload


def tcp(sport, dport, flags=0x02):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, flags, 65535, 0, 0)


def eth_ipv6(nh, ext):
    hdr = struct.pack("!IHBB16s16s", 0x60000000, len(ext), nh, 64, b"\xfd" + b"\x00" * 15, b"\xfd" + b"\x00" * 14 + b"\x04")
    return b"\x02" * 6 + b"\x04" * 6 + b"\x86\xdd" + hdr + ext


def main():
    nwsim, root = sys.argv[1], sys.argv[2]
    checks = Checks()
    check = checks.check
    run = lambda args: subprocess.run([nwsim] + args, capture_output=True, text=True, timeout=300)
    with tempfile.TemporaryDirectory() as tmp:
        # An NSG of 4,000 rules (Azure's raised limit): the last and a middle one decide.
        t4000 = os.path.join(tmp, "rules-4000.json")
        json.dump(topo(4000), open(t4000, "w"))
        for i, access in ((3996, "Deny"), (1999, "Allow")):
            p = run(["test-ip-flow", "-t", t4000] + IFV + ["--local", "10.0.0.4:%d" % (i + 1),
                                                           "--remote", "10.%d.%d.9:1000" % (8 + i // 256, i % 256)])
            got = json.loads(p.stdout) if p.returncode == 0 else {}
            check("4,000 rules: rule r%d decides (%s)" % (i, access),
                  got == {"access": access, "ruleName": "securityRules/r%d" % i, "ruleId": NSG1 + "/securityRules/r%d" % i}, p.stdout + p.stderr)
        t4001 = os.path.join(tmp, "rules-4001.json")
        json.dump(topo(4001), open(t4001, "w"))
        p = run(["test-ip-flow", "-t", t4001] + IFV + ["--local", "10.0.0.4:1", "--remote", "10.8.0.9:1000"])
        check("4,001 rules: one line naming the NSG's rules, status 3",
              one_error(p, 3, "rules-4001.json: networkSecurityGroups[0].securityRules: 4001 rules: an NSG holds at most 4,000"),
              p.stderr)
        # 4,000 addresses in a rule's side (Azure's limit): the last one matches; 4,001 is refused.
        tp = os.path.join(tmp, "prefixes-4000.json")
        json.dump(topo(1, 4000), open(tp, "w"))
        p = run(["test-ip-flow", "-t", tp] + IFV + ["--local", "10.0.0.4:1", "--remote", "10.23.159.9:1000"])
        check("4,000 source prefixes: the last one matches", p.returncode == 0 and json.loads(p.stdout)["ruleName"] == "securityRules/r0",
              p.stdout + p.stderr)
        tp = os.path.join(tmp, "prefixes-4001.json")
        json.dump(topo(1, 4001), open(tp, "w"))
        p = run(["test-ip-flow", "-t", tp] + IFV + ["--local", "10.0.0.4:1", "--remote", "10.8.0.9:1000"])
        check("4,001 source prefixes: one line, status 3",
              one_error(p, 3, "securityRules[0].sourceAddressPrefixes: 4001 addresses: Azure allows at most 4,000"), p.stderr)
        # Topologies: empty, larger than nwsim reads, endless.
        empty = os.path.join(tmp, "empty.json")
        open(empty, "w").close()
        p = run(["test-ip-flow", "-t", empty] + IFV + ["--local", "10.0.0.4:1", "--remote", "10.8.0.9:1000"])
        check("an empty topology file: one line, status 3", one_error(p, 3, "empty.json: not valid JSON"), p.stderr)
        big = os.path.join(tmp, "big.json")
        with open(big, "wb") as f:
            f.truncate((256 << 20) + 1)  # sparse: no disk, and nwsim stops reading past the limit
        for path in (big, "/dev/zero"):
            p = run(["test-ip-flow", "-t", path] + IFV + ["--local", "10.0.0.4:1", "--remote", "10.8.0.9:1000"])
            check("%s: refused as larger than 256 MiB, one line, status 3" % os.path.basename(path),
                  one_error(p, 3, "%s: larger than the 256 MiB a topology may be" % path), p.stderr)
        # Captures: zero bytes; a header alone; cut inside a record; a huge snaplen; a link type nwsim cannot read.
        web = os.path.join(root, "docs", "examples", "web-app.json")
        zero = os.path.join(tmp, "zero.pcap")
        open(zero, "wb").close()
        p = run(["replay", "-t", web, zero])
        check("a zero-length capture: one line naming it, non-zero status",
              p.returncode != 0 and len(p.stderr.splitlines()) == 1 and "zero.pcap" in p.stderr, p.stderr)
        hdr = os.path.join(tmp, "header.pcap")
        pcap(hdr, [])
        p = run(["replay", "-t", web, "-o", "json", hdr])
        r = json.loads(p.stdout) if p.returncode == 0 else {}
        check("a capture with no packets: 0 received, balanced", r.get("received", {}).get("packets") == 0 and
              r.get("accountingBalanced") is True, p.stdout + p.stderr)
        syn = eth_ipv4(tcp(50000, 443))
        for name, frames, kw, want in (
                ("cut", [syn, syn, syn], {"cut": 10}, {"capture-cut-mid-packet": 1}),
                ("snaplen", [syn], {"snaplen": 0xFFFFFFFF}, {}),
                ("malformed", [
                    (syn[:30], len(syn)),                               # truncated IPv4 header
                    eth_ipv4(tcp(1, 2), ihl=4),                         # IHL below 5
                    eth_ipv4(tcp(1, 2), ihl=15)[:60],                   # IHL past the capture
                    eth_ipv4(tcp(1, 2), total=10),                      # total length below the header
                    eth_ipv4(tcp(1, 2)[:10]),                           # TCP header cut
                    eth_ipv4(b"\x00" * 12 + b"\x20" + b"\x00" * 7),     # TCP data offset 2
                    eth_ipv6(0, b"\x00\xff" + b"\x00" * 6),             # hop-by-hop header longer than the packet
                    eth_ipv6(60, (b"\x3c\x00" + b"\x00" * 6) * 9),      # a chain of 9 destination options
                    (syn + b"\x00" * 8986, 9040),                       # a 9,040-byte jumbo frame: parsed
                ], {}, {"truncated-ipv4-header": 2, "bad-ipv4-header-length": 1, "bad-ipv4-total-length": 1,
                        "truncated-transport-header": 1, "bad-tcp-data-offset": 1, "bad-ipv6-extension-header": 2})):
            path = os.path.join(tmp, name + ".pcap")
            pcap(path, frames, **kw)
            p = run(["replay", "-t", web, "-o", "json", path])
            # A capture cut short is replayed up to the cut, summed up, named on one line, status 3.
            damaged = name == "cut"
            if damaged:
                check("capture cut: one line naming the file and the record, status 3",
                      one_error(p, 3, "cut.pcap: record 3: the file is cut short in a packet"), p.stderr)
            r = json.loads(p.stdout) if p.returncode == (3 if damaged else 0) else {}
            un = {k: v["packets"] for k, v in r.get("unparsed", {}).get("byReason", {}).items()}
            total = sum(r.get(k, {}).get("packets", 0) for k in ("delivered", "dropped", "unparsed"))
            check("capture %s: unparsed reasons %s, balanced" % (name, want),
                  un == want and r.get("accountingBalanced") is True and total == r["received"]["packets"] > 0,
                  json.dumps(r.get("unparsed")) + p.stderr)
        other = os.path.join(tmp, "linktype.pcap")
        pcap(other, [syn], linktype=147)
        p = run(["replay", "-t", web, other])
        check("an unknown link type: one line naming it, status 3",
              one_error(p, 3, "linktype.pcap: link type 147"), p.stderr)
    checks.finish()


if __name__ == "__main__":
    main()
