#include <string.h>

#include <rte_cycles.h>

#include "dp_engine.h"
#include "dp_engine_count.h"

/*
 * A burst, grouped by flow. Packets of one flow often come back to back (a SYN and its SYN-ACK),
 * and a later one may depend on what an earlier one does to the flow table. Rather than walk such
 * packets one at a time, the burst is resolved in rounds: in each, every flow's packets are taken
 * in order for as long as their outcome is already determined by the round's walks, and the rest
 * wait for the next round. Within a round:
 *   - a packet of a known flow whose direction's path is cached needs no walk;
 *   - the first packet of each direction without a cached path is walked (a leader), and later
 *     ones of that direction follow it: they get the path it caches;
 *   - for a flow not in the table, the first packet is walked with NSGs; later packets the same
 *     way follow it (stateful if it was admitted, the same verdict again if not); the first packet
 *     the other way must wait to see whether the flow was admitted, so it ends the round for
 *     that flow.
 * The outcomes and counters are those of taking the packets one by one.
 */
#define BURST_SLOTS (2 * DP_PATH_BURST)
_Static_assert((BURST_SLOTS & (BURST_SLOTS - 1)) == 0, "BURST_SLOTS is a power of two");

struct burst {
	struct dp_item *const *it;
	struct dp_outcome *const *out;
	/* Per packet. */
	struct dp_flow_key key[DP_PATH_BURST];
	uint32_t hash[DP_PATH_BURST];
	bool lo[DP_PATH_BURST];       /* its source is the key's lower end */
	uint64_t clk[DP_PATH_BURST];  /* the engine's clock when it arrives */
	int16_t next[DP_PATH_BURST];  /* the next packet of its flow in the burst, -1 last */
	int16_t lead[DP_PATH_BURST];  /* the packet of the round whose walk it follows */
	struct dp_flow_entry *flow[DP_PATH_BURST];
	int8_t dir[DP_PATH_BURST];    /* its direction in that flow */
	/* A packet that starts a group outside any flow: its pair's key, made while the burst is grouped. */
	bool pair_keyed[DP_PATH_BURST];
	uint64_t pair_key[DP_PATH_BURST][5];
	uint32_t pair_hash[DP_PATH_BURST];
	/* A packet judged by way of its pair: the pair's paths there and back (0: walked as it is). */
	uint32_t fwd_id[DP_PATH_BURST], back_id[DP_PATH_BURST];
	/* Per group (a flow's packets): its first packet, the first not yet resolved (-1 none), the last. */
	unsigned ngroups;
	int16_t first[DP_PATH_BURST], head[DP_PATH_BURST], tail[DP_PATH_BURST];
	uint32_t group_hash[DP_PATH_BURST];
	int32_t pos[DP_PATH_BURST]; /* its flow's position in the table, -1 none */
	uint8_t slot[BURST_SLOTS];  /* by key hash: group + 1, 0 free */
	/* The round: packets walked (leaders), whether as part of a known flow, and those that follow. */
	unsigned nwalks, nfollowers;
	uint8_t walk[DP_PATH_BURST], follower[DP_PATH_BURST];
	bool walk_stateful[DP_PATH_BURST];
	uint64_t tsc; /* the round's TSC, for a trace's hops answered without a walk */
	struct dp_burst_count n;
};

/*
 * Where packet i's walk goes: its trace, or the engine's room for the burst's walks. A packet
 * that follows another's walk reads it there.
 */
static inline __attribute__((always_inline)) struct path_result *walk_room(struct dp_engine *e, struct burst *b, int i,
									   const unsigned mode)
{
	return HAS(mode, DP_ENGINE_HOP_TRACE) ? &b->out[i]->trace->r : &e->walked[i];
}

static inline __attribute__((always_inline)) uint64_t *walk_tsc(struct burst *b, int i, const unsigned mode)
{
	return HAS(mode, DP_ENGINE_HOP_TRACE) ? b->out[i]->trace->tsc : NULL;
}

static void flow_gone(struct dp_engine *e, struct dp_flow_entry *fe, uint32_t hash)
{
	if (e->gone)
		e->gone(e->gone_arg, fe, dp_flow_info(&e->flows, fe));
	dp_flow_remove(&e->flows, (int32_t)(fe - e->flows.e), hash);
	e->c.flows_expired++;
}

