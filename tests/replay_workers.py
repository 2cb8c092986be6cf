#!/usr/bin/env python3
"""Several worker lcores give the same answers as one: the summary of a replay (counters, rule
hits, per NIC) is identical with the engine on the main lcore, on one worker, and on three
(lcores mapped onto this machine's CPUs), since both directions of a flow meet the same worker.

usage: replay_workers.py NWSIM PROJECT-ROOT
"""
import glob
import os
import subprocess
import sys


def main():
    nwsim, root = sys.argv[1], sys.argv[2]
    topo = os.path.join(root, "docs", "examples", "hub-spoke.json")
    caps = [os.path.join(root, "pcap-samples", "hub-spoke.pcap")] + \
        sorted(glob.glob(os.path.join(root, "pcap-samples", "public", "*.pcap")))[:4]
    ok = bad = 0
    for extra in ([], ["--loop", "50"]):
        outs = {}
        for w, eal in (("0", []), ("1", []), ("3", ["--", "--lcores=(0-3)@0"])):
            p = subprocess.run([nwsim, "replay", "-t", topo, "-o", "json", "--workers", w] + extra + caps + eal,
                               capture_output=True, text=True)
            if p.returncode:
                print("FAIL --workers %s: %s" % (w, p.stderr))
                bad += 1
                continue
            outs[w] = p.stdout
        same = len(outs) == 3 and len(set(outs.values())) == 1
        print("%s same summary with 0, 1 and 3 workers%s" % ("ok  " if same else "FAIL", " " + " ".join(extra)))
        ok += same
        bad += not same
    print("%d passed, %d failed" % (ok, bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
