#!/usr/bin/env python3
"""nwsim run on virtual ports: what comes out the other side is exactly what replay says the
simulated network delivers, and the port counters agree with nwsim's.

1. net_pcap: the bundled capture is received on a port and what nwsim forwards is written out;
   the packets written are, byte for byte and in order, those `replay --write-allowed` keeps.
2. telemetry: /nwsim/counters answers on DPDK's telemetry socket while run runs.
3. net_af_packet on a veth pair inside network namespaces made for the test (skipped with a
   message where namespaces cannot be made): packets sent into one end come out of nwsim's egress
   port only when the topology lets them through.

usage: run_ports.py NWSIM PROJECT-ROOT
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

from tcheck import Checks, pcap_records  # noqa: E402

SEND = """
import socket, struct, sys, time
data = open(sys.argv[1], "rb").read()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[2], 0))
off = 24
while off < len(data):
    _, _, caplen, _ = struct.unpack("<IIII", data[off:off + 16])
    s.send(data[off + 16:off + 16 + caplen])
    off += 16 + caplen
    time.sleep(0.002)
"""

RECV = """
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[2], 0))
s.settimeout(0.2)
out, end = [], time.time() + float(sys.argv[3])
while time.time() < end:
    try:
        out.append(s.recv(65535))
    except socket.timeout:
        pass
with open(sys.argv[1], "wb") as f:
    for fr in out:
        f.write(len(fr).to_bytes(4, "little") + fr)
