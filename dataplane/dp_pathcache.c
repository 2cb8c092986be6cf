#include <stdint.h>

#include "dp_pathcache.h"

_Static_assert(PATH_MAX_HOPS == 8, "struct dp_flow_path holds PATH_MAX_HOPS hops");

/*
 * One hop as its two words: NIC, network, kind and configuration, then the route. The cached
 * fields are narrower: a NIC and a network number fit 16 bits (or are -1), and the configuration
 * is kept only for a hop at a NIC (a hop without one has none). False: it does not fit.
 */
static bool hop_words(const struct path_hop *hp, uint64_t *a, uint64_t *b)
{
	bool nic = hp->nic >= 0;

	if ((uint32_t)hp->nic + 1u > INT16_MAX + 1u || (uint32_t)hp->vnet + 1u > INT16_MAX + 1u ||
	    (nic ? (uint32_t)hp->ipcfg > UINT8_MAX : hp->ipcfg != -1))
		return false;
	*a = (uint64_t)(uint16_t)hp->nic | (uint64_t)(uint16_t)hp->vnet << 16 | (uint64_t)(uint8_t)hp->kind << 32 |
	     (uint64_t)(nic ? (uint8_t)hp->ipcfg : 0) << 40;
	*b = (uint64_t)(uintptr_t)hp->route;
	return true;
}

/*
 * Written a word at a time, as dp_flow_path_intern compares it: words read back from narrower
 * stores would wait for them to drain. Only the words of its nhops hops are written: the store
 * reads no further. Its sent_slot and at_slot are dp_nic_slot's, so that counting a cached packet
 * needs no test of them.
 */
uint32_t dp_pathcache_put(struct dp_flow_table *ft, int nnics, const struct path_result *r)
{
	struct dp_flow_path c;
	uint64_t *w = (uint64_t *)(void *)&c, fp = 0;

	for (int h = 0; h < r->nhops; h++) {
		uint64_t a, b;

		if (!hop_words(&r->hops[h], &a, &b))
			return 0;
		w[4 + 2 * h] = a;
		w[5 + 2 * h] = b;
		fp = dp_flow_path_fp(dp_flow_path_fp(fp, a), b);
	}
	struct dp_verdict v;

	dp_verdict_of(&v, r);
	w[0] = (uint64_t)v.delivered | (uint64_t)v.code << 8 | (uint64_t)(uint8_t)v.drop_hop << 16 |
	       (uint64_t)v.origin << 24 | (uint64_t)v.nhops << 32;
	w[1] = (uint64_t)(uint32_t)v.sent | (uint64_t)(uint32_t)v.at << 32;
	w[2] = (uint64_t)v.rule_id | (uint64_t)(uint32_t)dp_nic_slot(v.sent, nnics) << 32;
	w[3] = (uint64_t)(uint32_t)dp_nic_slot(v.at, nnics);
	for (int i = 0; i < 4; i++)
		fp = dp_flow_path_fp(fp, w[i]);
	return dp_flow_path_intern(ft, &c, fp);
}
