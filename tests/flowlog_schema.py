#!/usr/bin/env python3
"""NSG flow logs (version 2) and virtual network flow logs (version 4) as the documented schemas
have them, field by field.

The schema: learn.microsoft.com, network-watcher/nsg-flow-logs-overview ("Log format", version 2):
a record per NSG, MAC address and minute with time, systemId, macAddress, category
(NetworkSecurityGroupFlowEvent), resourceId (the NSG's, upper-case), operationName
(NetworkSecurityGroupFlowEvents) and properties {Version 2, flows: [{rule, flows: [{mac,
flowTuples}]}]}; a tuple is 13 comma-separated fields: unix time, source and destination address,
source and destination port, protocol T or U, direction I or O, decision A or D, flow state B
(begin), C (continuing) or E (end), then packets and bytes source to destination and destination to
source, empty for B. A denied flow is a B tuple with decision D and no counts (a real 2022 log:
"...,T,I,D,B,,,," lines under DefaultRule_DenyAllInBound).
nwsim writes protocols other than TCP and UDP by number (docs/commands.md): allowed here.

Virtual network flow logs: learn.microsoft.com, network-watcher/vnet-flow-logs-overview ("Log
format"): a record per NIC (MAC address) and interval with time, flowLogVersion (4), flowLogGUID,
macAddress, category and operationName (FlowLogFlowEvent), flowLogResourceID, targetResourceID,
flowRecords {flows: [{aclID, flowGroups: [{rule, flowTuples}]}]}; a tuple is 13 fields: unix time
in milliseconds, source and destination address and port, protocol as its IANA number, direction
I or O, state B (begin, no statistics), C, E or D (denied), encryption (X, NX, NX_...), then the
four counts.
    usage: flowlog_schema.py NWSIM PROJECT-ROOT"""
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile

from tcheck import Checks

RECORD_KEYS = ["time", "systemId", "macAddress", "category", "resourceId", "operationName", "properties"]
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAC = re.compile(r"^[0-9A-F]{12}$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")
NSG_ID = re.compile(r"^/SUBSCRIPTIONS/[^/]+/RESOURCEGROUPS/[^/]+/PROVIDERS/MICROSOFT\.NETWORK/NETWORKSECURITYGROUPS/[^/]+$")


def tuple_problem(t):
    f = t.split(",")
    if len(f) != 13:
        return "%d fields, not 13" % len(f)
    try:
        int(f[0])
        ipaddress.ip_address(f[1])
        ipaddress.ip_address(f[2])
        if not (0 <= int(f[3]) <= 65535 and 0 <= int(f[4]) <= 65535):
            return "port out of range"
    except ValueError as e:
        return str(e)
    if f[5] not in ("T", "U") and not f[5].isdigit():
        return "protocol " + f[5]
    if f[6] not in ("I", "O") or f[7] not in ("A", "D") or f[8] not in ("B", "C", "E"):
        return "direction/decision/state " + ",".join(f[6:9])
    counts = f[9:]
    if f[8] == "B" and counts != ["", "", "", ""]:
        return "counts on a B tuple"
    if f[8] != "B" and not all(c.isdigit() for c in counts):
        return "counts missing on a %s tuple" % f[8]
    if f[7] == "D" and f[8] != "B":
        return "a denied flow in state " + f[8]
    return None


VNET_KEYS = ["time", "flowLogVersion", "flowLogGUID", "macAddress", "category", "flowLogResourceID", "targetResourceID",
             "operationName", "flowRecords"]
FLOWLOG_ID = re.compile(r"^/SUBSCRIPTIONS/[^/]+/RESOURCEGROUPS/[^/]+/PROVIDERS/MICROSOFT\.NETWORK/NETWORKWATCHERS/[^/]+/FLOWLOGS/[^/]+$")
VNET_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+$")


def tuple4_problem(t):
    f = t.split(",")
    if len(f) != 13:
        return "%d fields, not 13" % len(f)
    try:
        ipaddress.ip_address(f[1])
        ipaddress.ip_address(f[2])
        if len(f[0]) != 13 or not all(0 <= int(x) <= 65535 for x in (f[3], f[4])) or not 0 <= int(f[5]) <= 255:
            return "time in ms, ports, protocol number"
    except ValueError as e:
        return str(e)
    if f[6] not in ("I", "O") or f[7] not in ("B", "C", "E", "D") or not re.match(r"^(X|NX(_[A-Z_]+)?)$", f[8]):
        return "direction/state/encryption " + ",".join(f[6:9])
    if not all(c.isdigit() for c in f[9:]):
        return "counts"
    if f[7] == "B" and f[9:] != ["0", "0", "0", "0"]:
        return "statistics on a B tuple"
    return None