/* A packet of a known flow whose direction's path is cached. Inlined: for most packets it is all. */
static inline __attribute__((always_inline)) void use_cached(struct dp_engine *e, struct burst *b,
							      const struct dp_item *it, struct dp_outcome *o,
							      const struct dp_flow_entry *fe, int dir, const unsigned mode)
{
	const struct dp_flow_path *c = dp_flow_path_get(&e->flows, fe->path[dir]);

	o->v = c->v;
	if (HAS(mode, DP_ENGINE_HOP_TRACE)) {
		dp_pathcache_load(c, &o->trace->r);
		for (int h = 0; h < c->v.nhops; h++)
			o->trace->tsc[h] = b->tsc;
	}
	o->stateful = true;
	o->flow_dir = dir;
	b->n.stateful++;
	/* Never an NSG's drop: no rule was evaluated. */
	count_fate(e, &b->n, it->wire_len, c->v.delivered, c->v.code, c->sent_slot, c->at_slot);
}

/* Packet i, walked with NSGs, got through: it starts a flow (when the table has room). */
static struct dp_flow_entry *admit(struct dp_engine *e, struct burst *b, int i, const struct path_result *r,
				   const unsigned mode)
{
	const struct dp_item *it = b->it[i];
	struct dp_flow_entry *fe = dp_flow_admit(&e->flows, &b->key[i], b->hash[i], b->lo[i], b->clk[i]);

	if (!fe) {
		b->n.flow_table_full++;
		return NULL;
	}
	b->n.flows_admitted++;
	fe->ended = tcp_end(it);
	if (HAS(mode, DP_ENGINE_FLOW_INFO)) {
		struct dp_flow_info *fi = dp_flow_info(&e->flows, fe);

		fi->packets[0] = 1;
		fi->packets[1] = 0;
		fi->bytes[0] = it->wire_len;
		fi->bytes[1] = 0;
		fi->first_ns = b->clk[i];
		fi->init = it->pkt.flow;
		remember_nsgs(fi, r);
	}
	/* Got through: the walk there is the pair's without NSGs, when it had one. */
	fe->path[0] = b->fwd_id[i] ? b->fwd_id[i] : dp_pathcache_put(&e->flows, e->path->t->nnics, r);
	b->out[i]->flow_dir = 0;
	return fe;
}

static void add_walk(struct burst *b, int i, bool stateful)
{
	unsigned w = b->nwalks++;

	b->walk[w] = (uint8_t)i;
	b->walk_stateful[w] = stateful;
	b->fwd_id[i] = b->back_id[i] = 0;
}

static void add_follower(struct burst *b, int i, int leader)
{
	b->lead[i] = (int16_t)leader;
	b->follower[b->nfollowers++] = (uint8_t)i;
}

/* A known flow's packets of group g from i: cached, leader of their direction, or follower. */
static int plan_known(struct dp_engine *e, struct burst *b, int i, struct dp_flow_entry *fe, const unsigned mode)
{
	int16_t leader[2] = { -1, -1 };

	for (; i >= 0; i = b->next[i]) {
		int d = fe->init_lo == b->lo[i] ? 0 : 1;

		if (dp_flow_stale(&e->flows, fe, b->clk[i]))
			break; /* idle too long before this one: the next round expires it */
		flow_touch(e, fe, d, b->it[i], b->clk[i], mode);
		b->flow[i] = fe;
		b->dir[i] = (int8_t)d;
		if (fe->path[d]) {
			use_cached(e, b, b->it[i], b->out[i], fe, d, mode);
		} else if (leader[d] >= 0) {
			add_follower(b, i, leader[d]);
		} else {
			leader[d] = (int16_t)i;
			add_walk(b, i, true);
		}
	}
	return i;
}

