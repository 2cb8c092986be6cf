#!/usr/bin/env python3
"""Writes nwsim's bash completion from the --help texts of the nwsim binary given: the commands
from 'nwsim --help', each command's options and their values from its usage lines ('-o
json|table' offers json and table; FILE, TOPOLOGY and CAPTURE complete file names; -t only .json
files). Made at build time, so it offers what the binary takes.

usage: mkcompletion.py NWSIM OUT
"""
import re
import subprocess
import sys

COMMON = ["-t", "--topology", "-o", "--output", "-v", "--verbose", "--progress", "-q", "--quiet", "-h", "--help"]
FLAGS = ("-v", "--verbose", "--progress", "-q", "--quiet", "-h", "--help")
# Placeholders that name files, and the suffixes offered for them ("" for any file).
FILES = {"FILE": "", "TOPOLOGY": "json", "CAPTURE": "pcap pcapng cap gz", "SOCKET": ""}
# Placeholders for values the user makes up: an alternative list holding one is not a choice.
VALUES = {"VM", "IP", "FQDN", "URI", "NIC", "N", "PORT", "S", "PCT", "BYTES", "NAME", "PPS", "LIST", "SOCKET", "FILE"}


def helptext(nwsim, *args):
    return subprocess.run([nwsim] + list(args) + ["--help"], check=True, capture_output=True, text=True).stdout


def options(usage):
    """{option: ('choices', [..]) | ('files', suffixes) | ('value', None) | ('flag', None)} from usage lines."""
    opts = {}
    toks = re.findall(r"[^\s\[\]()]+", usage)
    for i, t in enumerate(toks):
        if not re.match(r"^--?[a-z][a-z0-9-]*$", t) or t == "--":
            continue
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if re.match(r"^--?[a-z]", nxt) or nxt in ("", "--", "|") or nxt.startswith("nwsim"):
            kind = ("flag", None)
        elif "|" in nxt and not any(a.split("[")[0] in VALUES or ":" in a for a in nxt.split("|")):
            kind = ("choices", [c for c in nxt.split("|") if c])
        elif nxt in FILES:
            kind = ("files", FILES[nxt])
        else:
            kind = ("value", None)
        opts.setdefault(t, kind)
    return opts


def main():
    nwsim, out = sys.argv[1:3]
    top = helptext(nwsim)
    m = re.search(r"^commands:\n((?:  \S.*\n)+)", top, re.M)
    cmds = [l.split()[0] for l in m.group(1).splitlines()]
    w = ["# bash completion for nwsim; generated from its --help by scripts/mkcompletion.py: do not edit.",
         "_nwsim_files() {",
         "\t# Files with one of the suffixes in $1 (any file when empty), and directories to go into.",
         "\tlocal f s",
         "\tCOMPREPLY=()",
         "\twhile IFS= read -r f; do",
         "\t\tif [ -d \"$f\" ] || [ -z \"$1\" ]; then COMPREPLY+=(\"$f\"); continue; fi",
         "\t\tfor s in $1; do case \"$f\" in *.\"$s\") COMPREPLY+=(\"$f\");; esac; done",
         "\tdone < <(compgen -f -- \"$cur\")",
         "\tcompopt -o filenames 2>/dev/null",
         "}",
         "_nwsim() {",
         "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} i",
         "\tCOMPREPLY=()",
         "\tif [ \"$COMP_CWORD\" -eq 1 ]; then",
         "\t\tCOMPREPLY=($(compgen -W \"%s --help --version\" -- \"$cur\"))" % " ".join(cmds),
         "\t\treturn",
         "\tfi",
         "\t# After '--' come DPDK's own options: nothing to offer.",
         "\tfor ((i = 2; i < COMP_CWORD; i++)); do [ \"${COMP_WORDS[i]}\" = -- ] && return; done",
         "\tcase \"${COMP_WORDS[1]}\" in"]
    for c in cmds:
        h = helptext(nwsim, c)
        usage = h.split("\n\n")[0]
        opts = options(usage)
        for o in COMMON:
            opts.setdefault(o, ("flag", None) if o in FLAGS else ("value", None))
        opts["-t"] = opts["--topology"] = ("files", "json")
        if "-o" in opts and opts["-o"][0] == "choices":
            opts["--output"] = opts["-o"]
        w.append("\t%s)" % c)
        w.append("\t\tcase \"$prev\" in")
        for o, (kind, arg) in sorted(opts.items()):
            if kind == "choices":
                w.append("\t\t%s) COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return;;" % (o, " ".join(arg)))
            elif kind == "files":
                w.append("\t\t%s) _nwsim_files \"%s\"; return;;" % (o, arg))
            elif kind == "value":
                w.append("\t\t%s) return;;" % o)
        w.append("\t\tesac")
        positional = re.search(r"\b(CAPTURE)\.\.\.", usage)
        if positional:
            w.append("\t\tif [ \"${cur:0:1}\" != - ]; then _nwsim_files \"%s\"; return; fi" % FILES[positional.group(1)])
        w.append("\t\tCOMPREPLY=($(compgen -W \"%s\" -- \"$cur\"));;" % " ".join(sorted(opts)))
    w += ["\tesac", "}", "complete -F _nwsim nwsim"]
    open(out, "w").write("\n".join(w) + "\n")


if __name__ == "__main__":
    main()
