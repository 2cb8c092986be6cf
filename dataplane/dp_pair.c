#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "dp_eal.h"
#include "dp_pair.h"
#include "dp_pathcache.h"
#include "dp_verify.h"

int dp_pairs_init(struct dp_pairs *pt, uint32_t slots, struct nws_err *err)
{
	memset(pt, 0, sizeof(*pt));
	if (slots < 2 || (slots & (slots - 1)))
		return nws_err_set(err, "pair table of %u slots: not a power of two of at least 2", slots);
	pt->s = rte_zmalloc("flow-pairs", sizeof(*pt->s) * slots, 64);
	if (!pt->s) {
		char why[256];

		dp_eal_memory_advice(why, sizeof(why));
		return nws_err_set(err, "pair table of %u slots: out of memory (%s)", slots, why);
	}
	pt->mask = slots - 1;
	return 0;
}

void dp_pairs_free(struct dp_pairs *pt)
{
	if (!pt)
		return;
	rte_free(pt->s);
	memset(pt, 0, sizeof(*pt));
}

void dp_pairs_flush(struct dp_pairs *pt)
{
	if (pt->s)
		memset(pt->s, 0, sizeof(*pt->s) * (pt->mask + 1));
}

#define PAIR_CHECKS 4 /* NSG points a kept pair may have: a source, an appliance's two, a destination */

/* Each packet's pair as found (copied: another pair of the batch may take its slot); misses listed. */
static unsigned find_pairs(struct dp_pairs *pt, struct dp_pair_walk *w, unsigned n, struct dp_pair **slot,
			   struct dp_pair *got, uint8_t *miss)
{
	unsigned nmiss = 0;

	for (unsigned k = 0; k < n; k++) {
		if (!w[k].keyed) {
			w[k].hash = dp_pairs_key(&w[k].f, w[k].key);
			dp_pairs_prefetch(dp_pairs_slots(pt, w[k].hash));
		}
		slot[k] = dp_pairs_slots(pt, w[k].hash);
	}
	for (unsigned k = 0; k < n; k++) {
		const struct dp_pair *x = dp_pairs_find(slot[k], w[k].key);

		if (x)
			got[k] = *x;
		else
			miss[nmiss++] = (uint8_t)k;
	}
	pt->hits += n - nmiss;
	pt->misses += nmiss;
	return nmiss;
}

/*
 * The missed pairs walked without NSGs both ways, there into the packets' own results (their NSG
 * points are then applied to them), and kept. got[k].back stays 0 for a pair not kept.
 */
static void learn_pairs(const struct dp_path *p, struct dp_flow_table *ft, struct dp_pair_walk *w,
			struct dp_pair **slot, struct dp_pair *got, const uint8_t *miss, unsigned nmiss,
			struct path_result *back_room)
{
	struct nws_flow ff[DP_PATH_BURST], bf[DP_PATH_BURST];
	struct path_result *fr[DP_PATH_BURST], *br[DP_PATH_BURST];
	uint16_t fm[DP_PATH_BURST], bm[DP_PATH_BURST]; /* bm unread: the way back is kept, not judged */
	int nnics = p->t->nnics;

	for (unsigned j = 0; j < nmiss; j++) {
		struct dp_pair_walk *x = &w[miss[j]];

		ff[j] = x->f;
		fr[j] = x->r;
		bf[j] = dp_flow_reply(&x->f);
		br[j] = &back_room[j];
	}
	dp_path_walk_marks(p, ff, fr, fm, nmiss);
	dp_path_walk_marks(p, bf, br, bm, nmiss);
	for (unsigned j = 0; j < nmiss; j++) {
		unsigned k = miss[j];
		struct dp_pair *g = &got[k];

		g->fwd = __builtin_popcount(fm[j]) <= PAIR_CHECKS ? dp_pathcache_put(ft, nnics, fr[j]) : 0;
		g->back = g->fwd ? dp_pathcache_put(ft, nnics, br[j]) : 0;
		if (!g->back)
			continue;
		memcpy(g->k, w[k].key, sizeof(g->k));
		g->marks = fm[j];
		dp_pairs_put(slot[k], g);
	}
}

