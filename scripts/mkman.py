#!/usr/bin/env python3
"""Writes nwsim(1) from the --help texts of the nwsim binary given: the overview from
'nwsim --help', one section per command from 'nwsim COMMAND --help'. The page says nothing the
help does not, so the two cannot drift apart.

usage: mkman.py NWSIM OUT VERSION DOCDIR
"""
import re
import subprocess
import sys


def helptext(nwsim, *args):
    return subprocess.run([nwsim] + list(args) + ["--help"], check=True, capture_output=True, text=True).stdout


def roff(s):
    """Text as roff: backslashes and hyphens escaped, no line starting with a control character."""
    s = s.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + l if l[:1] in (".", "'") else l) for l in s.split("\n"))


def paragraphs(text):
    return [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]


def usage_lines(u):
    """Usage lines without 'usage: ', their continuations moved left as far."""
    out = []
    for l in u.split("\n"):
        if l.startswith("usage: "):
            out.append(l[7:])
        else:
            out.append(l[7:] if l.startswith(" " * 7) else l.strip())
    return "\n".join(out)


def usage_and_text(h):
    """A command's help: its usage lines (kept as laid out) and its prose (refilled by roff)."""
    parts = paragraphs(h)
    return parts[0], parts[1:]


def main():
    nwsim, out, version, docdir = sys.argv[1:5]
    top = helptext(nwsim)
    m = re.search(r"^commands:\n((?:  \S.*\n)+)", top, re.M)
    if not m:
        sys.exit("mkman: no command list in 'nwsim --help'")
    cmds = [re.match(r"  (\S+)\s+(.*)", l).groups() for l in m.group(1).splitlines()]
    rest = top[m.end():]
    status = re.search(r"^exit status:\n((?:  \S.*\n)+)", rest, re.M)
    notes = rest[:status.start()] if status else rest
    w = ['.TH NWSIM 1 "" "nwsim %s" "User Commands"' % version,
         ".SH NAME", "nwsim \\- Azure Network Watcher's questions answered offline, on a DPDK dataplane",
         ".SH SYNOPSIS", ".nf", roff(usage_lines(top.split("\n\n")[0])), ".fi",
         ".SH DESCRIPTION"]
    for p in paragraphs(notes):
        w += [".PP", roff(" ".join(p.split()))]
    w += [".PP", "The commands:"]
    for name, summary in cmds:
        w += [".TP", ".B " + roff(name), roff(summary)]
    w.append(".SH COMMANDS")
    for name, _ in cmds:
        usage, prose = usage_and_text(helptext(nwsim, name))
        w += [".SS " + roff(name), ".nf", roff(usage_lines(usage)), ".fi"]
        for p in prose:
            w += [".PP", roff(" ".join(p.split()))]
    if status:
        w.append(".SH EXIT STATUS")
        for l in status.group(1).splitlines():
            code, what = l.strip().split(None, 1)
            w += [".TP", ".B " + code, roff(what)]
    w += [".SH FILES", ".TP", ".I " + roff(docdir),
          roff("the documentation (commands.md, errors.md, semantics.md, topology-format.md), the example "
               "topologies (examples/) and captures (pcap-samples/)"),
          ".SH SEE ALSO", "tcpdump(1), tshark(1), dpdk-testpmd(1)"]
    open(out, "w").write("\n".join(w) + "\n")


if __name__ == "__main__":
    main()
