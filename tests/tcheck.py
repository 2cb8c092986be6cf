"""What the Python end-to-end tests share: named checks with a tally, and a plain pcap reader."""
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
