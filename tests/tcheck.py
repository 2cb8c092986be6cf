"""What the Python end-to-end tests share: named checks with a tally, and a plain pcap reader."""
import os
import struct
import sys


class Checks:
    """Each check prints 'ok' or 'FAIL' and its name (and, failing, what was seen); finish()
    prints the tally and exits non-zero when any failed."""

    def __init__(self):
        self.ok = self.bad = 0

    def check(self, name, good, detail=""):
        print(("ok   " if good else "FAIL ") + name + ("" if good or not detail else ": " + detail[-600:]))
        self.ok += bool(good)
        self.bad += not good

    def finish(self):
        print("%d passed, %d failed" % (self.ok, self.bad))
        sys.exit(1 if self.bad else 0)


def pcap_records(path):
    """The packets of a pcap file (either byte order), read plainly."""
    data = open(path, "rb").read()
    little = struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D)
    fmt = "<IIII" if little else ">IIII"
    out, off = [], 24
    while off < len(data):
        _, _, caplen, _ = struct.unpack(fmt, data[off:off + 16])
        out.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return out


def hosts_topology(nwsim, captures, path):
    """A topology that holds every IPv4 host of the captures as a VM of one network, without NSGs,
    so that their packets are delivered and their flows admitted (and can age out). Written to
    path; the hosts come from nwsim's own --verdicts on an empty network, so every capture nwsim
    reads will do. Returns how many hosts it holds."""
    import ipaddress
    import json
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        seed = os.path.join(tmp, "seed.json")
        json.dump({"virtualNetworks": [{"name": "seed", "addressSpace": ["198.18.0.0/24"],
                                        "subnets": [{"name": "s", "addressPrefix": "198.18.0.0/24"}]}],
                   "virtualMachines": [{"name": "seed", "networkInterfaces": [
                       {"name": "seed-nic", "subnet": "seed/s", "privateIpAddress": "198.18.0.4"}]}]}, open(seed, "w"))
        verdicts = os.path.join(tmp, "v.jsonl")
        subprocess.run([nwsim, "replay", "-t", seed, "--workers", "0", "--verdicts", verdicts] + list(captures),
                       capture_output=True, text=True)
        hosts = set()
        if not os.path.exists(verdicts):
            return 0  # a capture nwsim refuses: no verdicts
        for line in open(verdicts):
            v = json.loads(line)
            for end in ("source", "destination"):
                # "a.b.c.d", "a.b.c.d:port"; IPv6 ("[x]:port", or bare without ports) is left out.
                if end in v and not v[end].startswith("[") and v[end].count(":") <= 1:
                    a = ipaddress.ip_address(v[end].split(":")[0])
                    if not (a.is_multicast or a.is_unspecified or a.is_link_local or a == ipaddress.ip_address("255.255.255.255")):
                        hosts.add(a)
    subnets = sorted({ipaddress.ip_network("%s/24" % a, strict=False) for a in hosts})
    vms = []
    for i, a in enumerate(sorted(hosts)):
        net = ipaddress.ip_network("%s/24" % a, strict=False)
        vms.append({"name": "h%d" % i, "networkInterfaces": [
            {"name": "h%d-nic" % i, "subnet": "hosts/s%d" % subnets.index(net), "privateIpAddress": str(a)}]})
    json.dump({"virtualNetworks": [{"name": "hosts", "addressSpace": [str(n) for n in subnets],
                                    "subnets": [{"name": "s%d" % k, "addressPrefix": str(n)} for k, n in enumerate(subnets)]}],
               "virtualMachines": vms}, open(path, "w"), indent=1)
    return len(hosts)
