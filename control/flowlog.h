/*
 * NSG flow logs in Azure's version 2 format: one record per NSG and minute, flows grouped by rule
 * and by NIC MAC address, each flow a tuple
 * "time,src,dst,sport,dport,T|U,I|O,A|D,B|C|E|D,packets out,bytes out,packets back,bytes back".
 */
#ifndef FLOWLOG_H
#define FLOWLOG_H

#include <stdio.h>

#include "dp_engine.h"

struct flowlog_tuple {
	int nsg, nic;
	const struct topo_rule *rule;
	uint64_t minute;
	char text[200];
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

#endif
