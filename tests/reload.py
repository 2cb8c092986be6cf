#!/usr/bin/env python3
"""Hot policy reload under load: nwsim run forwards a capture replayed without end while the
topology file is rewritten and SIGHUP sent 100 times, alternating a policy that allows the
traffic with one that denies it, with every tenth file broken. Checks: broken files are refused
and the running version stays; every packet is accounted for; each version's packets all got
that version's verdict (all delivered under the allowing one, all dropped under the denying one),
so each packet was judged by exactly one version; the versions' packets add up to all received.
Also: a SIGTERM or SIGHUP that comes while nwsim run is still starting (compiling, starting
DPDK) neither kills it nor leaves its control socket behind; -o json carries the reloads.
    usage: reload.py NWSIM PROJECT-ROOT"""
import json
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

from tcheck import Checks


def topo(access):
    return ('{"virtualNetworks": [{"name": "vnet1", "addressSpace": ["10.0.0.0/16"], "subnets": [{"name": "web", '
            '"addressPrefix": "10.0.0.0/24", "networkSecurityGroup": "nsg1"}]}], "networkSecurityGroups": [{"name": "nsg1", '
            '"securityRules": [{"name": "web-80", "priority": 100, "direction": "Inbound", "access": "%s", "protocol": "Tcp", '
            '"sourceAddressPrefix": "Internet", "sourcePortRange": "*", "destinationAddressPrefix": "*", '
            '"destinationPortRange": "80"}]}], "virtualMachines": [{"name": "vm1", "networkInterfaces": [{"name": "vm1-nic", '
            '"subnet": "vnet1/web", "privateIpAddress": "10.0.0.4"}]}]}' % access)