"""


def sh(*cmd):
    return subprocess.run(list(cmd), capture_output=True, text=True)


def telemetry(nwsim, topo):
    """/nwsim/counters on DPDK's telemetry socket, while run judges a net_null port's packets."""
    import glob
    import json
    import socket
    import time
    run = subprocess.Popen([nwsim, "run", "-t", topo, "--workers", "0", "--duration", "4", "--", "--no-pci",
                            "--vdev", "net_null0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    answer = None
    try:
        for _ in range(30):
            time.sleep(0.2)
            for path in glob.glob("/var/run/dpdk/*/dpdk_telemetry.v2"):
                try:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                    s.connect(path)
                    s.recv(1024)
                    s.send(b"/nwsim/counters")
                    answer = json.loads(s.recv(16384))["/nwsim/counters"]
                    s.close()
                except (OSError, ValueError, KeyError):
                    continue
            if answer and answer["received"] > 0:
                break
    finally:
        run.communicate(timeout=30)
    # Live counters are read while workers write them, so only their presence is checked here.
    return bool(answer) and answer["received"] > 0 and run.returncode == 0


def hugepages_reserved_elsewhere(nwsim, topo):
    """Hugepages another process has reserved (mapped, not yet touched, as a DPDK process does while
    it starts) count as free in /proc/meminfo but are not: nwsim must not start DPDK on them. The
    test reserves every free one, then runs a query and nwsim run. None where no hugepages are
    mounted (then there is nothing to take)."""
    import mmap
    info = {l.split(":")[0]: int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("HugePages_")}
    mounted = any(" hugetlbfs " in l for l in open("/proc/mounts"))
    free = info.get("HugePages_Free", 0) - info.get("HugePages_Rsvd", 0)
    if not mounted or free < 64:
        return None
    m = mmap.mmap(-1, free * 2 * 1024 * 1024, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS | 0x40000)  # MAP_HUGETLB
    try:
        q = subprocess.run([nwsim, "test-ip-flow", "-t", topo, "--vm", "web1", "--direction", "Outbound", "--protocol", "TCP",
                            "--local", "10.1.1.4:50000", "--remote", "8.8.8.8:443"], capture_output=True, text=True, timeout=60)
        r = subprocess.run([nwsim, "run", "-t", topo, "--workers", "0", "--duration", "0.5", "--", "--no-pci",
                            "--vdev", "net_null0"], capture_output=True, text=True, timeout=60)
    finally:
        m.close()
    return q.returncode == 0 and r.returncode == 0, q.stderr + r.stderr


def is_fragment(fr):
    return len(fr) >= 34 and fr[12:14] == b"\x08\x00" and (struct.unpack("!H", fr[20:22])[0] & 0x3FFF) != 0


def af_packet(nwsim, topo, cap, want, tmp, qpairs=1, workers=0):
    """Two namespaces, each with one end of a veth pair; the other ends are nwsim's ports.

    IP fragments are left out here: the kernels between the namespaces may reassemble them
    before a packet socket sees them (the net_pcap case covers fragments). With qpairs > 1 the
    kernel's fanout spreads flows over the queues and the worker polls them itself (nwsim says
    so with -v); flows may then come out interleaved differently, each in its own order. With
    two workers, each polls one queue: a flow's replies must meet the worker that admitted it, so
    as many packets pass as part of admitted flows as in a replay of the same frames."""
    frames = [f for f in pcap_records(cap) if not is_fragment(f)]
    want = [f for f in want if not is_fragment(f)]
    cap = os.path.join(tmp, "unfragmented.pcap")
    with open(cap, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for fr in frames:
            f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)
    if os.geteuid() != 0:
        return None, "needs root"
    ns = ("nwsim-a-%d" % os.getpid(), "nwsim-b-%d" % os.getpid())
    ends = [("nwa%d" % (os.getpid() % 10000), "nwpa%d" % (os.getpid() % 10000)),
            ("nwb%d" % (os.getpid() % 10000), "nwpb%d" % (os.getpid() % 10000))]
    try:
        for n, (inner, outer) in zip(ns, ends):
            for cmd in (["ip", "netns", "add", n], ["ip", "link", "add", inner, "type", "veth", "peer", "name", outer],
                        ["ip", "link", "set", inner, "netns", n]):
                r = sh(*cmd)
                if r.returncode:
                    return None, "cannot make network namespaces here (%s)" % r.stderr.strip()
            sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % outer)
            sh("ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % inner)
            sh("ip", "link", "set", outer, "up")
            sh("ip", "netns", "exec", n, "ip", "link", "set", inner, "up")
        send, recv = os.path.join(tmp, "send.py"), os.path.join(tmp, "recv.py")
        open(send, "w").write(SEND)
        open(recv, "w").write(RECV)
        got = os.path.join(tmp, "got.bin")
        # Three lcores on however many CPUs there are: the main one and two workers.
        lcores = ["--lcores", "0@0,1@%d,2@%d" % (1 % os.cpu_count(), 2 % os.cpu_count())] if workers > 1 else []
        run = subprocess.Popen([nwsim, "run", "-t", topo, "--workers", str(workers), "--idle-exit", "3",
                                "-v", "-o", "json", "--", "--no-pci"] + lcores + [
                                "--vdev", "net_af_packet0,iface=%s,qpairs=%d" % (ends[0][1], qpairs),
                                "--vdev", "net_af_packet1,iface=%s,qpairs=%d" % (ends[1][1], qpairs)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rx = subprocess.Popen(["ip", "netns", "exec", ns[1], sys.executable, recv, got, ends[1][0], "6"])
        import time
        time.sleep(1.5)
        sh("ip", "netns", "exec", ns[0], sys.executable, send, cap, ends[0][0])
        rx.wait(timeout=30)
        out, err = run.communicate(timeout=30)
        data, frames, off = open(got, "rb").read(), [], 0
        while off < len(data):
            n = int.from_bytes(data[off:off + 4], "little")
            frames.append(data[off + 4:off + 4 + n])
            off += 4 + n
        if run.returncode != 0:
            return False, "nwsim run failed: " + err[-500:]
        # Short frames are padded to 60 bytes on the wire; compare what was sent. The padding is
        # taken off by the frame's own content, not by its position: with two queue pairs frames
        # come out reordered, and a 60-byte frame cut to the length of another one never matches.
        def unpad(f):
            return next((w for w in want if len(w) < len(f) == 60 and f.startswith(w)), f)
        got_frames = [unpad(f) for f in frames]
        if qpairs > 1:
            if "workers poll %d receive queues per port" % qpairs not in err:
                return False, "the worker did not poll the queues itself: " + err[-500:]
            got_frames, want = sorted(got_frames), sorted(want)
        if workers > 1:
            rep = subprocess.run([nwsim, "replay", "-t", topo, "--workers", "0", "-o", "json", cap],
                                 capture_output=True, text=True)
            a = json.loads(out)["flows"]["packetsOfAdmittedFlows"]
            b = json.loads(rep.stdout)["flows"]["packetsOfAdmittedFlows"]
            if a != b:
                return False, "%d packets passed as part of admitted flows, %d in a replay" % (a, b)
            per = re.findall(r"worker \d received (\d+) packets", err)
            if len(per) != 2 or "0" in per:
                return False, "the fanout did not give both workers packets: " + err[-500:]
        if len(frames) != len(want) or got_frames != want:
            missing = [i for i, w in enumerate(want) if not any(f[:len(w)] == w for f in frames)]
            # The reason first and nwsim's report short: the check prints the last 600 characters.
            extra = [i for i, f in enumerate(got_frames) if f not in want]
            return False, "%d frames came out, %d expected; missing %s; unexpected %s; nwsim: %s" % (
                len(frames), len(want), missing, extra, out[-300:])
        return True, ""
    finally:
        for n in ns:
            sh("ip", "netns", "del", n)
        for _, outer in ends:
            sh("ip", "link", "del", outer)


def main():
    nwsim, root = sys.argv[1], sys.argv[2]
    topo = os.path.join(root, "docs", "examples", "hub-spoke.json")
    cap = os.path.join(root, "pcap-samples", "hub-spoke.pcap")
    tally = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        allowed = os.path.join(tmp, "allowed.pcap")
        subprocess.run([nwsim, "replay", "-t", topo, "--workers", "0", "--write-allowed", allowed, cap],
                       check=True, capture_output=True)
        want = pcap_records(allowed)
        for workers in ("0", "1"):
            out = os.path.join(tmp, "out-%s.pcap" % workers)
            p = subprocess.run([nwsim, "run", "-t", topo, "--workers", workers, "--idle-exit", "0.5", "-o", "json",
                                "--", "--no-pci", "--vdev", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (cap, out)],
                               capture_output=True, text=True, timeout=60)
            checks = [
                ("run exits cleanly with balanced accounting and agreeing port counters (%s workers)" % workers,
                 p.returncode == 0),
                ("net_pcap: forwarded packets are the delivered ones, in order (%s workers)" % workers,
                 os.path.exists(out) and pcap_records(out) == want),
            ]
            for name, good in checks:
                tally.check(name, good)
                if not good:
                    print(p.stdout[-2000:], p.stderr[-2000:])
        tally.check("telemetry: /nwsim/counters answers while run runs", telemetry(nwsim, topo))
        taken = hugepages_reserved_elsewhere(nwsim, topo)
        if taken is None:
            print("skip hugepages reserved by another process: no hugepages mounted here")
        else:
            tally.check("hugepages reserved by another process: a query and run start without them", taken[0], taken[1])
        for qpairs, workers in ((1, 0), (2, 1), (2, 2)):
            good, why = af_packet(nwsim, topo, cap, want, tmp, qpairs, workers)
            if good is None:
                print("skip net_af_packet in namespaces: " + why)
                break
            tally.check("net_af_packet, %d queue pair%s, %d worker%s: frames sent into one namespace come out in the "
                        "other exactly when delivered" % (qpairs, "s" if qpairs > 1 else "", workers,
                                                          "s" if workers != 1 else ""), good, why)
    tally.finish()


if __name__ == "__main__":
    main()