/* Take group g's packets from its head for as long as their outcome needs nothing unresolved. */
static void plan_group(struct dp_engine *e, struct burst *b, unsigned g, const unsigned mode)
{
	int h = b->head[g], i;

	if (b->pos[g] >= 0) {
		struct dp_flow_entry *fe = &e->flows.e[b->pos[g]];

		if (!dp_flow_stale(&e->flows, fe, b->clk[h])) {
			b->head[g] = (int16_t)plan_known(e, b, h, fe, mode);
			return;
		}
		flow_gone(e, fe, b->hash[h]);
	}
	/* A new flow: its first packet walked with NSGs, the next ones the same way follow it. */
	b->flow[h] = NULL;
	add_walk(b, h, false);
	for (i = b->next[h]; i >= 0; i = b->next[i]) {
		if (b->lo[i] != b->lo[h] || b->clk[i] - b->clk[h] > e->flows.idle_ns)
			break; /* the way back, or late: depends on what the head does to the flow table */
		b->flow[i] = NULL;
		add_follower(b, i, h);
	}
	b->head[g] = (int16_t)i;
}

/*
 * The round's walks: leaders of known flows without NSGs, new flows with them, by way of their
 * pair when the pair cache is on. Leaders that are not judged through a pair share one walk.
 */
static void walk_round(struct dp_engine *e, struct burst *b, const unsigned mode)
{
	struct nws_flow f[DP_PATH_BURST];
	bool skip[DP_PATH_BURST];
	struct path_result *r[DP_PATH_BURST];
	uint64_t *tsc[DP_PATH_BURST];
	struct dp_pair_walk pw[DP_PATH_BURST];
	uint8_t pw_pkt[DP_PATH_BURST];
	unsigned n = 0, npw = 0;

	for (unsigned w = 0; w < b->nwalks; w++) {
		int i = b->walk[w];

		if (HAS(mode, DP_ENGINE_PAIR_CACHE) && !b->walk_stateful[w]) {
			struct dp_pair_walk *x = &pw[npw];

			x->f = b->it[i]->pkt.flow;
			x->r = walk_room(e, b, i, mode);
			x->tsc = walk_tsc(b, i, mode);
			x->keyed = b->pair_keyed[i];
			if (x->keyed) {
				memcpy(x->key, b->pair_key[i], sizeof(x->key));
				x->hash = b->pair_hash[i];
			}
			pw_pkt[npw++] = (uint8_t)i;
			continue;
		}
		f[n] = b->it[i]->pkt.flow;
		skip[n] = b->walk_stateful[w];
		tsc[n] = walk_tsc(b, i, mode);
		r[n++] = walk_room(e, b, i, mode);
	}
	if (npw) {
		dp_pairs_judge(&e->pairs, e->path, &e->flows, pw, npw, e->back_room);
		for (unsigned k = 0; k < npw; k++) {
			b->fwd_id[pw_pkt[k]] = pw[k].fwd; /* admit reads it for a walk that got through only */
			b->back_id[pw_pkt[k]] = pw[k].back;
		}
	}
	if (n)
		dp_path_walk_into(e->path, f, skip, r, HAS(mode, DP_ENGINE_HOP_TRACE) ? tsc : NULL, n);
}

/* What a leader's walk means: a known flow's direction cached, a new flow admitted or refused. */
static void resolve_leader(struct dp_engine *e, struct burst *b, unsigned w, const unsigned mode)
{
	int i = b->walk[w];
	struct dp_outcome *o = b->out[i];
	const struct path_result *r = walk_room(e, b, i, mode);

	dp_verdict_of(&o->v, r);
	o->stateful = b->walk_stateful[w];
	if (o->stateful) {
		b->n.stateful++;
		o->flow_dir = b->dir[i];
		b->flow[i]->path[b->dir[i]] = dp_pathcache_put(&e->flows, e->path->t->nnics, r);
	}
	count_walked(e, &b->n, b->it[i], &o->v, r);
	if (o->stateful)
		return;
	if (r->delivered)
		b->flow[i] = admit(e, b, i, r, mode);
	else if (HAS(mode, DP_ENGINE_REFUSED_CACHE))
		dp_refused_put(&e->refused, &b->key[i], b->hash[i], b->lo[i], b->it[i]->pkt.flow.has_ports, r, &o->v);
}

/*
 * The way back of the flows the round admitted, walked now rather than when their first reply
 * comes, as a host's flow table sets up both directions of a connection at once: the reply is
 * then a known flow's packet like any later one. The walk without NSGs depends on the addresses
 * alone, which the reply's are (swapped), and the topology cannot change while the flow lives.
 */
