/*
 * A flow's path without NSGs, kept in its flow table's path store (dp_flow_path_intern), and
 * given back as the walk would give it: how the engine and the pair cache answer a packet without
 * walking. A cached path holds the verdict a packet taking it gets, so that answering one is a
 * copy of a few words; its hops are read only for a trace or to judge a new flow's NSGs on it.
 */
#ifndef DP_PATHCACHE_H
#define DP_PATHCACHE_H

#include <string.h>

#include "dp_flow.h"
#include "path.h"

/* A NIC's index in the per-NIC counters: none (-1) is the spare slot past the last NIC. */
static inline int dp_nic_slot(int nic, int nnics)
{
	return nic < 0 ? nnics : nic;
}

/*
 * r's id in ft's path store (r walked without NSGs; nnics: the topology's NICs, for the counters'
 * slots); 0 when the store is full or r's numbers do not fit the cached form.
 */
uint32_t dp_pathcache_put(struct dp_flow_table *ft, int nnics, const struct path_result *r);

/* The result the walk without NSGs would give, from a cached path: its summary and hops. */
static inline void dp_pathcache_load(const struct dp_flow_path *c, struct path_result *r)
{
	r->delivered = c->v.delivered;
	r->end = c->v.delivered ? (enum path_end)c->v.code : PATH_END_VM;
	r->reason = c->v.delivered ? PATH_DROP_NSG_OUTBOUND : (enum path_drop)c->v.code;
	r->drop_hop = c->v.delivered ? 0 : c->v.drop_hop;
	r->origin = (enum path_origin)c->v.origin;
	r->nhops = c->v.nhops;
	for (int h = 0; h < c->v.nhops; h++) {
		struct path_hop *hp = &r->hops[h];

		hp->kind = (enum path_hop_kind)c->hop[h].kind;
		hp->nic = c->hop[h].nic;
		hp->ipcfg = c->hop[h].nic < 0 ? -1 : c->hop[h].ipcfg;
		hp->vnet = c->hop[h].vnet;
		hp->route = c->hop[h].route;
		hp->has_in = hp->has_out = false;
	}
}

/* A result as the walk would give it again for the same packet: the same hops and verdicts. */
static inline void dp_result_copy(struct path_result *d, const struct path_result *s)
{
	memcpy(d, s, offsetof(struct path_result, hops));
	memcpy(d->hops, s->hops, (size_t)s->nhops * sizeof(s->hops[0]));
}

#endif
