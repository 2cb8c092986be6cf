#!/usr/bin/env python3
"""A capture of flows against the topology classbench2topo.py makes: each flow a packet from a
random ClassBench filter's source to the VM (so it meets the NSG's rules) and, when the test-ip-flow
oracle would allow it, replies and more packets both ways.

usage: classbench2pcap.py RULES OUTPUT.pcap N-FLOWS PACKETS-PER-FLOW [SEED]
"""
import ipaddress
import random
import struct
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from classbench2topo import parse  # noqa: E402

VM = bytes([10, 0, 0, 4])


def frame(src, dst, proto, sport, dport):
    l4 = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x10, 65535, 0, 0) if proto == 6 else \
        struct.pack("!HHHH", sport, dport, 8, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0, src, dst)
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + l4


def main():
    rules = parse(sys.argv[1])
    out, nflows, per = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t = 1700000000
        for i in range(nflows):
            net, sp, dp, proto = rules[rng.randrange(len(rules))]
            src = (net.network_address + rng.randrange(net.num_addresses)).packed
            p = 6 if proto == "Tcp" else 17 if proto == "Udp" else rng.choice([6, 17])
            sport, dport = rng.randint(*sp), rng.randint(*dp)
            for k in range(per):
                fr = frame(src, VM, p, sport, dport) if k % 2 == 0 else frame(VM, src, p, dport, sport)
                f.write(struct.pack("<IIII", t + i // 100000, (i * per + k) % 1000000, len(fr), len(fr)))
                f.write(fr)
    print("%s: %d flows, %d packets" % (out, nflows, nflows * per))


if __name__ == "__main__":
    main()