static void walk_back(struct dp_engine *e, struct burst *b)
{
	struct nws_flow f[DP_PATH_BURST];
	bool skip[DP_PATH_BURST];
	struct path_result *r[DP_PATH_BURST];
	struct dp_flow_entry *fe[DP_PATH_BURST];
	unsigned n = 0;

	for (unsigned w = 0; w < b->nwalks; w++) {
		int i = b->walk[w];
		struct dp_flow_entry *x = b->flow[i];

		if (b->walk_stateful[w] || !x || !x->path[0] || x->path[1])
			continue;
		if (b->back_id[i]) {
			x->path[1] = b->back_id[i];
			continue;
		}
		f[n] = dp_flow_reply(&b->it[i]->pkt.flow);
		skip[n] = true;
		r[n] = &e->back_room[n];
		fe[n++] = x;
	}
	if (!n)
		return;
	dp_path_walk_into(e->path, f, skip, r, NULL, n);
	for (unsigned k = 0; k < n; k++)
		fe[k]->path[1] = dp_pathcache_put(&e->flows, e->path->t->nnics, r[k]);
}

static void resolve_follower(struct dp_engine *e, struct burst *b, int k, const unsigned mode)
{
	int j = b->lead[k];
	struct dp_flow_entry *fe = b->flow[j];
	struct dp_outcome *o = b->out[k];

	if (b->out[j]->stateful) { /* a known flow: its direction's path is cached now */
		use_cached(e, b, b->it[k], o, fe, b->dir[k], mode);
		return;
	}
	if (fe) { /* the leader started the flow: this one passes as part of it */
		flow_touch(e, fe, 0, b->it[k], b->clk[k], mode);
		use_cached(e, b, b->it[k], o, fe, 0, mode);
		return;
	}
	/* Denied or dropped (or admitted into a full table): the same walk, the same answer. */
	const struct path_result *r = walk_room(e, b, j, mode);

	o->v = b->out[j]->v;
	if (HAS(mode, DP_ENGINE_HOP_TRACE)) {
		dp_result_copy(&o->trace->r, r);
		memcpy(o->trace->tsc, b->out[j]->trace->tsc, (size_t)r->nhops * sizeof(o->trace->tsc[0]));
	}
	count_walked(e, &b->n, b->it[k], &o->v, r);
	if (o->v.delivered)
		b->flow[j] = admit(e, b, k, r, mode);
}

/* A packet outside any flow whose tuple was walked and refused before: the same answer again. */
static bool refused_again(struct dp_engine *e, struct burst *b, int i, const unsigned mode)
{
	const struct dp_verdict *v;
	const struct path_result *c =
		dp_refused_find(&e->refused, &b->key[i], b->hash[i], b->lo[i], b->it[i]->pkt.flow.has_ports, &v);
	struct dp_outcome *o = b->out[i];

	if (!c)
		return false;
	o->v = *v;
	if (HAS(mode, DP_ENGINE_HOP_TRACE)) {
		dp_result_copy(&o->trace->r, c);
		for (int h = 0; h < c->nhops; h++)
			o->trace->tsc[h] = b->tsc;
	}
	count_walked(e, &b->n, b->it[i], &o->v, c);
	return true;
}

/*
 * A packet of a known flow that is not idle, whose direction's path is cached and none of whose
 * earlier packets in the burst took the slow way: answered on the spot, in burst order.
 */
static inline __attribute__((always_inline)) bool fast(struct dp_engine *e, struct burst *b, struct dp_item *it,
							struct dp_outcome *o, int i, int32_t pos, const unsigned mode)
{
	if (pos < 0)
		return false;
	struct dp_flow_entry *fe = &e->flows.e[pos];
	int d = fe->init_lo == b->lo[i] ? 0 : 1;

	if (fe->held == e->bursts || !fe->path[d] || dp_flow_stale(&e->flows, fe, b->clk[i])) {
		fe->held = e->bursts; /* its later packets wait for this one */
		return false;
	}
	flow_touch(e, fe, d, it, b->clk[i], mode);
	use_cached(e, b, it, o, fe, d, mode);
	return true;
}

