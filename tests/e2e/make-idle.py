#!/usr/bin/env python3
"""Write tests/e2e/idle.pcap: SSH from the office to web1 of docs/examples/hub-spoke.json that
goes quiet past nwsim's 240 s flow idle time twice, so the flow log shows flows that ended by
ageing out (E) and one still open at the end (C).

usage: make-idle.py OUTPUT.pcap
"""
import importlib.util
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("samples", os.path.join(here, "..", "..", "scripts", "make-samples.py"))
s = importlib.util.module_from_spec(spec)
spec.loader.exec_module(s)

OFFICE, WEB = "192.168.10.20", "10.1.1.4"
# (seconds after T0, from the office?, TCP flags)
PLAN = [(0.0, True, s.SYN), (0.5, False, s.SYNACK), (1.0, True, s.ACK),
        (400.0, True, s.ACK), (400.5, False, s.ACK),
        (700.0, False, s.PSHACK), (701.0, True, s.ACK)]


def main():
    with open(sys.argv[1], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, fwd, flags in PLAN:
            seg = s.tcp(52100, 22, flags) if fwd else s.tcp(22, 52100, flags)
            fr = s.ether(s.ipv4(OFFICE, WEB, 6, seg) if fwd else s.ipv4(WEB, OFFICE, 6, seg))
            f.write(struct.pack("<IIII", s.T0 + int(t), int((t % 1) * 1e6), len(fr), len(fr)))
            f.write(fr)


if __name__ == "__main__":
    main()
