#!/usr/bin/env python3
"""A ClassBench-style trace for a filter set: N packet headers, each inside a random filter (a
random address in both prefixes, ports in both ranges, the protocol, or any protocol where the
filter takes any), written as dpdk-test-acl and `nwsim bench --trace` read them:
"src dst sport dport proto" in decimal, one a line.
usage: classbench2trace.py RULES OUTPUT N [SEED]
"""
import random
import sys

import classbench

def main():
    rules = [(int(f.src.network_address), f.src.prefixlen, int(f.dst.network_address), f.dst.prefixlen, f.sport, f.dport,
              f.proto, f.proto_mask) for f in classbench.read(sys.argv[1])]
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    with open(sys.argv[2], "w") as out:
        for _ in range(int(sys.argv[3])):
            s, sl, d, dl, sp, dp, pv, pm = rules[rng.randrange(len(rules))]
            src = (s & ((0xFFFFFFFF << (32 - sl)) & 0xFFFFFFFF if sl else 0)) | (rng.getrandbits(32 - sl) if sl < 32 else 0)
            dst = (d & ((0xFFFFFFFF << (32 - dl)) & 0xFFFFFFFF if dl else 0)) | (rng.getrandbits(32 - dl) if dl < 32 else 0)
            proto = pv if pm == 0xFF else rng.choice([6, 17, 1])
            out.write("%d\t%d\t%d\t%d\t%d\n" % (src, dst, rng.randint(*sp), rng.randint(*dp), proto))


if __name__ == "__main__":
    main()
