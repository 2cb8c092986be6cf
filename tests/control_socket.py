#!/usr/bin/env python3
"""nwsim run's control socket: created 0600; counters that move while traffic flows; IP flow
verify answered as the command line answers it; reload of a changed file (the answer changes)
and of a broken one (refused, the version stays); malformed, unknown and over-long requests
answered with an error; clients that leave mid-request or without reading do no harm; the socket
file goes when nwsim stops.
    usage: control_socket.py NWSIM PROJECT-ROOT"""
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

from reload import topo, write_capture
from tcheck import Checks

QUERY = "--vm vm1 --direction Inbound --protocol TCP --local 10.0.0.4:80 --remote 198.51.100.7:40000"


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    return s, s.makefile("rw")


def ask(f, req):
    f.write((req if isinstance(req, str) else json.dumps(req)) + "\n")
    f.flush()
    line = f.readline()
    try:
        return json.loads(line)
    except ValueError:
        return {"unreadable": line}


def main():
    nwsim = sys.argv[1]
    checks = Checks()
    procs = []
    try:
        run(nwsim, checks.check, procs)
    finally:
        for p in procs:  # never leave nwsim running when a check raises
            if p.poll() is None:
                p.kill()
    checks.finish()


def run(nwsim, check, procs):
    with tempfile.TemporaryDirectory() as tmp:
        tpath, cap, sock = os.path.join(tmp, "topo.json"), os.path.join(tmp, "syn.pcap"), os.path.join(tmp, "nwsim.sock")
        write_capture(cap, 200)
        open(tpath, "w").write(topo("Allow"))
        regular = os.path.join(tmp, "file")
        open(regular, "w").close()
        p = subprocess.run([nwsim, "run", "-t", tpath, "--control", regular, "--", "--vdev",
                            "net_pcap0,rx_pcap=%s,tx_pcap=/dev/null" % cap], capture_output=True, text=True, timeout=60)
        check("--control at a regular file: refused with one line, status 2, the file kept",
              p.returncode == 2 and len(p.stderr.splitlines()) == 1 and "exists and is not a socket" in p.stderr and
              os.path.isfile(regular), p.stderr)
        p = subprocess.Popen([nwsim, "run", "-t", tpath, "--workers", "1", "--control", sock, "-o", "table", "--",
                              "--vdev", "net_pcap0,rx_pcap=%s,tx_pcap=/dev/null,infinite_rx=1" % cap],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(p)
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        st = os.stat(sock)
        check("the socket is a socket with mode 0600", stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
              oct(st.st_mode))
        s, f = connect(sock)
        for _ in range(100):  # the socket is there before the ports start
            c1 = ask(f, {"command": "counters"})
            if c1.get("received", 0) > 0:
                break
            time.sleep(0.05)
        time.sleep(0.3)
        c2 = ask(f, {"command": "counters"})
        check("counters: received moves while traffic flows; delivered + dropped + unparsed <= received",
              c2.get("received", 0) > c1.get("received", 0) > 0 and
              c2["delivered"] + c2["dropped"] + c2["unparsed"] <= c2["received"] and c2["policyVersion"] == 1, json.dumps([c1, c2]))
        cli = subprocess.run([nwsim, "test-ip-flow", "-t", tpath] + QUERY.split(), capture_output=True, text=True)
        want = json.loads(cli.stdout)
        got = ask(f, {"command": "test-ip-flow", "query": QUERY})
        check("test-ip-flow: the command line's answer, with the policy version",
              got == dict(want, policyVersion=1) and want["access"] == "Allow", json.dumps([got, want]))
        for req, part in (("garbage", "not a JSON object"), ('{"command": 7}', "command: missing, or not a string"),
                          ('{"command": "shutdown"}', "'shutdown' is not counters, reload or test-ip-flow"),
                          ('{"command": "test-ip-flow"}', "query: missing"),
                          ('{"command": "test-ip-flow", "query": "--vm nobody --direction Inbound"}', "query: --protocol is required")):
            r = ask(f, req)
            check("%s: an error answer" % req, part in r.get("error", ""), json.dumps(r))
        check("the same connection still answers after the errors", ask(f, {"command": "counters"}).get("received", 0) > 0)
        # Two requests on one line: an answer for each, on lines of their own, in order.
        f.write('{"command": "counters"} {"command": "test-ip-flow"}\n')
        f.flush()
        one, two = json.loads(f.readline()), json.loads(f.readline())
        check("a line holding two requests: each answered, in order", "received" in one and "query: missing" in two.get("error", ""),
              json.dumps([one, two]))
        # Clients that leave mid-request, or send a line longer than any request.
        half, _ = connect(sock)
        half.sendall(b'{"command": "coun')
        half.close()
        long_s, long_f = connect(sock)
        long_s.sendall(b"x" * 5000)
        r = long_f.readline()
        after = ask(long_f, "yyy\n" + json.dumps({"command": "counters"}))
        check("a 5,000-byte line: an error answer; the rest of the line is dropped and the next request answered",
              "longer than 4096" in r and after.get("received", 0) > 0, r + json.dumps(after))
        long_s.close()
        s2, f2 = connect(sock)
        check("after those, a new client is answered", ask(f2, {"command": "counters"}).get("received", 0) > 0)
        # Reload through the socket: the changed file's verdict, then a broken file refused.
        open(tpath + ".new", "w").write(topo("Deny"))
        os.rename(tpath + ".new", tpath)
        r = ask(f2, {"command": "reload"})
        got = ask(f2, {"command": "test-ip-flow", "query": QUERY})
        check("reload: version 2 runs, and denies what version 1 allowed",
              r == {"policyVersion": 2} and got == {"access": "Deny", "ruleName": "securityRules/web-80",
                                               "ruleId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/nwsim"
                                               "/providers/Microsoft.Network/networkSecurityGroups/nsg1/securityRules/web-80",
                                               "policyVersion": 2},
              json.dumps([r, got]))
        open(tpath, "w").write("{ broken")
        r = ask(f2, {"command": "reload"})
        c3 = ask(f2, {"command": "counters"})
        check("reload of a broken file: the loader's error, version 2 keeps running",
              "topo.json: not valid JSON" in r.get("error", "") and c3.get("policyVersion") == 2 and
              c3.get("reloads") == 1 and c3.get("reloadsRefused") == 1, json.dumps([r, c3]))
        s.close()
        s2.close()
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
        check("nwsim run exits 0 with balanced accounting, and the socket file is gone",
              p.returncode == 0 and not os.path.exists(sock), err[-600:])


if __name__ == "__main__":
    main()