/*
 * Each packet's clock, key and hash, its flow's bucket fetched while the rest are hashed; the
 * unparsed ones counted. Returns how many are to be looked up (their packets in idx).
 */
static unsigned take_packets(struct dp_engine *e, struct burst *b, unsigned n, const struct dp_flow_key **keyp,
			     uint32_t *hash, uint8_t *idx)
{
	uint64_t now = e->now_ns, tsc_in = rte_rdtsc(), bytes = 0;
	unsigned np = 0;

	for (unsigned i = 0; i < n; i++) {
		struct dp_item *it = b->it[i];

		bytes += it->wire_len;
		b->out[i]->tsc_in = tsc_in; /* stateful and flow_dir: by fast(), or grouping for the rest */
		if (it->ts_ns > now)
			now = it->ts_ns;
		b->clk[i] = now;
		if (it->unparsed >= 0) {
			b->out[i]->stateful = false;
			b->out[i]->flow_dir = -1;
			b->n.unparsed[it->unparsed]++;
			b->n.unparsed_bytes[it->unparsed] += it->wire_len;
			continue;
		}
		if (!dp_frags_join(&e->frags, &it->pkt, now))
			b->n.fragments_unmatched++;
		dp_flow_key(&b->key[i], &it->pkt.flow, &b->lo[i]);
		b->hash[i] = hash[np] = dp_flow_hash(&b->key[i]);
		dp_flow_prefetch(&e->flows, hash[np]);
		keyp[np] = &b->key[i];
		idx[np++] = (uint8_t)i;
	}
	b->n.received_bytes = bytes;
	e->now_ns = now;
	b->tsc = tsc_in;
	return np;
}

/* Packet i into its flow's group (a new one when it is the first of its flow in the burst). */
static void group_packet(struct dp_engine *e, struct burst *b, int i, int32_t pos, const unsigned mode)
{
	unsigned g, slot = b->hash[i] & (BURST_SLOTS - 1);

	b->next[i] = -1;
	b->pair_keyed[i] = false;
	/* Open addressing over twice the burst's size: a free slot is always found. */
	while ((g = b->slot[slot]) != 0 &&
	       (b->group_hash[g - 1] != b->hash[i] || !dp_flow_key_eq(&b->key[b->first[g - 1]], &b->key[i])))
		slot = (slot + 1) & (BURST_SLOTS - 1);
	if (g) {
		g--;
		b->next[b->tail[g]] = (int16_t)i;
		b->tail[g] = (int16_t)i;
		return;
	}
	/* No earlier packet of its flow waits in this burst: a refused tuple again may go first. */
	if (pos < 0 && HAS(mode, DP_ENGINE_REFUSED_CACHE) && refused_again(e, b, i, mode))
		return;
	g = b->ngroups++;
	b->slot[slot] = (uint8_t)(g + 1);
	b->first[g] = b->head[g] = b->tail[g] = (int16_t)i;
	b->group_hash[g] = b->hash[i];
	b->pos[g] = pos;
	if (pos < 0 && HAS(mode, DP_ENGINE_PAIR_CACHE)) { /* a new flow: its pair's slot, fetched now */
		b->pair_hash[i] = dp_pairs_key(&b->it[i]->pkt.flow, b->pair_key[i]);
		dp_pairs_prefetch(dp_pairs_slots(&e->pairs, b->pair_hash[i]));
		b->pair_keyed[i] = true;
	}
}

/* Rounds until every group is resolved. */
static void resolve_groups(struct dp_engine *e, struct burst *b, const unsigned mode)
{
	for (bool more = b->ngroups > 0; more;) {
		b->nwalks = b->nfollowers = 0;
		/* Cached hops' stamp: one TSC read a round, not a packet; none without a trace (~25 cycles). */
		if (HAS(mode, DP_ENGINE_HOP_TRACE))
			b->tsc = rte_rdtsc();
		for (unsigned g = 0; g < b->ngroups; g++)
			if (b->head[g] >= 0)
				plan_group(e, b, g, mode);
		if (b->nwalks)
			walk_round(e, b, mode);
		for (unsigned w = 0; w < b->nwalks; w++)
			resolve_leader(e, b, w, mode);
		if (HAS(mode, DP_ENGINE_BACK_AT_ADMISSION))
			walk_back(e, b);
		for (unsigned f = 0; f < b->nfollowers; f++)
			resolve_follower(e, b, b->follower[f], mode);
		more = false;
		for (unsigned g = 0; g < b->ngroups; g++)
			if (b->head[g] >= 0) {
				more = true;
				b->pos[g] = dp_flow_lookup(&e->flows, &b->key[b->head[g]], b->hash[b->head[g]]);
			}
	}
}