def check_vnet(check, log):
    recs = log.get("records", [])
    check("vnet: records, not empty", isinstance(recs, list) and len(recs) > 0)
    check("vnet: record keys, in the documented order", all(list(r) == VNET_KEYS for r in recs),
          json.dumps([list(r) for r in recs][:1]))
    check("vnet: time, version 4, GUID, MAC, category, operationName",
          all(TIME.match(r["time"]) and r["flowLogVersion"] == 4 and GUID.match(r["flowLogGUID"]) and
              MAC.match(r["macAddress"]) and r["category"] == "FlowLogFlowEvent" and
              r["operationName"] == "FlowLogFlowEvent" for r in recs))
    check("vnet: flowLogResourceID a flow log's id (upper-case), targetResourceID a virtual network's",
          all(FLOWLOG_ID.match(r["flowLogResourceID"]) and VNET_ID.match(r["targetResourceID"]) for r in recs))
    acls = [a for r in recs for a in r["flowRecords"]["flows"]]
    check("vnet: flowRecords.flows[]: aclID (a GUID) and flowGroups",
          all(list(r["flowRecords"]) == ["flows"] for r in recs) and
          all(list(a) == ["aclID", "flowGroups"] and GUID.match(a["aclID"]) for a in acls))
    groups = [g for a in acls for g in a["flowGroups"]]
    check("vnet: flowGroups[]: rule and flowTuples", all(list(g) == ["rule", "flowTuples"] and
                                                         re.match(r"^(UserRule|DefaultRule)_.+", g["rule"]) for g in groups))
    tuples = [t for g in groups for t in g["flowTuples"]]
    bad = [(t, tuple4_problem(t)) for t in tuples if tuple4_problem(t)]
    check("vnet: every tuple as the schema has it (%d tuples)" % len(tuples), tuples and not bad, str(bad[:3]))
    states = {t.split(",")[7] for t in tuples}
    check("vnet: B, E or C, and D (denied) tuples", {"B", "D"} <= states and bool(states & {"C", "E"}), str(states))
    return tuples


def main():
    nwsim, root = sys.argv[1], sys.argv[2]
    checks = Checks()
    check = checks.check
    topo = os.path.join(root, "docs", "examples", "hub-spoke.json")
    cap = os.path.join(root, "pcap-samples", "hub-spoke.pcap")
    with tempfile.TemporaryDirectory() as tmp:
        out, vout = os.path.join(tmp, "flows.json"), os.path.join(tmp, "vnet.json")
        p = subprocess.run([nwsim, "replay", "-t", topo, "--flow-log", out, "--vnet-flow-log", vout, cap, "-o", "json"],
                           capture_output=True, text=True)
        check("replay --flow-log --vnet-flow-log runs", p.returncode == 0, p.stderr)
        log = json.load(open(out)) if p.returncode == 0 else {"records": []}
        vlog = json.load(open(vout)) if p.returncode == 0 else {"records": []}
    recs = log.get("records", [])
    check("records: a list, not empty", isinstance(recs, list) and len(recs) > 0)
    check("record keys, in the documented order", all(list(r) == RECORD_KEYS for r in recs),
          json.dumps([list(r) for r in recs][:2]))
    check("time: ISO 8601 with 7 decimals and Z", all(TIME.match(r["time"]) for r in recs))
    check("systemId: a GUID", all(GUID.match(r["systemId"]) for r in recs))
    check("macAddress: 12 upper-case hex digits", all(MAC.match(r["macAddress"]) for r in recs))
    check("category and operationName", all(r["category"] == "NetworkSecurityGroupFlowEvent" and
                                            r["operationName"] == "NetworkSecurityGroupFlowEvents" for r in recs))
    check("resourceId: an NSG's id, upper-case", all(NSG_ID.match(r["resourceId"]) for r in recs))
    check("properties: Version 2 and flows", all(list(r["properties"]) == ["Version", "flows"] and
                                                 r["properties"]["Version"] == 2 for r in recs))
    rules = [g for r in recs for g in r["properties"]["flows"]]
    check("flows[]: rule (UserRule_ or DefaultRule_) and flows", all(list(g) == ["rule", "flows"] and
                                                                     re.match(r"^(UserRule|DefaultRule)_.+", g["rule"])
                                                                     for g in rules))
    macs = [(r["macAddress"], m) for r in recs for g in r["properties"]["flows"] for m in g["flows"]]
    check("flows[].flows[]: mac and flowTuples; the mac is the record's", all(list(m) == ["mac", "flowTuples"] and
                                                                              m["mac"] == mac for mac, m in macs))
    tuples = [t for _, m in macs for t in m["flowTuples"]]
    bad = [(t, tuple_problem(t)) for t in tuples if tuple_problem(t)]
    check("every tuple: 13 fields as the schema has them (%d tuples)" % len(tuples), tuples and not bad, str(bad[:3]))
    states = {t.split(",")[7] + t.split(",")[8] for t in tuples}
    check("the capture gives allowed B, C or E and denied B tuples", {"AB", "DB"} <= states and ("AE" in states or "AC" in states),
          str(states))
    vtuples = check_vnet(check, vlog)
    check("vnet: the same flows as the NSG flow log (one tuple for each)", len(vtuples) == len(tuples),
          "%d against %d" % (len(vtuples), len(tuples)))
    checks.finish()


if __name__ == "__main__":
    main()
