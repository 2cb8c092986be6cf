#!/usr/bin/env python3
"""Several worker lcores give the same answers as one: the summary of a replay (every field:
counters, flows admitted and aged out, rule hits, per NIC) is identical with the engine on the
main lcore and on one, two and three workers (lcores mapped onto one CPU), since both directions
of a flow meet the same worker and flows age on the captures' clock, not a worker's.

Several real captures of pcap-samples/public (of many flows, long gaps, several link types and
interfaces) are replayed each on its own against a network that holds its hosts (so that its
flows are admitted and can age out), and all of them together against the hub-and-spoke example,
plain and with --loop. zeek__rotation.pcap (20 SYNs an hour apart, each a
new flow) must end with 19 flows aged out: all but the last, which is younger than 240 s when the
capture ends.

usage: replay_workers.py NWSIM PROJECT-ROOT
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

from tcheck import Checks, hosts_topology  # noqa: E402


# Each on its own: many flows (255 FTP data connections), an hour between packets (rotation), a
# long TCP session, QinQ, a pcapng of several interfaces and link types, HTTP over three
# interfaces' worth of hosts, and one nwsim refuses.
SEVERAL = {"suricata__output-eve-ftp-data-255flows.pcap", "zeek__rotation.pcap", "zeek__ssh-single-conn.pcap",
           "tcpdump__QinQpacket.pcap", "wireshark__many_interfaces.pcapng", "zeek__wikipedia.pcap",
           "tcpdump__OSPFv3_NBMA_adjacencies.pcap"}


def summaries(nwsim, topo, caps, extra=()):
    """The JSON summary per worker count (the error where the run failed), and the failures."""
    outs, errs = {}, []
    for w in ("0", "1", "2", "3"):
        # --flows: four tables of the default size would not fit the memory EAL gets here.
        p = subprocess.run([nwsim, "replay", "-t", topo, "-o", "json", "--workers", w, "--flows", "65536"] + list(extra) + caps +
                           ["--", "--lcores=(0-%s)@0" % w], capture_output=True, text=True)
        # Status 3 with a summary: a capture among them was refused, the others replayed.
        if p.returncode and not (p.returncode == 3 and p.stdout):
            errs.append("--workers %s: %s" % (w, p.stderr.strip()))
        outs[w] = p.stdout or p.stderr
    return outs, errs


def main():
    nwsim, root = sys.argv[1], sys.argv[2]
    checks = Checks()
    public = sorted(glob.glob(os.path.join(root, "pcap-samples", "public", "*.pcap*")))
    several = [c for c in public if os.path.basename(c) in SEVERAL]
    with tempfile.TemporaryDirectory() as tmp:
        for cap in several:
            name = os.path.basename(cap)
            topo = os.path.join(tmp, name + ".json")
            if not hosts_topology(nwsim, [cap], topo):
                topo = os.path.join(root, "docs", "examples", "hub-spoke.json")  # IPv6 alone
            outs, errs = summaries(nwsim, topo, [cap])
            if len(errs) == 4 and len(set(outs.values())) == 1 and "is not supported" in errs[0]:
                checks.check("%s: refused alike with 0, 1, 2 and 3 workers" % name, True)
                continue
            same = not errs and len(set(outs.values())) == 1
            checks.check("%s: the same summary with 0, 1, 2 and 3 workers" % name, same,
                         "; ".join(errs) or json.dumps({w: json.loads(o)["flows"] for w, o in outs.items()}))
            if name == "zeek__rotation.pcap" and same:
                flows = json.loads(outs["0"])["flows"]
                checks.check("zeek__rotation.pcap: 20 flows admitted, 19 aged out by its end",
                             flows["admitted"] == 20 and flows["agedOut"] == 19, json.dumps(flows))
    hub = os.path.join(root, "docs", "examples", "hub-spoke.json")
    caps = [os.path.join(root, "pcap-samples", "hub-spoke.pcap")] + public
    for extra in ([], ["--loop", "50"]):
        outs, errs = summaries(nwsim, hub, caps, extra)
        checks.check("all captures on hub-spoke%s: the same summary with 0, 1, 2 and 3 workers" % (" " + " ".join(extra)),
                     not errs and len(set(outs.values())) == 1, "; ".join(errs))
    checks.finish()


if __name__ == "__main__":
    main()
