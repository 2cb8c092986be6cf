/*
 * A flow's path without NSGs, kept in its flow table's path store (dp_flow_path_intern), and
 * given back as the walk would give it: how the engine and the pair cache answer a packet without
 * walking. Also the two NICs a packet's counters name, read from a walk's hops.
 */
#ifndef DP_PATHCACHE_H
#define DP_PATHCACHE_H

#include <string.h>

#include "dp_flow.h"
#include "path.h"

/* The NIC that sent a walked packet, and the one it reached or was dropped at: -1 none. */
static inline int dp_fate_sent(const struct path_result *r)
{
	return r->hops[0].kind == PATH_HOP_SOURCE ? r->hops[0].nic : -1;
}

static inline int dp_fate_at(const struct path_result *r)
{
	return !r->delivered ? r->hops[r->drop_hop].nic : r->end == PATH_END_VM ? r->hops[r->nhops - 1].nic : -1;
}

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

/* A cached path's summary is path_result's first bytes as they are. */
#define DP_PATHCACHE_SUMMARY 24

/*
 * The result the walk without NSGs would give, from a cached path, its hops stamped with tsc;
 * with hops false, the summary only (delivered, end, reason, drop_hop, origin, nhops).
 */
static inline void dp_pathcache_load(const struct dp_flow_path *c, struct path_result *r, uint64_t tsc, bool hops)
{
	memcpy(r, c, DP_PATHCACHE_SUMMARY);
	if (!hops)
		return;
	for (int h = 0; h < c->nhops; h++) {
		struct path_hop *hp = &r->hops[h];

		hp->kind = (enum path_hop_kind)c->hop[h].kind;
		hp->nic = c->hop[h].nic;
		hp->ipcfg = c->hop[h].nic < 0 ? -1 : c->hop[h].ipcfg;
		hp->vnet = c->hop[h].vnet;
		hp->route = c->hop[h].route;
		hp->has_in = hp->has_out = false;
		hp->tsc = tsc;
	}
}

/* A result as the walk would give it again for the same packet: the same hops and verdicts. */
static inline void dp_result_copy(struct path_result *d, const struct path_result *s)
{
	memcpy(d, s, DP_PATHCACHE_SUMMARY);
	memcpy(d->hops, s->hops, (size_t)s->nhops * sizeof(s->hops[0]));
}

/* The summary alone (a caller that reads no hops). */
static inline void dp_result_summary(struct path_result *d, const struct path_result *s)
{
	memcpy(d, s, DP_PATHCACHE_SUMMARY);
}

#endif
