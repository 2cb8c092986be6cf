#!/usr/bin/env python3
"""The topology view in a real browser: nwsim writes the HTML page (with a probe's path), Debian's
chromium loads it headless at 1400x900 and 800x600, and what the browser ends with is checked:
- every virtual network, subnet, NIC and gateway of the topology is there, the page's own script
  ran and built the hops table;
- the path, from the SVG geometry the browser computed: no segment of it crosses a box that is
  not on the path (nor a subnet or network that holds none of its hops), every segment is
  horizontal or vertical and ends in an arrow, every hop drawn carries its number from the hops
  table, and every label lies inside the drawing;
- the hops table sits beside the drawing at 1400x900 and starts inside the window at both sizes;
- a blocked path is marked with a red cross at the hop that blocks it; a routing question (an
  on-premises address the topology has no host facts for) is not: it is drawn as routed.
The dot and SVG forms are checked for the same nodes as text. Screenshots are left in
topology-view/ of the build directory, to look at.

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

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars"]

# Run in the page after its own script: what the browser laid out, as JSON in a <pre>.
PROBE = r"""<script>
(function(){
  var svg = document.querySelector('#drawing svg'), vb = svg.viewBox.baseVal, num = function(e, a){ return +e.getAttribute(a); };
  var boxes = Array.from(svg.querySelectorAll('.node')).map(function(g){
    var r = g.querySelector('rect');
    return {kind: g.dataset.kind, node: g.dataset.node, x: num(r, 'x'), y: num(r, 'y'), w: num(r, 'width'), h: num(r, 'height')};
  });
  var paths = Array.from(svg.querySelectorAll('polyline.path')).map(function(p){
    return {marker: p.getAttribute('marker-end'), pts: p.getAttribute('points').trim().split(/\s+/).map(function(q){
      return q.split(',').map(Number); })};
  });
  var hops = Array.from(svg.querySelectorAll('.hop-num')).map(function(g){ return {n: +g.dataset.hop, node: g.dataset.node}; });
  var texts = Array.from(svg.querySelectorAll('text')).map(function(t){
    var b = t.getBBox(); return {x: b.x, y: b.y, w: b.width, h: b.height, text: t.textContent}; });
  var rect = function(e){ var r = e.getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  var rows = Array.from(document.querySelectorAll('#hops tbody tr')).map(function(tr){ return tr.cells[0].textContent; });
  var pre = document.createElement('pre');
  pre.id = 'geometry';
  pre.textContent = JSON.stringify({view: {w: vb.width, h: vb.height}, boxes: boxes, paths: paths, hops: hops, texts: texts,
    table: rect(document.getElementById('hops')), drawing: rect(svg), window: {w: innerWidth, h: innerHeight}, rows: rows});
  document.body.appendChild(pre);
})();
</script>"""


def browser():
    for b in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(b):
            return b
    return None


def dom(b, path, tmp, size="1400,900"):
    p = subprocess.run([b] + FLAGS + ["--user-data-dir=" + os.path.join(tmp, "profile"), "--window-size=" + size,
                                      "--virtual-time-budget=2000", "--dump-dom", "file://" + path],
                       capture_output=True, text=True, timeout=120)
    return p.stdout


def screenshot(b, path, tmp, size, out):
    subprocess.run([b] + FLAGS + ["--user-data-dir=" + os.path.join(tmp, "profile"), "--window-size=" + size,
                                  "--screenshot=" + out, "file://" + path], capture_output=True, timeout=120)


def inside(a, b):
    return b["x"] <= a["x"] and b["y"] <= a["y"] and a["x"] + a["w"] <= b["x"] + b["w"] and a["y"] + a["h"] <= b["y"] + b["h"]


def crosses(seg, r):
    """Whether an axis-parallel segment passes through the inside of box r (its border excluded)."""
    (x1, y1), (x2, y2) = seg
    lx, hx, ly, hy = r["x"] + 1, r["x"] + r["w"] - 1, r["y"] + 1, r["y"] + r["h"] - 1
    return max(min(x1, x2), lx) < min(max(x1, x2), hx) + (x1 == x2) and \
        max(min(y1, y2), ly) < min(max(y1, y2), hy) + (y1 == y2) and lx < max(x1, x2) and min(x1, x2) < hx and \
        ly < max(y1, y2) and min(y1, y2) < hy


def geometry(d):
    m = re.search(r'<pre id="geometry">(.*?)</pre>', d, re.S)
    return json.loads(m.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")) \
        if m else None


def path_checks(check, g, what):
    if g is None:
        check(what + ": the browser laid the page out", False, "no geometry report")
        return
    on_path = {h["node"] for h in g["hops"]}
    hop_boxes = [b for b in g["boxes"] if b["node"] in on_path]
    # Boxes the path may cross: its own hops and the subnets and networks that hold one of them.
    free = [b for b in g["boxes"] if b["node"] not in on_path and not any(inside(h, b) for h in hop_boxes)]
    segs = [(p["pts"][i], p["pts"][i + 1]) for p in g["paths"] for i in range(len(p["pts"]) - 1)]
    hit = ["%s through %s" % (s, b["node"]) for s in segs for b in free if crosses(s, b)]
    check(what + ": the path (%d segments) crosses no box off it" % len(segs), segs and not hit, "; ".join(hit[:5]))
    check(what + ": every segment is horizontal or vertical, every step ends in an arrow",
          all(a[0] == b[0] or a[1] == b[1] for a, b in segs) and all(p["marker"] for p in g["paths"]),
          json.dumps(g["paths"])[:300])
    drawn = sorted(h["n"] for h in g["hops"])
    check(what + ": the hops drawn carry the table's numbers (%s of %s)" % (drawn, g["rows"]),
          g["rows"] == [str(i + 1) for i in range(len(g["rows"]))] and drawn and set(map(str, drawn)) <= set(g["rows"]),
          json.dumps(g["hops"]))
    out = [t["text"] for t in g["texts"] if t["x"] < 0 or t["y"] < 0 or t["x"] + t["w"] > g["view"]["w"] + 0.5 or
           t["y"] + t["h"] > g["view"]["h"] + 0.5]
    check(what + ": every label lies inside the drawing", not out, repr(out[:5]))


def main():
    nwsim, root = sys.argv[1], sys.argv[2]
    topo_path = os.path.join(root, "docs", "examples", "connectivity.json")
    topo = json.load(open(topo_path))
    checks = Checks()
    check = checks.check
    shots = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(nwsim))), "topology-view")
    os.makedirs(shots, exist_ok=True)

    b = browser()
    if not b:
        check("a headless browser is installed (scripts/test.sh installs Debian's chromium)", False, "none found")
        sys.exit(1)
    nics = [n["name"] for vm in topo["virtualMachines"] for n in vm["networkInterfaces"]]
    vnets = [v["name"] for v in topo["virtualNetworks"]]
    subnets = ["%s/%s" % (v["name"], s["name"]) for v in topo["virtualNetworks"] for s in v["subnets"]]
    with tempfile.TemporaryDirectory() as tmp:
        def page_for(name, args):
            page = os.path.join(tmp, name + ".html")
            p = subprocess.run([nwsim, "topology", "-t", topo_path, "-o", "html", "--output-file", page] + args,
                               capture_output=True, text=True, timeout=60)
            check("nwsim topology writes the page (%s)" % name, p.returncode == 0 and os.path.exists(page), p.stderr)
            probe = os.path.join(tmp, name + "-probe.html")
            open(probe, "w").write(open(page).read().replace("</body>", PROBE + "</body>"))
            for size in ("1400,900", "800,600"):
                screenshot(b, page, tmp, size, os.path.join(shots, "%s-%s.png" % (name, size.replace(",", "x"))))
            return page, probe

        page, probe = page_for("blocked", ["--path-from", "web1", "--path-to", "db1", "--port", "22"])
        d = dom(b, page, tmp)
        names = set(re.findall(r'data-kind="(\w+)" data-node="\w+" data-name="([^"]*)"', d))
        check("the browser's DOM has every virtual network", all(("vnet", v) in names for v in vnets), str(names))
        check("... every subnet", all(("subnet", s) in names for s in subnets), str(names))
        check("... every NIC", all(("nic", n) in names for n in nics), str(names))
        check("... the gateway and the internet", ("gateway", "hub-vpn") in names and ("internet", "Internet") in names, str(names))
        check("... the peerings, one line a pair", len(re.findall(r'class="peering" data-kind="peering"', d)) == 2, d[:300])
        m = re.search(r'data-ready="(\d+)"', d)
        check("the page's script ran over every node", m is not None and int(m.group(1)) == len(re.findall(r'class="node ', d)),
              d[:300])
        rows = re.findall(r'<tr class="hop-row">', d)
        check("the script built the hops table: one row per hop (3: the peerings are links, as Azure lists them)", len(rows) == 3,
              str(len(rows)))
        check("the path is drawn, unreachable, in two steps, the NSG that blocks it marked at hop 3",
              'data-status="Unreachable"' in d and len(re.findall(r'data-kind="path"', d)) == 2 and
              'data-kind="blocked" data-issue="NetworkSecurityRule" data-hop="3"' in d and
              "NetworkSecurityRule: RuleName=DenyVnetInbound" in d,
              d[-800:])
        for size in ("1400,900", "800,600"):
            g = geometry(dom(b, probe, tmp, size))
            path_checks(check, g, "blocked path at %s" % size.replace(",", "x"))
            if g:
                t, w = g["table"], g["window"]
                beside = t["left"] >= g["drawing"]["right"] if size == "1400,900" else True
                check("at %s the hops table starts inside the window%s" % (size.replace(",", "x"),
                                                                          ", beside the drawing" if size == "1400,900" else ""),
                      beside and 0 <= t["top"] < w["h"] - 60 and t["right"] <= w["w"], json.dumps([t, g["drawing"], w]))
        # A reachable path to on-premises: no block mark, the gateway and on-premises on it.
        page, probe = page_for("onprem", ["--path-from", "db1", "--path-to", "192.168.10.20", "--port", "8080"])
        d = dom(b, page, tmp)
        check("a reachable path through the VPN gateway to on-premises: drawn hop by hop, nothing blocked",
              'data-status="Reachable"' in d and 'data-kind="blocked"' not in d and
              len(re.findall(r'data-kind="hop"', d)) == 4 and len(re.findall(r'<tr class="hop-row">', d)) == 4, d[-800:])
        path_checks(check, geometry(dom(b, probe, tmp)), "path to on-premises")
        # A routing question: an on-premises address nothing is known of. Routed there, not blocked.
        page, probe = page_for("routed", ["--path-from", "db1", "--path-to", "192.168.10.99", "--port", "8080"])
        d = dom(b, page, tmp)
        check("a routing question (no host facts at the end): drawn as routed, with no red cross",
              'data-status="Routed"' in d and 'data-kind="blocked"' not in d and 'data-kind="unanswered"' in d and
              'class="path routed"' in d and 'class="path blocked"' not in d, d[-800:])
        path_checks(check, geometry(dom(b, probe, tmp)), "routed path")
        for fmt in ("svg", "dot"):
            p = subprocess.run([nwsim, "topology", "-t", topo_path, "-o", fmt], capture_output=True, text=True, timeout=60)
            check("-o %s names every NIC and virtual network" % fmt,
                  p.returncode == 0 and all(n in p.stdout for n in nics + vnets), p.stderr)
    checks.finish()


if __name__ == "__main__":
    main()
