#!/usr/bin/env python3
"""Nothing lost at the edges, end to end:
- a refused run (no capture readable, a link type nwsim cannot read, a bad topology, a bad
  option) leaves none of its output files behind;
- a write that fails (standard output, --report, --verdicts, --flow-log, --vnet-flow-log, the capture writers,
  topology's --output-file, all on /dev/full) fails the command with status 1 and one line;
- more workers than the CPUs this process may use are refused in one line (status 2);
- a gzip-compressed capture, and one read from standard input, replay exactly as the file does;
- on a terminal, the progress line of --loop moves past 0%, and reading standard input shows
  how much was read.
    usage: edges.py NWSIM PROJECT-ROOT"""
import gzip
import json
import os
import pty
import re
import subprocess
import sys
import tempfile

from tcheck import Checks


def one_line(p, rc, want):
    lines = p.stderr.splitlines()
    return p.returncode == rc and len(lines) == 1 and re.search(want, lines[0]) is not None


def main():
    nwsim, root = sys.argv[1], sys.argv[2]
    checks = Checks()
    check = checks.check
    hub = os.path.join(root, "docs", "examples", "hub-spoke.json")
    web = os.path.join(root, "docs", "examples", "web-app.json")
    cap = os.path.join(root, "pcap-samples", "hub-spoke.pcap")
    ifv = ["--vm", "web1", "--direction", "Inbound", "--protocol", "TCP", "--local", "10.0.1.4:443",
           "--remote", "13.107.21.200:50000"]

    def run(args, **kw):
        return subprocess.run([nwsim] + args, capture_output=True, text=True, **kw)

    with tempfile.TemporaryDirectory() as tmp:
        outs = {n: os.path.join(tmp, n) for n in ("v.jsonl", "flows.json", "allowed.pcap", "denied.pcap", "report.json")}
        writers = ["--verdicts", outs["v.jsonl"], "--flow-log", outs["flows.json"], "--write-allowed", outs["allowed.pcap"],
                   "--write-denied", outs["denied.pcap"], "--report", outs["report.json"]]
        text = os.path.join(tmp, "notes.txt")
        open(text, "w").write("not a capture\n")
        wifi = os.path.join(tmp, "wifi.pcap")
        open(wifi, "wb").write(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000069000000"))
        broken = os.path.join(tmp, "broken.json")
        open(broken, "w").write("{ nope")
        for name, args in (("no capture readable", ["-t", hub, os.path.join(tmp, "missing.pcap"), text]),
                           ("a link type nwsim cannot read", ["-t", hub, wifi]),
                           ("a bad topology", ["-t", broken, cap]),
                           ("a bad option", ["-t", hub, "--rate", "0", cap])):
            p = run(["replay"] + writers + args)
            left = [n for n, path in outs.items() if os.path.exists(path)]
            check("refused replay (%s): status %d, no output file left behind" % (name, p.returncode),
                  p.returncode in (2, 3) and not left, "left: %s; %s" % (left, p.stderr))

        # Every output stream: a failed write is a failed command.
        for name, args in (
                ("test-ip-flow, standard output", ["test-ip-flow", "-t", web] + ifv),
                ("test-ip-flow --batch, standard output", ["test-ip-flow", "-t", web, "--batch",
                                                          os.path.join(root, "tests", "e2e", "batch.txt")]),
                ("list-effective-nsg, standard output", ["list-effective-nsg", "-t", web, "--nic", "web1-nic"]),
                ("replay summary, standard output", ["replay", "-t", hub, "--workers", "0", cap]),
                ("topology, standard output", ["topology", "-t", web]),
                ("nwsim --help, standard output", ["--help"])):
            with open("/dev/full", "w") as full:
                p = subprocess.run([nwsim] + args, stdout=full, stderr=subprocess.PIPE, text=True)
            check("%s on a full disk: status 1, one line" % name,
                  one_line(p, 1, r"^nwsim: standard output: cannot write: No space left on device$"), p.stderr)
        for opt in ("--report", "--verdicts", "--flow-log", "--vnet-flow-log", "--write-allowed", "--write-denied"):
            p = run(["replay", "-t", hub, "--workers", "0", opt, "/dev/full", cap])
            check("replay %s /dev/full: status 1, one line" % opt,
                  one_line(p, 1, r"^nwsim: /dev/full: cannot write: No space left on device$"), p.stderr)
        p = run(["topology", "-t", web, "--output-file", "/dev/full"])
        check("topology --output-file /dev/full: status 1, one line", one_line(p, 1, r"/dev/full: cannot write"), p.stderr)

        # Workers beyond the CPUs: refused before DPDK starts, in one line.
        ncpu = len(os.sched_getaffinity(0))
        for w in (ncpu, 64):
            p = run(["replay", "-t", hub, "--workers", str(w), cap])
            check("replay --workers %d with %d CPUs: status 2, one line" % (w, ncpu),
                  one_line(p, 2, r"^nwsim: replay: --workers: %d worker lcores and the main one need %d CPUs" % (w, w + 1)),
                  p.stderr)

        # gzip and standard input give the replay of the file itself.
        gz = os.path.join(tmp, "hub-spoke.pcap.gz")
        with open(cap, "rb") as f, gzip.open(gz, "wb") as g:
            g.write(f.read())
        want = run(["replay", "-t", hub, "-o", "json", "--workers", "0", cap])

        def same(p):
            a, b = json.loads(want.stdout), json.loads(p.stdout)
            a.pop("captures"), b.pop("captures")
            return p.returncode == 0 and a == b

        check("a gzip-compressed capture replays as the capture", same(run(["replay", "-t", hub, "-o", "json", "--workers", "0", gz])))
        with open(cap, "rb") as f:
            p = subprocess.run([nwsim, "replay", "-t", hub, "-o", "json", "--workers", "0", "-"], stdin=f, capture_output=True)
        p.stdout = p.stdout.decode()
        check("a capture on standard input replays as the capture, named stdin",
              same(p) and json.loads(p.stdout)["captures"][0]["file"] == "stdin")

        # Progress on a terminal: through the passes of --loop, and in bytes from a pipe.
        def progress(args, stdin=None):
            master, slave = pty.openpty()
            p = subprocess.Popen([nwsim] + args, stdin=stdin, stdout=subprocess.DEVNULL, stderr=slave)
            os.close(slave)
            seen = b""
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            p.wait()
            os.close(master)
            return p.returncode, seen.decode(errors="replace")

        big = os.path.join(root, "pcap-samples", "public", "suricata__output-eve-ftp-data-255flows.pcap")
        rc, seen = progress(["replay", "-t", hub, "--workers", "0", "--loop", "30", "--rate", "40000", big])
        pcts = [int(x) for x in re.findall(r"pass \d+ of 30, +(\d+)%", seen)]
        check("--loop on a terminal: the progress line moves past 0%", rc == 0 and pcts and max(pcts) > 0, seen[-300:])
        rc, seen = progress(["replay", "-t", hub, "--workers", "0", "--rate", "2000", big])
        pcts = [int(x) for x in re.findall(r"255flows.pcap: \d+ packets, +(\d+)%", seen)]
        check("a capture on a terminal: the progress line climbs from below 100%",
              rc == 0 and len(pcts) > 1 and pcts[0] < 100 and pcts == sorted(pcts), seen[-300:])
        cat = subprocess.Popen(["cat", big], stdout=subprocess.PIPE)
        rc, seen = progress(["replay", "-t", hub, "--workers", "0", "--rate", "2000", "-"], stdin=cat.stdout)
        cat.wait()
        check("a pipe on standard input on a terminal: progress in packets and MiB read",
              rc == 0 and re.search(r"stdin: \d+ packets, [\d.]+ MiB read", seen) is not None, seen[-300:])
    checks.finish()


if __name__ == "__main__":
    main()
