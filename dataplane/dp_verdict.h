/*
 * What every packet the engine answers gets: its fate, and the NICs and rule that name it in
 * the counters. The hops themselves are a trace a caller asks for (struct dp_trace).
 */
#ifndef DP_VERDICT_H
#define DP_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "path.h"

struct dp_verdict {
	bool delivered;
	uint8_t code;     /* enum path_end when delivered, enum path_drop when not */
	int8_t drop_hop;  /* the hop that dropped it, -1 when delivered */
	uint8_t origin;   /* enum path_origin */
	uint8_t nhops;    /* hops taken */
	int32_t sent, at; /* NICs: the one that sent it, the one it reached or was dropped at; -1 none */
	uint32_t rule_id; /* the NSG rule that refused it (topo_rule.id), 0 none */
};

/* The NIC that sent a walked packet, and the one it reached or was dropped at: -1 none. */
static inline int dp_fate_sent(const struct path_result *r)
{
	return r->hops[0].kind == PATH_HOP_SOURCE ? r->hops[0].nic : -1;
}

static inline int dp_fate_at(const struct path_result *r)
{
	return !r->delivered ? r->hops[r->drop_hop].nic : r->end == PATH_END_VM ? r->hops[r->nhops - 1].nic : -1;
}

/* The rule that refused a walked packet, 0 none. */
static inline uint32_t dp_refusing_rule(const struct path_result *r)
{
	if (r->delivered || (r->reason != PATH_DROP_NSG_INBOUND && r->reason != PATH_DROP_NSG_OUTBOUND))
		return 0;
	const struct path_hop *h = &r->hops[r->drop_hop];
	const struct nsg_verdict *v = r->reason == PATH_DROP_NSG_INBOUND ? &h->nsg_in : &h->nsg_out;

	return v->rule ? v->rule_id : 0;
}

static inline void dp_verdict_of(struct dp_verdict *v, const struct path_result *r)
{
	v->delivered = r->delivered;
	v->code = (uint8_t)(r->delivered ? (int)r->end : (int)r->reason);
	v->drop_hop = (int8_t)(r->delivered ? -1 : r->drop_hop);
	v->origin = (uint8_t)r->origin;
	v->nhops = (uint8_t)r->nhops;
	v->sent = dp_fate_sent(r);
	v->at = dp_fate_at(r);
	v->rule_id = dp_refusing_rule(r);
}

#endif
