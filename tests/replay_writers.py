#!/usr/bin/env python3
"""--write-allowed and --write-denied: the captures they write read back with libpcap (through
nwsim itself) and hold exactly the delivered and the dropped packets, byte for byte as captured.

usage: replay_writers.py NWSIM PROJECT-ROOT
"""
import json
import os
import subprocess
import sys
import tempfile

from tcheck import Checks, pcap_records  # noqa: E402


def replay(nwsim, topo, caps, extra=()):
    p = subprocess.run([nwsim, "replay", "-t", topo, "-o", "json"] + list(extra) + caps, capture_output=True, text=True)
    if p.returncode:
        sys.exit(p.stderr)
    return json.loads(p.stdout)


def main():
    nwsim, root = sys.argv[1], sys.argv[2]
    topo = os.path.join(root, "docs", "examples", "hub-spoke.json")
    cap = os.path.join(root, "pcap-samples", "hub-spoke.pcap")
    with tempfile.TemporaryDirectory() as tmp:
        a, d, v = (os.path.join(tmp, n) for n in ("allowed.pcap", "denied.pcap", "v.jsonl"))
        full = replay(nwsim, topo, [cap], ["--write-allowed", a, "--write-denied", d, "--verdicts", v])
        verdicts = [x["verdict"] for x in sorted((json.loads(l) for l in open(v)), key=lambda x: x["packet"])]
        original = pcap_records(cap)
        want_a = [p for p, x in zip(original, verdicts) if x == "Delivered"]
        want_d = [p for p, x in zip(original, verdicts) if x == "Dropped"]
        checks = [
            ("allowed capture holds the delivered packets", pcap_records(a) == want_a),
            ("denied capture holds the dropped packets", pcap_records(d) == want_d),
            ("counts match the summary", len(want_a) == full["delivered"]["packets"]
             and len(want_d) == full["dropped"]["packets"]),
        ]
        # Replayed again, the allowed packets (their flows intact) are all delivered.
        again = replay(nwsim, topo, [a])
        checks.append(("allowed capture replays as all delivered",
                       again["received"]["packets"] == again["delivered"]["packets"] == len(want_a)))
        denied = replay(nwsim, topo, [d])
        checks.append(("denied capture replays as all dropped",
                       denied["received"]["packets"] == denied["dropped"]["packets"] == len(want_d)))
    tally = Checks()
    for name, good in checks:
        tally.check(name, good)
    tally.finish()


if __name__ == "__main__":
    main()
