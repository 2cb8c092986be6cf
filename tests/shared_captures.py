#!/usr/bin/env python3
"""Every public capture of pcap-samples/public (copied from shared/samples/pcaps) replays without a crash, and for each one received =
delivered + dropped + unparsed, against each example topology, plain and from one NIC (--at).

usage: shared_captures.py NWSIM PROJECT-ROOT
"""
import glob
import json
import os
import subprocess
import sys

from tcheck import Checks  # noqa: E402


def main():
    nwsim, root = sys.argv[1], sys.argv[2]
    caps = sorted(glob.glob(os.path.join(root, "pcap-samples", "public", "*.pcap*")))
    if not caps:
        sys.exit("no captures under pcap-samples/public")
    tally = Checks()
    for topo, at in (("hub-spoke.json", None), ("web-app.json", None), ("hub-spoke.json", "web1-nic")):
        for cap in caps:
            args = [nwsim, "replay", "-t", os.path.join(root, "docs", "examples", topo), "-o", "json", cap]
            if at:
                args += ["--at", at]
            p = subprocess.run(args, capture_output=True, text=True)
            good = p.returncode == 0
            if good:
                r = json.loads(p.stdout)
                total = r["delivered"]["packets"] + r["dropped"]["packets"] + r["unparsed"]["packets"]
                good = r["accountingBalanced"] and total == r["received"]["packets"] > 0
            tally.check("%s %s%s" % (topo, os.path.basename(cap), " --at " + at if at else ""), good, p.stderr)
    tally.finish()


if __name__ == "__main__":
    main()
