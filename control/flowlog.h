/*
 * Flow logs, collected once and written in either of Azure's formats: NSG flow logs (version 2:
 * a record per NSG, NIC and minute, flows by rule, each a tuple
 * "time,src,dst,sport,dport,T|U,I|O,A|D,B|C|E,packets out,bytes out,packets back,bytes back") and
 * virtual network flow logs (version 4: a record per NIC and minute, flows by NSG and rule, each
 * "time ms,src,dst,sport,dport,protocol,I|O,B|C|E|D,NX,packets out,bytes out,packets back,bytes back").
 */
#ifndef FLOWLOG_H
#define FLOWLOG_H

#include <stdio.h>

#include "dp_engine.h"

struct flowlog_tuple {
	int nsg, nic, vnet; /* vnet: the network the NSG instance judged in */
	const struct topo_rule *rule;
	uint64_t minute, ts_ns;
	struct nws_flow f;
	enum az_dir dir;
	bool allow;
	char state;     /* B, C or E (a denied flow: B, not allow) */
	bool counts;    /* C and E: pk and by */
	uint64_t pk[2], by[2];
	char text[200]; /* the version 2 tuple, which also orders tuples within a group */
};

/*
 * Collected by the control thread from outcomes and, at the end, from the flow tables; flows that
 * expire on the way are collected by their worker in a flowlog of its own, merged at the end.
 */
struct flowlog {
	const struct topo *t;
	const struct nsg_model *m;
	struct flowlog_tuple *v;
	size_t n, cap;
	bool oom;
};

void flowlog_init(struct flowlog *fl, const struct topo *t, const struct nsg_model *m);
void flowlog_free(struct flowlog *fl);
/* D tuples for a packet an NSG dropped. */
void flowlog_denied(struct flowlog *fl, const struct dp_item *it, const struct dp_outcome *o);
/* B, and C or E, tuples for one admitted flow. */
void flowlog_flow(struct flowlog *fl, const struct dp_flow_entry *fe, const struct dp_flow_info *fi, bool ended);
/*
 * An engine's gone callback (arg: a flowlog of the worker's own): a flow that left the table
 * idle has ended.
 */
void flowlog_gone(void *arg, const struct dp_flow_entry *fe, const struct dp_flow_info *fi);
/* B, and C or E, tuples for every flow still in an engine's table. */
void flowlog_flows(struct flowlog *fl, const struct dp_engine *e);
/* Append what a worker's flowlog collected. */
void flowlog_merge(struct flowlog *fl, struct flowlog *from);
int flowlog_write(struct flowlog *fl, const char *path, struct nws_err *err);
/* The same flows as a virtual network flow log (version 4). */
int flowlog_write_vnet(struct flowlog *fl, const char *path, struct nws_err *err);

#endif
