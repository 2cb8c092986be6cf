#!/usr/bin/env python3
"""Ask nwsim the questions az asked Azure in the az CLI's recorded tests, and compare.

Each directory under tests/import/recordings/ holds, unchanged from one recording:
  deployment.json  the deployment request az sent (template and parameters): the network
  exchanges.json   the Network Watcher requests az sent and Azure's answers to them
The network is loaded from the template as ARM would deploy it; each request is turned into the
nwsim command that asks the same; every field of Azure's answer is compared with nwsim's.
Where they differ, the difference must be listed in known-differences.txt (with the issue that
will remove it); a difference not listed fails, and so does a listed one that no longer occurs,
so the list cannot go stale.

usage: recorded.py NWSIM SOURCE-ROOT
"""
import json
import os
import subprocess
import sys
import tempfile

RES = {"ipFlowVerify": "test-ip-flow", "nextHop": "show-next-hop"}


def arm_parts(rid):
    """subscription, resource group and name of an ARM id (keywords compared as Azure does)."""
    seg = rid.strip("/").split("/")
    low = [s.lower() for s in seg]
    return seg[low.index("subscriptions") + 1], seg[low.index("resourcegroups") + 1], seg[-1]


def command(op, req):
    _, _, vm = arm_parts(req["targetResourceId"])
    if op == "ipFlowVerify":
        return ["test-ip-flow", "--vm", vm, "--direction", req["direction"],
                "--protocol", req["protocol"],
                "--local", "%s:%s" % (req["localIPAddress"], req["localPort"]),
                "--remote", "%s:%s" % (req["remoteIPAddress"], req["remotePort"])]
    if op == "nextHop":
        return ["show-next-hop", "--vm", vm, "--source-ip", req["sourceIPAddress"],
                "--dest-ip", req["destinationIPAddress"]]
    raise SystemExit("recorded.py: no nwsim command for operation " + op)


def shown(answer, key):
    return json.dumps(answer[key]) if key in answer else "(absent)"


def differences(nwsim, rdir, tmp):
    name = os.path.basename(rdir)
    dep = json.load(open(os.path.join(rdir, "deployment.json")))["properties"]
    tpl = os.path.join(tmp, name + "-template.json")
    par = os.path.join(tmp, name + "-parameters.json")
    json.dump(dep["template"], open(tpl, "w"))
    json.dump({"parameters": dep.get("parameters", {})}, open(par, "w"))
    out = []
    for i, ex in enumerate(json.load(open(os.path.join(rdir, "exchanges.json")))):
        req, want = ex["request"], ex["response"]
        sub, rg, _ = arm_parts(req["targetResourceId"])
        argv = [nwsim] + command(ex["operation"], req) + [
            "-t", tpl, "--parameters", par, "--subscription", sub, "--resource-group", rg,
            "-o", "json"]
        p = subprocess.run(argv, capture_output=True, text=True)
        tag = "%s #%d %s" % (name, i, ex["operation"])
        if p.returncode != 0:
            err = p.stderr.strip().splitlines()
            out.append("%s: nwsim exits %d: %s" % (tag, p.returncode, err[-1] if err else ""))
            continue
        got = json.loads(p.stdout)
        for key in sorted(set(want) | set(got)):
            if (key in want) != (key in got) or want.get(key) != got.get(key):
                out.append("%s: %s: azure %s, nwsim %s"
                           % (tag, key, shown(want, key), shown(got, key)))
    return out


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    nwsim, root = sys.argv[1], sys.argv[2]
    base = os.path.join(root, "tests", "import", "recordings")
    known = set()
    for line in open(os.path.join(base, "known-differences.txt")):
        line = line.rstrip("\n")
        if line and not line.startswith("#"):
            known.add(line)
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        for d in sorted(os.listdir(base)):
            if os.path.isdir(os.path.join(base, d)):
                found += differences(nwsim, os.path.join(base, d), tmp)
    new = [d for d in found if d not in known]
    gone = sorted(known - set(found))
    for d in new:
        print("differs from Azure's recorded answer, not listed: " + d)
    for d in gone:
        print("listed as differing, but now agrees (remove it from known-differences.txt): " + d)
    asked = sum(len(json.load(open(os.path.join(base, d, "exchanges.json"))))
                for d in os.listdir(base) if os.path.isdir(os.path.join(base, d)))
    print("%d recorded questions, %d known differences, %d new, %d gone"
          % (asked, len(known), len(new), len(gone)))
    return 1 if new or gone else 0


if __name__ == "__main__":
    sys.exit(main())
