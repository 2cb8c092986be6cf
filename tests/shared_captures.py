#!/usr/bin/env python3
"""Every real public capture of pcap-samples/public is accounted for exactly as tshark counts it:
nwsim receives as many records as tshark reads (the table of pcap-samples/public/SOURCE.md
says how many), and received = delivered + dropped + unparsed; or, where the table says so, the
capture is refused in one line naming the file and the reason. Each capture against one of the
example topologies, plain or from one NIC (--at), in turn. No capture may be in the folder
without its line in the table.

usage: shared_captures.py NWSIM PROJECT-ROOT
"""
import glob
import json
import os
import re
import subprocess
import sys

from tcheck import Checks  # noqa: E402


def manifest(path):
    """{file: (frames, outcome)} from the table of SOURCE.md."""
    rows = {}
    for line in open(path):
        m = re.match(r"^\| (\S+) \| .* \| (\d+) \| [^|]* \| ([^|]+) \|$", line.rstrip())
        if m:
            rows[m.group(1)] = (int(m.group(2)), m.group(3).strip())
    return rows


def main():
    nwsim, root = sys.argv[1], sys.argv[2]
    folder = os.path.join(root, "pcap-samples", "public")
    table = manifest(os.path.join(folder, "SOURCE.md"))
    caps = sorted(glob.glob(os.path.join(folder, "*.pcap*")))
    tally = Checks()
    names = {os.path.basename(c) for c in caps}
    tally.check("every capture has its line in SOURCE.md, and every line its capture (%d)" % len(caps),
                names == set(table) and len(caps) >= 30, repr(names ^ set(table)))
    ways = (("hub-spoke.json", None), ("web-app.json", None), ("hub-spoke.json", "web1-nic"))
    for k, cap in enumerate(caps):
        for topo, at in (ways[k % len(ways)],):
            name = os.path.basename(cap)
            frames, outcome = table.get(name, (None, "replayed"))
            args = [nwsim, "replay", "-t", os.path.join(root, "docs", "examples", topo), "-o", "json", "--workers", "0", cap]
            if at:
                args += ["--at", at]
            p = subprocess.run(args, capture_output=True, text=True)
            what = "%s %s%s" % (topo, name, " --at " + at if at else "")
            if outcome.startswith("refused: "):
                lines = p.stderr.splitlines()
                good = p.returncode == 3 and len(lines) == 1 and lines[0].startswith("nwsim: %s: " % cap) and \
                    outcome[len("refused: "):] in lines[0] and not p.stdout
                tally.check("%s: refused in one line (%s)" % (what, outcome[len("refused: "):]), good, p.stderr)
                continue
            good = p.returncode == 0 and not p.stderr
            if good:
                r = json.loads(p.stdout)
                total = r["delivered"]["packets"] + r["dropped"]["packets"] + r["unparsed"]["packets"]
                good = r["accountingBalanced"] and total == r["received"]["packets"] == frames
            tally.check("%s: %s records, as tshark reads them, all accounted for" % (what, frames), good,
                        p.stderr or p.stdout[-300:])
    tally.finish()


if __name__ == "__main__":
    main()
