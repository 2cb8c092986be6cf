"""ClassBench filter sets, read once for every script that uses them (the C reader is
control/bench.c's, for `nwsim bench --classbench`).

A filter line: '@SRC/LEN<tab>DST/LEN<tab>LO : HI<tab>LO : HI<tab>PROTO/MASK<tab>...', e.g.
'@10.0.0.0/8	192.168.1.0/24	0 : 65535	80 : 80	0x06/0xFF'.
"""
import collections
import ipaddress

Filter = collections.namedtuple("Filter", "src dst sport dport proto proto_mask")


def read(path):
    """The filters of a ClassBench file, in file order: prefixes as ip_network, ports as
    (low, high), the protocol and its mask as integers. Lines not starting with '@' are skipped."""
    out = []
    with open(path) as f:
        for line in f:
            t = line.split()
            if not t or not t[0].startswith("@"):
                continue
            pv, pm = (int(x, 16) for x in t[8].split("/"))
            out.append(Filter(ipaddress.ip_network(t[0][1:], strict=False), ipaddress.ip_network(t[1], strict=False),
                              (int(t[2]), int(t[4])), (int(t[5]), int(t[7])), pv, pm))
    return out
