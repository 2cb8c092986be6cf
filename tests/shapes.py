#!/usr/bin/env python3
"""Answer shapes as Azure answers today, field by field, each from a real answer (named beside it).
The recorded az exchanges (recorded.py) cover IP flow verify and next hop; this covers what no
recording here holds:
- effective routes: the keys, in order, of a system route and of a user route, and the values of
  the fields nwsim does not model (hasBgpOverride, destinationServiceTags, tagMap). Source: the
  response body quoted in Azure/azure-powershell issue #23091 (2023, Get-AzEffectiveRouteTable's
  REST answer): system routes carry no name.
- the 12 further None routes of that answer's era (azure-semantics.md, "Today's Azure").
- IP flow verify's ruleId for a user rule: NSG id + /securityRules/NAME (the REST reference's
  VerificationIPFlowResult; a default rule's is "", as the az recording shows).
- connection troubleshoot: a hop's keys (the REST reference's ConnectivityHop, in its order), a
  link's (HopLink), and the walkthrough's recorded answer for
  a VM whose NSG denies 3389 and which does not listen there: on that hop, a NetworkSecurityRule
  issue (Inbound, RuleName the rule's ARM id) and NoListenerOnDestination (Local, no context).
  Source: learn.microsoft.com, network-watcher/connection-troubleshoot-cli, as
  azure-semantics-detail.md section 11 quotes it; tests/e2e/conn-today.json is its network.
    usage: shapes.py NWSIM PROJECT-ROOT"""
import json
import os
import subprocess
import sys

from tcheck import Checks

SYSTEM_KEYS = ["disableBgpRoutePropagation", "source", "state", "hasBgpOverride", "addressPrefix", "nextHopType",
               "nextHopIpAddress", "destinationServiceTags", "tagMap"]
EXTRA_NONE = ["25.48.0.0/12", "25.4.0.0/14", "198.18.0.0/15", "157.59.0.0/16", "25.33.0.0/16", "40.109.0.0/16",
              "104.147.0.0/16", "104.146.0.0/17", "40.108.0.0/17", "23.103.0.0/18", "25.41.0.0/20", "20.35.252.0/22"]


def main():
    nwsim, root = sys.argv[1], sys.argv[2]
    checks = Checks()
    check = checks.check
    run = lambda args: subprocess.run([nwsim] + args, capture_output=True, text=True, timeout=120)
    ex = os.path.join(root, "docs", "examples")
    p = run(["show-effective-route-table", "-t", os.path.join(ex, "routing-example.json"), "--nic", "vm1-nic"])
    routes = json.loads(p.stdout)["value"] if p.returncode == 0 else []
    system = [r for r in routes if r.get("source") == "Default"]
    user = [r for r in routes if r.get("source") == "User"]
    check("effective routes: every system route has exactly the keys of the real answer, in its order",
          system and all(list(r) == SYSTEM_KEYS for r in system), json.dumps(system[:2]))
    check("effective routes: a user route has its name first, then the same keys",
          user and all(list(r) == ["name"] + SYSTEM_KEYS for r in user), json.dumps(user[:1]))
    check("effective routes: hasBgpOverride false, destinationServiceTags [], tagMap {} on every route",
          routes and all(r["hasBgpOverride"] is False and r["destinationServiceTags"] == [] and r["tagMap"] == {}
                         for r in routes))
    nones = {r["addressPrefix"][0] for r in system if r["nextHopType"] == "None"}
    check("effective routes: the 12 further None routes are listed (a user 0.0.0.0/0 route leaves them)",
          all(x in nones for x in EXTRA_NONE), str(sorted(nones)))
    p = run(["test-ip-flow", "-t", os.path.join(ex, "web-app.json"), "--vm", "web1", "--direction", "Inbound",
             "--protocol", "TCP", "--local", "10.0.1.4:443", "--remote", "13.107.21.200:50000"])
    got = json.loads(p.stdout) if p.returncode == 0 else {}
    nsg = json.loads(run(["list-effective-nsg", "-t", os.path.join(ex, "web-app.json"), "--nic", "web1-nic"]).stdout)
    nsg_ids = {v["networkSecurityGroup"]["id"] for v in nsg.get("value", [])}
    check("test-ip-flow: access, ruleName, ruleId in that order; a user rule's id is its NSG's id + /securityRules/NAME",
          list(got) == ["access", "ruleName", "ruleId"] and any(got["ruleId"] == i + "/securityRules/AllowHTTPS"
                                                                for i in nsg_ids), p.stdout + str(nsg_ids))
    connection(check, run, root)
    checks.finish()


HOP_KEYS = ["type", "id", "address", "resourceId", "nextHopIds", "previousHopIds", "links", "previousLinks", "issues"]
LINK_KEYS = ["nextHopId", "linkType", "properties", "context", "issues", "resourceId"]
# The recorded answer's issues on the denied VM's hop (the subscription and group are the walkthrough's).
RECORDED = [{"context": [{"key": "RuleName", "value": "/subscriptions/abcdef01-2345-6789-0abc-def012345678/resourceGroups/"
                          "myResourceGroup/providers/Microsoft.Network/networkSecurityGroups/VM2-nsg/SecurityRules/Deny3389Inbound"}],
             "origin": "Inbound", "severity": "Error", "type": "NetworkSecurityRule"},
            {"context": [], "origin": "Local", "severity": "Error", "type": "NoListenerOnDestination"}]


def arm_tail(v):
    """An ARM id from providers/ on, compared as Azure compares them (case-insensitively)."""
    return v[v.lower().find("/providers/"):].lower() if "/providers/" in v.lower() else v


def connection(check, run, root):
    topo = os.path.join(root, "tests", "e2e", "conn-today.json")
    p = run(["test-connectivity", "-t", topo, "--source-resource", "VM1", "--dest-resource", "VM2", "--dest-port", "3389",
             "--probes", "3"])
    hops = json.loads(p.stdout)["hops"] if p.returncode == 0 else []
    check("test-connectivity: every hop has the keys of ConnectivityHop in the REST reference's order (then nwsim's counters)",
          hops and all([k for k in h if k not in ("probesReached", "probesDropped")] == HOP_KEYS for h in hops), p.stdout[:600])
    links = [l for h in hops for l in h.get("links", []) + h.get("previousLinks", [])]
    check("test-connectivity: every link has the keys of HopLink, context an object",
          links and all(list(l) == LINK_KEYS and l["context"] == {} for l in links), json.dumps(links[:1]))
    got = [{"context": [{"key": c["key"], "value": arm_tail(c["value"])} for c in i["context"]], "origin": i["origin"],
            "severity": i["severity"], "type": i["type"]} for i in (hops[-1]["issues"] if hops else [])]
    want = [{"context": [{"key": c["key"], "value": arm_tail(c["value"])} for c in i["context"]], "origin": i["origin"],
             "severity": i["severity"], "type": i["type"]} for i in RECORDED]
    check("test-connectivity: the denied VM's hop carries the recorded answer's two issues, field by field",
          got == want, json.dumps(got))


if __name__ == "__main__":
    main()
