#!/usr/bin/env python3
"""The topology view in a real browser: nwsim writes the HTML page (with a probe's path), Debian's
chromium loads it headless, and the DOM it ends with must hold the expected nodes: every virtual
network, subnet, NIC and gateway of the topology, the path's hops, the mark on the hop that
blocks it, and the hops table that the page's own script builds (so the script ran). The dot and
SVG forms are checked for the same nodes as text.

usage: topology_view.py NWSIM PROJECT-ROOT
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from tcheck import Checks  # noqa: E402


def browser():
    for b in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(b):
            return b
    return None


def dom(b, path, tmp):
    p = subprocess.run([b, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + os.path.join(tmp, "profile"),
                        "--dump-dom", "file://" + path], capture_output=True, text=True, timeout=120)
    return p.stdout


def main():
    nwsim, root = sys.argv[1], sys.argv[2]
    topo_path = os.path.join(root, "docs", "examples", "connectivity.json")
    topo = json.load(open(topo_path))
    checks = Checks()
    check = checks.check

    b = browser()
    if not b:
        check("a headless browser is installed (scripts/test.sh installs Debian's chromium)", False, "none found")
        sys.exit(1)
    nics = [n["name"] for vm in topo["virtualMachines"] for n in vm["networkInterfaces"]]
    vnets = [v["name"] for v in topo["virtualNetworks"]]
    subnets = ["%s/%s" % (v["name"], s["name"]) for v in topo["virtualNetworks"] for s in v["subnets"]]
    with tempfile.TemporaryDirectory() as tmp:
        page = os.path.join(tmp, "view.html")
        p = subprocess.run([nwsim, "topology", "-t", topo_path, "-o", "html", "--path-from", "web1", "--path-to", "db1",
                            "--port", "22", "--output-file", page], capture_output=True, text=True, timeout=60)
        check("nwsim topology writes the HTML page", p.returncode == 0 and os.path.exists(page), p.stderr)
        d = dom(b, page, tmp)
        names = set(re.findall(r'data-kind="(\w+)" data-name="([^"]*)"', d))
        check("the browser's DOM has every virtual network", all(("vnet", v) in names for v in vnets), str(names))
        check("... every subnet", all(("subnet", s) in names for s in subnets), str(names))
        check("... every NIC", all(("nic", n) in names for n in nics), str(names))
        check("... the gateway and the internet", ("gateway", "hub-vpn") in names and ("internet", "Internet") in names, str(names))
        check("... the peerings, one line a pair", len([k for k in names if k[0] == "peering"]) == 2, str(names))
        m = re.search(r'data-ready="(\d+)"', d)
        check("the page's script ran over every node", m is not None and int(m.group(1)) == len(re.findall(r'class="node ', d)),
              d[:300])
        rows = re.findall(r'<tr class="hop-row">', d)
        check("the script built the hops table: one row per hop (5 through the appliance and two peerings)", len(rows) == 5,
              str(len(rows)))
        check("the path is drawn, unreachable, and the NSG that blocks it is marked",
              'data-status="Unreachable"' in d and len(re.findall(r'data-kind="path"', d)) == 2 and
              'data-kind="blocked" data-issue="NetworkSecurityRule"' in d and "UserRule_DenyVnetInbound" in d, d[-800:])
        # A reachable path to on-premises: no block mark, the gateway and on-premises on it.
        p = subprocess.run([nwsim, "topology", "-t", topo_path, "-o", "html", "--path-from", "db1", "--path-to",
                            "192.168.10.20", "--port", "8080", "--output-file", page], capture_output=True, text=True, timeout=60)
        d = dom(b, page, tmp)
        check("a reachable path through the VPN gateway to on-premises: drawn hop by hop, nothing blocked",
              p.returncode == 0 and 'data-status="Reachable"' in d and 'data-kind="blocked"' not in d and
              len(re.findall(r'data-kind="hop"', d)) == 4 and len(re.findall(r'<tr class="hop-row">', d)) == 5, d[-800:])
        for fmt in ("svg", "dot"):
            p = subprocess.run([nwsim, "topology", "-t", topo_path, "-o", fmt], capture_output=True, text=True, timeout=60)
            check("-o %s names every NIC and virtual network" % fmt,
                  p.returncode == 0 and all(n in p.stdout for n in nics + vnets), p.stderr)
    checks.finish()


if __name__ == "__main__":
    main()