/* The walk with NSGs from the one without: v[] the verdicts at r's NSG points, marks, in order. */
static void apply_verdicts(struct path_result *r, uint16_t marks, const struct nsg_verdict *v)
{
	for (; marks; marks &= (uint16_t)(marks - 1), v++) {
		int bit = __builtin_ctz(marks), h = bit >> 1;
		bool out = bit & 1;
		struct path_hop *hp = &r->hops[h];

		if (out) {
			hp->nsg_out = *v;
			hp->has_out = true;
		} else {
			hp->nsg_in = *v;
			hp->has_in = true;
		}
		if (v->access != AZ_ALLOW) {
			/* Refused where it stands: not yet routed on from there. */
			r->delivered = false;
			r->reason = out ? PATH_DROP_NSG_OUTBOUND : PATH_DROP_NSG_INBOUND;
			r->drop_hop = h;
			r->nhops = h + 1;
			hp->route = NULL;
			return;
		}
	}
}

/* One query a kept pair's NSG point, for packet k; returns the queries written. */
static unsigned pair_queries(const struct path_result *r, const struct nws_flow *f, uint16_t marks, struct nsg_query *q)
{
	unsigned nq = 0;

	for (; marks; marks &= (uint16_t)(marks - 1)) {
		int bit = __builtin_ctz(marks);
		const struct path_hop *hp = &r->hops[bit >> 1];

		/* Field by field: a compound literal is built aside and then copied. */
		q[nq].nic = hp->nic;
		q[nq].ipcfg = hp->ipcfg;
		q[nq].dir = bit & 1 ? AZ_OUTBOUND : AZ_INBOUND;
		q[nq++].flow = *f;
	}
	return nq;
}

void dp_pairs_judge(struct dp_pairs *pt, const struct dp_path *p, struct dp_flow_table *ft, struct dp_pair_walk *w,
		    unsigned n, struct path_result *back_room)
{
	struct dp_pair *slot[DP_PATH_BURST], got[DP_PATH_BURST];
	uint8_t miss[DP_PATH_BURST];
	struct nsg_query q[DP_PATH_BURST * PAIR_CHECKS];
	struct nsg_verdict v[DP_PATH_BURST * PAIR_CHECKS];
	uint16_t first_q[DP_PATH_BURST];
	struct nws_flow plain_f[DP_PATH_BURST];
	struct path_result *plain_r[DP_PATH_BURST];
	uint64_t *plain_tsc[DP_PATH_BURST];
	bool stamp = false;
	bool plain_skip[DP_PATH_BURST] = { false };
	unsigned nmiss = find_pairs(pt, w, n, slot, got, miss), nq = 0, nplain = 0;
	bool fresh[DP_PATH_BURST] = { false }; /* its result holds the walk without NSGs already */

	if (nmiss)
		learn_pairs(p, ft, w, slot, got, miss, nmiss, back_room);
	for (unsigned j = 0; j < nmiss; j++)
		fresh[miss[j]] = true;
	for (unsigned k = 0; k < n; k++) {
		w[k].fwd = got[k].back ? got[k].fwd : 0;
		w[k].back = got[k].back;
		stamp |= w[k].tsc != NULL;
		if (!got[k].back) {
			plain_f[nplain] = w[k].f;
			plain_tsc[nplain] = w[k].tsc;
			plain_r[nplain++] = w[k].r;
			continue;
		}
		if (!fresh[k])
			dp_pathcache_load(dp_flow_path_get(ft, got[k].fwd), w[k].r);
		first_q[k] = (uint16_t)nq;
		nq += pair_queries(w[k].r, &w[k].f, got[k].marks, &q[nq]);
	}
	if (nq)
		dp_verify(p->acl, p->nsg, q, v, nq);
	if (nplain)
		dp_path_walk_into(p, plain_f, plain_skip, plain_r, stamp ? plain_tsc : NULL, nplain);
	uint64_t now = stamp ? rte_rdtsc() : 0;

	for (unsigned k = 0; k < n; k++) {
		if (!got[k].back)
			continue;
		apply_verdicts(w[k].r, got[k].marks, &v[first_q[k]]);
		for (int h = 0; w[k].tsc && h < w[k].r->nhops; h++)
			w[k].tsc[h] = now;
	}
}