/* The burst loop, compiled once per mode the commands use (see dp_engine_burst). */
static inline __attribute__((always_inline)) void engine_burst(struct dp_engine *e, struct dp_item *const *it,
								struct dp_outcome *const *out, unsigned n,
								const unsigned mode)
{
	struct burst b;
	const struct dp_flow_key *keyp[DP_PATH_BURST];
	uint32_t hash[DP_PATH_BURST];
	int32_t pos[DP_PATH_BURST];
	uint8_t idx[DP_PATH_BURST];

	/* 0 marks no flow: a flow held in burst 2^32 - 1 ago must not look held now. */
	if (++e->bursts == 0)
		e->bursts = 1;
	b.it = it;
	b.out = out;
	memset(&b.n, 0, sizeof(b.n));
	unsigned np = take_packets(e, &b, n, keyp, hash, idx);

	dp_flow_sweep_look(&e->flows, e->now_ns);
	dp_flow_lookup_bulk(&e->flows, keyp, hash, np, pos);
	/* Most packets belong to known flows: those go now; the rest are grouped by flow. */
	b.ngroups = 0;
	memset(b.slot, 0, sizeof(b.slot));
	for (unsigned k = 0; k < np; k++) {
		int i = idx[k];

		if (fast(e, &b, it[i], out[i], i, pos[k], mode))
			continue;
		out[i]->stateful = false;
		out[i]->flow_dir = -1;
		group_packet(e, &b, i, pos[k], mode);
	}
	resolve_groups(e, &b, mode);
	e->c.received += n;
	dp_counters_add_burst(&e->c, &b.n);
	e->c.flows_expired += dp_flow_sweep_take(&e->flows, e->now_ns, e->gone, e->gone_arg);
}

#define MODE_VARIANT(name, mode)                                                                                \
	static void name(struct dp_engine *e, struct dp_item *const *it, struct dp_outcome *const *out, unsigned n) \
	{                                                                                                       \
		engine_burst(e, it, out, n, mode);                                                              \
	}
/* replay with verdicts or flow logs; replay without either; replay --verdicts alone; run and bench. */
MODE_VARIANT(burst_full, DP_ENGINE_ALL_MODES)
MODE_VARIANT(burst_no_info, DP_ENGINE_ALL_MODES & ~DP_ENGINE_FLOW_INFO)
MODE_VARIANT(burst_no_hops, DP_ENGINE_ALL_MODES & ~DP_ENGINE_HOP_TRACE)
MODE_VARIANT(burst_verdicts, DP_ENGINE_ALL_MODES & ~DP_ENGINE_HOP_TRACE & ~DP_ENGINE_FLOW_INFO)

void dp_engine_burst(struct dp_engine *e, struct dp_item *const *it, struct dp_outcome *const *out, unsigned n)
{
	switch (e->mode) {
	case DP_ENGINE_ALL_MODES:
		burst_full(e, it, out, n);
		break;
	case DP_ENGINE_ALL_MODES & ~DP_ENGINE_FLOW_INFO:
		burst_no_info(e, it, out, n);
		break;
	case DP_ENGINE_ALL_MODES & ~DP_ENGINE_HOP_TRACE:
		burst_no_hops(e, it, out, n);
		break;
	case DP_ENGINE_ALL_MODES & ~DP_ENGINE_HOP_TRACE & ~DP_ENGINE_FLOW_INFO:
		burst_verdicts(e, it, out, n);
		break;
	default: /* the tests' other combinations: the modes tested as they go */
		engine_burst(e, it, out, n, e->mode);
	}
}
