/*
 * NSGs judging a set of flows rather than one: NSG diagnostics' profiles (a source or destination
 * prefix, a port range or '*', any protocol) and IP flow verify with '*' as a port. Per NSG, the
 * rule that decides is the highest-priority rule that matches some flow of the set, as Azure's
 * NSG diagnostics answers (docs/semantics.md). Exact: each field is an interval, and a rule side
 * matches when its address ranges (tags and ASGs as the NSG's network sees them) or port ranges
 * meet the profile's.
 */
#ifndef NSG_SET_H
#define NSG_SET_H

#include "nsg.h"

struct nsg_flowset {
	int proto;                   /* enum az_proto; AZ_PROTO_ANY: every protocol */
	struct nws_prefix src, dst;  /* one family */
	uint16_t sport_lo, sport_hi; /* 0..65535 for '*' */
	uint16_t dport_lo, dport_hi;
};

/* Which of a rule's fields some flow of the set meets (NSG diagnostics' rulesEvaluationResult). */
struct nsg_set_fields {
	bool proto, src, sport, dst, dport;
};

/*
 * Whether rule r (of an NSG seen from network vnet) matches some flow of s; fields, when not NULL,
 * gets each field's answer. -1 when out of memory.
 */
int nsg_set_rule_matches(const struct nsg_model *m, int vnet, const struct topo_rule *r, const struct nsg_flowset *s,
			 struct nsg_set_fields *fields);
/* The first rule of instance inst, in evaluation order, that matches some flow of s (NULL: out of memory). */
const struct topo_rule *nsg_set_eval(const struct nsg_model *m, int inst, enum az_dir dir, const struct nsg_flowset *s);
/* IP flow verify of the set at a NIC configuration: each NSG met, in order, and the verdict. -1: out of memory. */
int nsg_set_verify(const struct nsg_model *m, int nic, int ipcfg, enum az_dir dir, const struct nsg_flowset *s,
		   struct nsg_verdict *v);
/* The set holding exactly one flow (ports 0 when it has none). */
void nsg_flowset_of(const struct nws_flow *f, struct nsg_flowset *s);

#endif