def write_capture(path, n):
    """n TCP SYNs from the internet to vm1:80, each from its own port: every one's fate is the policy's."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i in range(n):
        tcp = struct.pack("!HHIIBBHHH", 1024 + i, 80, 1, 0, 0x50, 0x02, 65535, 0, 0)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xffff, 0, 64, 6, 0, bytes([203, 0, 113, 1 + i % 200]),
                         bytes([10, 0, 0, 4]))
        frame = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + tcp
        out += struct.pack("<IIII", 1700000000, i, len(frame), len(frame)) + frame
    open(path, "wb").write(out)


def main():
    nwsim = sys.argv[1]
    checks = Checks()
    check = checks.check
    procs = []
    try:
        signals_at_start(nwsim, check, procs)
        for workers in ("1", "0"):
            run_one(nwsim, workers, check, procs)
    finally:
        for p in procs:  # never leave nwsim running when a check raises
            if p.poll() is None:
                p.kill()
    checks.finish()


def wait_caught(pid, sig, timeout=20.0):
    """Until the process catches sig: a fixed sleep loses the race on a slow machine (ASan's start-up)."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            for line in open("/proc/%d/status" % pid):
                if line.startswith("SigCgt:") and int(line.split()[1], 16) >> (sig - 1) & 1:
                    return
        except OSError:
            return
        time.sleep(0.001)


def signals_at_start(nwsim, check, procs):
    with tempfile.TemporaryDirectory() as tmp:
        tpath, cap, sock = os.path.join(tmp, "topo.json"), os.path.join(tmp, "syn.pcap"), os.path.join(tmp, "ctl.sock")
        write_capture(cap, 100)
        open(tpath, "w").write(topo("Allow"))
        for sig, reloads in ((signal.SIGTERM, 0), (signal.SIGHUP, 1)):
            p = subprocess.Popen([nwsim, "run", "-t", tpath, "--workers", "0", "--control", sock, "-o", "json",
                                  "--duration", "2" if sig == signal.SIGHUP else "30", "--",
                                  "--vdev", "net_pcap0,rx_pcap=%s,tx_pcap=/dev/null,infinite_rx=1" % cap],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            procs.append(p)
            wait_caught(p.pid, sig)  # its handlers are in place; the topology and DPDK are not up yet
            p.send_signal(sig)
            out, err = p.communicate(timeout=60)
            try:
                r = json.loads(out)
            except ValueError:
                r = {}
            name = signal.Signals(sig).name
            check("%s during start-up: nwsim run ends with status 0 and its summary" % name,
                  p.returncode == 0 and r.get("accountingBalanced") is True, "status %s: %s" % (p.returncode, err[-500:]))
            check("%s during start-up: the control socket is removed" % name, not os.path.exists(sock))
            check("%s during start-up: -o json counts %d reload%s" % (name, reloads, "" if reloads == 1 else "s"),
                  r.get("policy", {}).get("reloads") == reloads and len(r.get("policy", {}).get("versions", [])) == reloads + 1,
                  json.dumps(r.get("policy")))


def run_one(nwsim, workers, check, procs):
    with tempfile.TemporaryDirectory() as tmp:
        tpath, cap = os.path.join(tmp, "topo.json"), os.path.join(tmp, "syn.pcap")
        write_capture(cap, 1000)

        def put(text):
            # Written beside and renamed: nwsim never reads half a file.
            open(tpath + ".new", "w").write(text)
            os.rename(tpath + ".new", tpath)

        put(topo("Allow"))
        p = subprocess.Popen([nwsim, "run", "-v", "-t", tpath, "--workers", workers, "-o", "table", "--",
                              "--vdev", "net_pcap0,rx_pcap=%s,tx_pcap=/dev/null,infinite_rx=1" % cap],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(p)
        errlines, cond = [], threading.Condition()

        def reader():
            # A thread reads standard error: select() on a buffered pipe misses lines already read.
            for line in p.stderr:
                with cond:
                    errlines.append(line)
                    cond.notify_all()

        rt = threading.Thread(target=reader, daemon=True)
        rt.start()
        seen = [0]

        def wait_line(pattern, timeout=10.0):
            end = time.time() + timeout
            with cond:
                while True:
                    while seen[0] < len(errlines):
                        line = errlines[seen[0]]
                        seen[0] += 1
                        if re.search(pattern, line):
                            return line
                    left = end - time.time()
                    if left <= 0:
                        return None
                    cond.wait(left)

        started = wait_line(r"compiled to .* rte_acl rules")
        time.sleep(0.3)
        kinds, refused_seen, lost = ["Allow"], 0, 0
        for i in range(100):
            if i % 10 == 9:
                put("{ broken")
                expect = r"reload refused: .*topo.json: not valid JSON.*; policy version %d keeps running" % len(kinds)
            else:
                access = "Deny" if kinds[-1] == "Allow" else "Allow"
                put(topo(access))
                expect = r"reload: policy version %d runs" % (len(kinds) + 1)
            p.send_signal(signal.SIGHUP)
            if wait_line(expect) is None:
                lost += 1
                continue
            if i % 10 == 9:
                refused_seen += 1
            else:
                kinds.append(access)
            time.sleep(0.01)  # some traffic under each version
        p.send_signal(signal.SIGTERM)
        out = p.stdout.read()
        p.wait(timeout=60)
        rt.join(timeout=10)
        check(("--workers %s: " % workers) + "nwsim run started and answered every one of 100 SIGHUPs (90 reloads, 10 refusals)",
              started is not None and lost == 0 and refused_seen == 10 and len(kinds) == 91, "".join(errlines)[-1500:])
        check(("--workers %s: " % workers) + "nwsim run exits 0: accounting balanced, the port's count equals nwsim's", p.returncode == 0,
              "status %s: %s" % (p.returncode, "".join(errlines)[-800:]))
        m = re.search(r"policy reloads: (\d+) done, (\d+) refused", out)
        check(("--workers %s: " % workers) + "the summary counts 90 reloads done and 10 refused", m is not None and m.groups() == ("90", "10"), out[-1500:])
        vers = [tuple(int(x) for x in v) for v in
                re.findall(r"policy version (\d+): received (\d+), delivered (\d+), dropped (\d+), unparsed (\d+)", out)]
        check(("--workers %s: " % workers) + "a tally for each of the 91 versions, in order", [v[0] for v in vers] == list(range(1, 92)), out[-1500:])
        wrong = [(v, kinds[v[0] - 1]) for v in vers if v[0] - 1 < len(kinds) and
                 (v[4] != 0 or (v[2], v[3]) != ((v[1], 0) if kinds[v[0] - 1] == "Allow" else (0, v[1])))]
        check(("--workers %s: " % workers) + "every packet got the verdict of the version that judged it (none of another)", not wrong and vers,
              repr(wrong[:5]))
        total = re.search(r"port 0 \(net_pcap0\): port counted (\d+) in", out)
        busy = sum(1 for v in vers if v[1] > 0)
        check(("--workers %s: " % workers) + "the versions' packets add up to every packet the port received; traffic under most versions",
              total is not None and sum(v[1] for v in vers) == int(total.group(1)) > 0 and busy >= 80,
              "sum %d, port %s, versions with traffic %d" % (sum(v[1] for v in vers), total.group(1) if total else None, busy))


if __name__ == "__main__":
    main()
