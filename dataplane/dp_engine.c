#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "dp_engine.h"
#include "dp_verify.h"

struct frag_key {
	uint8_t fam, proto;
	uint8_t pad[2];
	uint32_t id;
	uint8_t src[16], dst[16];
};

/*
 * First fragments seen, by datagram: direct-mapped, so it never fills; a slot is taken over by a
 * newer datagram that hashes there, and an entry older than FRAG_TTL_NS is not trusted (the id
 * may have been reused), as a host's reassembly gives up after a while.
 */
struct dp_frag_slot {
	struct frag_key k;
	uint32_t ports;
	bool used;
	uint64_t clk;
};

#define FRAG_TTL_NS (30ull * 1000000000ull)

/* Direct-mapped: a denied flow in flight keeps its slot; a scan of many tuples just walks. */
#define DENIED_SLOTS 256
/* Mixed into a refused flow's hash so its two directions and its portless form take other slots. */
#define DENIED_SALT_BACK 0x9e37u
#define DENIED_SALT_PORTS 0x79b9u

/* The keys apart from the results (~1 KB each), so that checking a packet touches 12 KB at most. */
struct dp_denied_slot {
	struct dp_flow_key key;
	bool used, lo, has_ports; /* lo: the packet's source is the key's lower end */
};
#define FRAG_ENTRIES 65536

/*
 * Pairs that hash alike share two slots, the newer pushing the older out: half a slot a flow the
 * table holds keeps that rare while pairs are fewer than flows (64 bytes a slot; 16 MB for the
 * default 512K flows, against the 210 MB of their table).
 */
static uint32_t pair_slots(uint32_t flow_capacity)
{
	uint32_t n = 64;

	while (n < flow_capacity / 2)
		n <<= 1;
	return n;
}

int dp_engine_init(struct dp_engine *e, const struct dp_path *p, uint32_t flow_capacity, struct nws_err *err)
{
	const struct topo *t = p->t;

	memset(e, 0, sizeof(*e));
	e->path = p;
	e->hops = true;
	e->flow_info = true;
	/* Per rule, by topo_rule.id (one spare: never a zero-sized allocation). */
	e->c.rule_hits = calloc(t->nrules + 1, sizeof(uint64_t));
	e->c.rule_drops = calloc(t->nrules + 1, sizeof(uint64_t));
	e->c.nic_sent = calloc(t->nnics + 1, sizeof(uint64_t));
	e->c.nic_received = calloc(t->nnics + 1, sizeof(uint64_t));
	e->c.nic_dropped = calloc(t->nnics + 1, sizeof(uint64_t));
	e->frags = calloc(FRAG_ENTRIES, sizeof(*e->frags));
	e->denied = calloc(DENIED_SLOTS, sizeof(*e->denied));
	e->denied_r = calloc(DENIED_SLOTS, sizeof(*e->denied_r));
	e->back_r = calloc(DP_PATH_BURST, sizeof(*e->back_r));
	if (!e->c.rule_hits || !e->c.rule_drops || !e->c.nic_sent || !e->c.nic_received || !e->c.nic_dropped || !e->frags ||
	    !e->denied || !e->denied_r || !e->back_r) {
		dp_engine_free(e);
		return nws_err_set(err, "out of memory for a worker's tables");
	}
	if (dp_flow_init(&e->flows, flow_capacity, (uint64_t)DP_FLOW_IDLE_S * 1000000000ull, err) < 0 ||
	    dp_pairs_init(&e->pairs, pair_slots(flow_capacity), err) < 0) {
		dp_engine_free(e);
		return -1;
	}
	return 0;
}

void dp_engine_free(struct dp_engine *e)
{
	if (!e)
		return;
	dp_flow_free(&e->flows);
	dp_pairs_free(&e->pairs);
	free(e->frags);
	free(e->denied);
	free(e->denied_r);
	free(e->back_r);
	free(e->c.rule_hits);
	free(e->c.rule_drops);
	free(e->c.nic_sent);
	free(e->c.nic_received);
	free(e->c.nic_dropped);
	memset(e, 0, sizeof(*e));
}

static void frag_key(struct frag_key *k, const struct dp_pkt *p)
{
	memset(k, 0, sizeof(*k));
	k->fam = p->flow.src.fam;
	k->proto = p->flow.proto;
	k->id = p->frag_id;
	memcpy(k->src, &p->flow.src.v, sizeof(k->src));
	memcpy(k->dst, &p->flow.dst.v, sizeof(k->dst));
}

/*
 * Fragments: the first carries the ports; later ones borrow them from it, so they meet the same
 * rules and flow. A later fragment whose first was not seen is judged without ports.
 */
static void join_fragment(struct dp_engine *e, struct dp_pkt *p, uint64_t clk)
{
	struct frag_key k;

	if (p->frag == DP_FRAG_NONE || (p->flow.proto != AZ_PROTO_TCP && p->flow.proto != AZ_PROTO_UDP))
		return;
	frag_key(&k, p);
	struct dp_frag_slot *s = &e->frags[rte_hash_crc(&k, sizeof(k), 0) & (FRAG_ENTRIES - 1)];

	if (p->frag == DP_FRAG_FIRST) {
		s->k = k;
		s->ports = (uint32_t)p->flow.sport << 16 | p->flow.dport;
		s->clk = clk;
		s->used = true;
		return;
	}
	if (!s->used || memcmp(&s->k, &k, sizeof(k)) || clk - s->clk > FRAG_TTL_NS) {
		e->c.fragments_unmatched++;
		return;
	}
	p->flow.sport = (uint16_t)(s->ports >> 16);
	p->flow.dport = (uint16_t)s->ports;
	p->flow.has_ports = true;
}

static void count_rules(struct dp_engine *e, const struct path_result *r)
{
	for (int h = 0; h < r->nhops; h++) {
		const struct path_hop *hp = &r->hops[h];

		if (hp->has_in && hp->nsg_in.rule)
			e->c.rule_hits[hp->nsg_in.rule_id]++;
		if (hp->has_out && hp->nsg_out.rule)
			e->c.rule_hits[hp->nsg_out.rule_id]++;
	}
}

/* The NSGs that let the flow's first packet through, for its flow log tuples. */
static void remember_nsgs(struct dp_flow_info *fe, const struct path_result *r)
{
	fe->nnsg = 0;
	for (int h = 0; h < r->nhops; h++) {
		const struct path_hop *hp = &r->hops[h];
		const struct nsg_verdict *v[2] = { hp->has_out ? &hp->nsg_out : NULL, hp->has_in ? &hp->nsg_in : NULL };
		const enum az_dir d[2] = { AZ_OUTBOUND, AZ_INBOUND };

		for (int k = 0; k < 2; k++)
			for (int l = 0; v[k] && l < v[k]->nlevels && fe->nnsg < DP_FLOW_NSG_MAX; l++)
				fe->nsg[fe->nnsg++] = (struct dp_flow_nsg){
					.inst = v[k]->level_inst[l], .nic = hp->nic, .dir = (uint8_t)d[k], .rule = v[k]->level_rule[l],
				};
	}
}

_Static_assert(PATH_MAX_HOPS == 8, "struct dp_flow_path holds PATH_MAX_HOPS hops");

/* The NIC that sent a walked packet, and the one it reached or was dropped at: -1 none. */
static inline int fate_sent(const struct path_result *r)
{
	return r->hops[0].kind == PATH_HOP_SOURCE ? r->hops[0].nic : -1;
}

static inline int fate_at(const struct path_result *r)
{
	return !r->delivered ? r->hops[r->drop_hop].nic : r->end == PATH_END_VM ? r->hops[r->nhops - 1].nic : -1;
}

/* A NIC's index in the per-NIC counters: none (-1) is the spare slot past the last NIC. */
static inline int nic_slot(int nic, int nnics)
{
	return nic < 0 ? nnics : nic;
}

/*
 * A path's id in the table's path store: 0 when the store is full or its numbers do not fit (a
 * flow's direction without a cached path walks each time). Written a word at a time, as
 * dp_flow_path_intern compares it: words read back from narrower stores would wait for them to
 * drain. Only the words of its nhops hops are written: the store reads no further. Its sent and
 * at are nic_slot's, so that counting a cached packet needs no test of them.
 */
static uint32_t path_intern(struct dp_engine *e, const struct path_result *r)
{
	int nnics = e->path->t->nnics;
	struct dp_flow_path c;
	uint64_t *w = (uint64_t *)(void *)&c, fp = 0;

	for (int h = 0; h < r->nhops; h++) {
		const struct path_hop *hp = &r->hops[h];
		/*
		 * The cached fields are narrower: a NIC and a network number fit 16 bits (or are -1),
		 * and the configuration is kept only for a hop at a NIC (a hop without one has none).
		 */
		bool nic = hp->nic >= 0;

		if ((uint32_t)hp->nic + 1u > INT16_MAX + 1u || (uint32_t)hp->vnet + 1u > INT16_MAX + 1u ||
		    (nic ? (uint32_t)hp->ipcfg > UINT8_MAX : hp->ipcfg != -1))
			return 0;
		uint64_t a = (uint64_t)(uint16_t)hp->nic | (uint64_t)(uint16_t)hp->vnet << 16 | (uint64_t)(uint8_t)hp->kind << 32 |
			     (uint64_t)(nic ? (uint8_t)hp->ipcfg : 0) << 40,
			 b = (uint64_t)(uintptr_t)hp->route;

		w[4 + 2 * h] = a;
		w[5 + 2 * h] = b;
		fp = dp_flow_path_fp(dp_flow_path_fp(fp, a), b);
	}
	int code = r->delivered ? (int)r->end : (int)r->reason;

	w[0] = (uint64_t)r->delivered | (uint64_t)(uint8_t)code << 8 | (uint64_t)(uint32_t)(r->delivered ? code : 0) << 32;
	w[1] = (uint64_t)(uint32_t)(r->delivered ? 0 : code) | (uint64_t)(uint32_t)r->drop_hop << 32;
	w[2] = (uint64_t)(uint32_t)r->origin | (uint64_t)(uint32_t)r->nhops << 32;
	w[3] = (uint64_t)(uint32_t)nic_slot(fate_sent(r), nnics) | (uint64_t)(uint32_t)nic_slot(fate_at(r), nnics) << 32;
	for (int i = 0; i < 4; i++)
		fp = dp_flow_path_fp(fp, w[i]);
	return dp_flow_path_intern(&e->flows, &c, fp);
}

static void path_save(struct dp_engine *e, struct dp_flow_entry *fe, int dir, const struct path_result *r)
{
	fe->path[dir] = path_intern(e, r);
}

_Static_assert(offsetof(struct dp_flow_path, code) == 1 && offsetof(struct dp_flow_path, end) == 4 &&
		       offsetof(struct dp_flow_path, reason) == 8 && offsetof(struct dp_flow_path, drop_hop) == 12 &&
		       offsetof(struct dp_flow_path, origin) == 16 && offsetof(struct dp_flow_path, nhops) == 20 &&
		       offsetof(struct dp_flow_path, sent) == 24 && offsetof(struct dp_flow_path, at) == 28 &&
		       offsetof(struct dp_flow_path, hop) == 32 && sizeof(((struct dp_flow_path *)0)->hop[0]) == 16 &&
		       offsetof(struct dp_flow_path, hop[0].vnet) == 34 && offsetof(struct dp_flow_path, hop[0].kind) == 36 &&
		       offsetof(struct dp_flow_path, hop[0].ipcfg) == 37 && offsetof(struct dp_flow_path, hop[0].route) == 40 &&
		       sizeof(void *) == 8,
	       "path_save writes struct dp_flow_path as words");

/* A cached path's summary is path_result's first bytes as they are. */
#define SUMMARY_LEN 24
_Static_assert(offsetof(struct path_result, delivered) == 0 && sizeof(bool) == 1 && offsetof(struct path_result, end) == 4 &&
		       offsetof(struct path_result, reason) == 8 && offsetof(struct path_result, drop_hop) == 12 &&
		       offsetof(struct path_result, origin) == 16 && offsetof(struct path_result, nhops) == 20 &&
		       sizeof(enum path_end) == 4 && sizeof(enum path_drop) == 4 && sizeof(enum path_origin) == 4 &&
		       offsetof(struct path_result, hops) >= SUMMARY_LEN,
	       "struct dp_flow_path begins as struct path_result does");

/*
 * The result a walk without NSGs would give, from the flow's cached path; now stamps its hops.
 * Without hops, the summary only.
 */
static inline void path_load(const struct dp_flow_path *c, struct path_result *r, uint64_t now, bool hops)
{
	memcpy(r, c, SUMMARY_LEN);
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
		hp->tsc = now;
	}
}

/* A result as the walk would give it again for the same packet: the same hops and verdicts. */
static void path_copy(struct path_result *d, const struct path_result *s)
{
	d->delivered = s->delivered;
	d->end = s->end;
	d->reason = s->reason;
	d->drop_hop = s->drop_hop;
	d->origin = s->origin;
	d->nhops = s->nhops;
	memcpy(d->hops, s->hops, (size_t)s->nhops * sizeof(s->hops[0]));
}

/*
 * Count one packet's fate: every packet lands in exactly one counter. sent: the NIC that sent it;
 * at: the VM's NIC it reached when delivered to one, or where it was dropped. Both as nic_slot
 * gives them. Inlined: a cached packet's answer is mostly this.
 */
static inline __attribute__((always_inline)) void count_fate(struct dp_engine *e, uint32_t len, bool delivered,
							      int code, int sent, int at)
{
	e->c.nic_sent[sent]++;
	if (delivered) {
		e->c.delivered[code]++;
		e->c.delivered_bytes[code] += len;
		e->c.nic_received[at]++;
	} else {
		e->c.dropped[code]++;
		e->c.dropped_bytes[code] += len;
		e->c.nic_dropped[at]++;
	}
}

/* Count one walked packet. */
static void account(struct dp_engine *e, const struct dp_item *it, const struct path_result *r)
{
	const struct path_hop *h = &r->hops[r->drop_hop];
	int nn = e->path->t->nnics;

	count_fate(e, it->wire_len, r->delivered, r->delivered ? (int)r->end : (int)r->reason, nic_slot(fate_sent(r), nn),
		   nic_slot(fate_at(r), nn));
	if (!r->delivered && (r->reason == PATH_DROP_NSG_INBOUND || r->reason == PATH_DROP_NSG_OUTBOUND)) {
		const struct nsg_verdict *v = r->reason == PATH_DROP_NSG_INBOUND ? &h->nsg_in : &h->nsg_out;

		if (v->rule)
			e->c.rule_drops[v->rule_id]++;
	}
}

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
	struct dp_flow_key key[DP_PATH_BURST];
	uint32_t hash[DP_PATH_BURST], ghash[DP_PATH_BURST];
	bool lo[DP_PATH_BURST];
	uint64_t clk[DP_PATH_BURST];  /* per packet: the engine's clock when it arrives */
	int16_t next[DP_PATH_BURST];  /* per packet: the next of its flow in the burst, -1 last */
	int16_t first[DP_PATH_BURST]; /* per group: its first packet, for comparing keys */
	int16_t head[DP_PATH_BURST];  /* per group: first packet not yet resolved, -1 when none */
	int16_t tail[DP_PATH_BURST];
	int32_t pos[DP_PATH_BURST];
	unsigned ng;
	uint8_t slot[BURST_SLOTS]; /* by key hash: group + 1, 0 free */
	/* The round's walk. */
	struct nws_flow f[DP_PATH_BURST];
	bool skip[DP_PATH_BURST];
	struct path_result *res[DP_PATH_BURST];
	uint8_t widx[DP_PATH_BURST]; /* packet of each walk slot */
	unsigned nw;
	/* Per packet walked with NSGs: its pair's paths there and back when it had them, 0 when not. */
	uint32_t fwd_id[DP_PATH_BURST], back_id[DP_PATH_BURST];
	/* Per packet that starts a group outside any flow: its pair's key and hash, when pk. */
	uint64_t pkey[DP_PATH_BURST][5];
	uint32_t phash[DP_PATH_BURST];
	bool pk[DP_PATH_BURST];
	/* Per packet: its leader when it follows one, its flow, its direction in that flow. */
	int16_t lead[DP_PATH_BURST];
	struct dp_flow_entry *fe[DP_PATH_BURST];
	int8_t dir[DP_PATH_BURST];
	uint8_t fol[DP_PATH_BURST];
	unsigned nf;
};

static bool tcp_end(const struct dp_item *it)
{
	/* FIN or RST: the flow log's E state. */
	return it->pkt.flow.proto == AZ_PROTO_TCP && (it->pkt.tcp_flags & (DP_TCP_FIN | DP_TCP_RST));
}

static void flow_touch(const struct dp_engine *e, struct dp_flow_entry *fe, int dir, const struct dp_item *it,
		       uint64_t clk)
{
	if (e->flow_info) { /* a line of its own: only flow logs count a flow's packets */
		struct dp_flow_info *fi = dp_flow_info(&e->flows, fe);

		fi->packets[dir]++;
		fi->bytes[dir] += it->wire_len;
	}
	fe->last_ns = clk;
	if (tcp_end(it))
		fe->ended = true;
}

static void flow_gone(struct dp_engine *e, struct dp_flow_entry *fe, uint32_t hash)
{
	if (e->gone)
		e->gone(e->gone_arg, fe, dp_flow_info(&e->flows, fe));
	dp_flow_remove(&e->flows, (int32_t)(fe - e->flows.e), hash);
	e->c.flows_expired++;
}

/* account() for a packet answered from a cached path (never an NSG's drop: no rule was evaluated). */
static inline void account_cached(struct dp_engine *e, const struct dp_item *it, const struct dp_flow_path *c)
{
	count_fate(e, it->wire_len, c->delivered, c->code, c->sent, c->at);
}

/* Inlined: for most packets it is all the engine does after the lookup, and a call's saves cost. */
static inline __attribute__((always_inline)) void use_cached(struct dp_engine *e, const struct dp_item *it,
							      struct dp_outcome *o, const struct dp_flow_entry *fe, int dir)
{
	const struct dp_flow_path *c = dp_flow_path_get(&e->flows, fe->path[dir]);

	path_load(c, &o->r, e->round_tsc, e->hops);
	o->stateful = true;
	o->flow_dir = dir;
	e->c.stateful++;
	account_cached(e, it, c);
}

static void walk_add(struct burst *b, struct dp_item *const *it, struct dp_outcome *const *out, int i, bool skip)
{
	unsigned w = b->nw++;

	b->f[w] = it[i]->pkt.flow;
	b->skip[w] = skip;
	b->res[w] = &out[i]->r;
	b->widx[w] = (uint8_t)i;
	b->lead[i] = -1;
	b->fwd_id[i] = b->back_id[i] = 0;
}

/* The same flow the other way: its replies' 5-tuple. */
static inline struct nws_flow flow_back(const struct nws_flow *x)
{
	return (struct nws_flow){ .proto = x->proto, .has_ports = x->has_ports, .src = x->dst, .dst = x->src,
				  .sport = x->dport, .dport = x->sport };
}

/* A packet walked with NSGs that got through: it starts a flow (when the table has room). */
static struct dp_flow_entry *admit(struct dp_engine *e, struct burst *b, int i, const struct dp_item *it,
				   const struct path_result *r, struct dp_outcome *o)
{
	struct dp_flow_entry *fe = dp_flow_admit(&e->flows, &b->key[i], b->hash[i], b->lo[i], b->clk[i]);

	if (!fe) {
		e->c.flow_table_full++;
		return NULL;
	}
	e->c.flows_admitted++;
	fe->ended = tcp_end(it);
	if (e->flow_info) {
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
	if (b->fwd_id[i])
		fe->path[0] = b->fwd_id[i];
	else
		path_save(e, fe, 0, r);
	o->flow_dir = 0;
	return fe;
}

/* Take group g's packets from its head for as long as their outcome needs nothing unresolved. */
static void plan_group(struct dp_engine *e, struct burst *b, unsigned g, struct dp_item *const *it,
		       struct dp_outcome *const *out)
{
	int i = b->head[g];
	int16_t leader[2] = { -1, -1 };
	struct dp_flow_entry *fe = NULL;

	if (b->pos[g] >= 0) {
		fe = &e->flows.e[b->pos[g]];
		if (dp_flow_stale(&e->flows, fe, b->clk[i])) {
			flow_gone(e, fe, b->hash[i]);
			fe = NULL;
		}
	}
	for (; i >= 0; i = b->next[i]) {
		if (fe) {
			int d = fe->init_lo == b->lo[i] ? 0 : 1;

			if (dp_flow_stale(&e->flows, fe, b->clk[i]))
				break; /* idle too long before this one: the next round expires it */
			flow_touch(e, fe, d, it[i], b->clk[i]);
			b->fe[i] = fe;
			b->dir[i] = (int8_t)d;
			if (fe->path[d]) {
				use_cached(e, it[i], out[i], fe, d);
			} else if (leader[d] >= 0) {
				b->lead[i] = leader[d];
				b->fol[b->nf++] = (uint8_t)i;
			} else {
				leader[d] = (int16_t)i;
				walk_add(b, it, out, i, true);
			}
			continue;
		}
		int h = b->head[g];

		b->fe[i] = NULL;
		if (i == h) {
			walk_add(b, it, out, i, false);
			continue;
		}
		if (b->lo[i] != b->lo[h] || b->clk[i] - b->clk[h] > e->flows.idle_ns)
			break; /* the way back, or late: depends on what the head does to the flow table */
		b->lead[i] = (int16_t)h;
		b->fol[b->nf++] = (uint8_t)i;
	}
	b->head[g] = (int16_t)i;
}

static struct dp_denied_slot *denied_slot(const struct dp_engine *e, const struct burst *b, int i, bool has_ports)
{
	return &e->denied[(b->hash[i] ^ (b->lo[i] ? DENIED_SALT_BACK : 0) ^ (has_ports ? DENIED_SALT_PORTS : 0)) & (DENIED_SLOTS - 1)];
}

static void resolve_leader(struct dp_engine *e, struct burst *b, unsigned w, struct dp_item *const *it,
			   struct dp_outcome *const *out)
{
	int i = b->widx[w];
	const struct path_result *r = b->res[w];

	out[i]->stateful = b->skip[w];
	if (b->skip[w]) {
		e->c.stateful++;
		out[i]->flow_dir = b->dir[i];
		path_save(e, b->fe[i], b->dir[i], r);
	}
	account(e, it[i], r);
	if (r->delivered && !b->skip[w])
		b->fe[i] = admit(e, b, i, it[i], r, out[i]);
	count_rules(e, r);
	if (!r->delivered && !b->skip[w] && e->denied) {
		struct dp_denied_slot *s = denied_slot(e, b, i, it[i]->pkt.flow.has_ports);

		s->key = b->key[i];
		s->lo = b->lo[i];
		s->has_ports = it[i]->pkt.flow.has_ports;
		path_copy(&e->denied_r[s - e->denied], r);
		s->used = true;
	}
}

/*
 * The round's walks with NSGs whose pair of addresses is known need none: the pair's walk without
 * NSGs, cut short at the first of its NSG points that refuses (dp_path_walk_marks), is what the
 * walk would give. A pair not known yet is walked without NSGs both ways first, and kept.
 */
#define PAIR_CHECKS 4 /* NSG points a kept pair may have: a source, an appliance's two, a destination */

static inline bool pair_marks_ok(uint16_t marks)
{
	return __builtin_popcount(marks) <= PAIR_CHECKS;
}

/* The walk with NSGs from the one without: v[] the verdicts at r's NSG points, marks, in order. */
static void pair_apply(struct path_result *r, uint16_t marks, const struct nsg_verdict *v)
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
			r->end = 0;
			r->reason = out ? PATH_DROP_NSG_OUTBOUND : PATH_DROP_NSG_INBOUND;
			r->drop_hop = h;
			r->nhops = h + 1;
			hp->route = NULL;
			return;
		}
	}
}

static void walk_round(struct dp_engine *e, struct burst *b)
{
	struct nws_flow pf[DP_PATH_BURST];
	bool pskip[DP_PATH_BURST];
	struct path_result *pr[DP_PATH_BURST];
	uint64_t key[DP_PATH_BURST][5];
	struct dp_pair *slot[DP_PATH_BURST];
	/*
	 * Per walk with NSGs: the pair's entry as found or made. Copied, not read from its slot later:
	 * another pair of the round may take the slot.
	 */
	struct dp_pair got[DP_PATH_BURST];
	bool walked[DP_PATH_BURST]; /* its result holds the walk without NSGs already */
	uint8_t mw[DP_PATH_BURST], miss[DP_PATH_BURST];
	unsigned np = 0, nm = 0, nmiss = 0, nq = 0;

	if (!e->pairs.s) {
		dp_path_walk_into(e->path, b->f, b->skip, b->res, b->nw, e->hops);
		return;
	}
	for (unsigned w = 0; w < b->nw; w++) {
		if (b->skip[w]) {
			pf[np] = b->f[w];
			pskip[np] = true;
			pr[np++] = b->res[w];
			continue;
		}
		int i = b->widx[w];

		if (b->pk[i]) {
			memcpy(key[nm], b->pkey[i], sizeof(key[nm]));
			slot[nm] = dp_pairs_slots(&e->pairs, b->phash[i]);
		} else {
			slot[nm] = dp_pairs_slots(&e->pairs, dp_pairs_key(&b->f[w], key[nm]));
			dp_pairs_prefetch(slot[nm]);
		}
		mw[nm++] = (uint8_t)w;
	}
	for (unsigned k = 0; k < nm; k++) {
		const struct dp_pair *p = dp_pairs_find(slot[k], key[k]);

		walked[k] = false;
		if (p)
			got[k] = *p;
		else
			miss[nmiss++] = (uint8_t)k;
	}
	e->pairs.hits += nm - nmiss;
	e->pairs.misses += nmiss;
	if (nmiss) {
		/* There into the packets' own results (the NSG points are then applied to them), back aside. */
		struct nws_flow ff[DP_PATH_BURST], bf[DP_PATH_BURST];
		struct path_result *fr[DP_PATH_BURST], *br[DP_PATH_BURST];
		uint16_t fm[DP_PATH_BURST], bm[DP_PATH_BURST]; /* bm unread: the way back is kept, not judged */

		for (unsigned j = 0; j < nmiss; j++) {
			unsigned w = mw[miss[j]];
			const struct nws_flow *x = &b->f[w];

			ff[j] = *x;
			fr[j] = b->res[w];
			bf[j] = flow_back(x);
			br[j] = &e->back_r[j];
		}
		dp_path_walk_marks(e->path, ff, fr, fm, nmiss, false);
		dp_path_walk_marks(e->path, bf, br, bm, nmiss, false);
		for (unsigned j = 0; j < nmiss; j++) {
			unsigned k = miss[j];
			struct dp_pair *g = &got[k];

			g->fwd = pair_marks_ok(fm[j]) ? path_intern(e, fr[j]) : 0;
			g->back = g->fwd ? path_intern(e, br[j]) : 0;
			if (!g->back) { /* not kept (too many NSG points, or the path store is full): walked with NSGs */
				unsigned w = mw[k];

				pf[np] = b->f[w];
				pskip[np] = false;
				pr[np++] = b->res[w];
				continue;
			}
			memcpy(g->k, key[k], sizeof(key[k]));
			g->marks = fm[j];
			dp_pairs_put(slot[k], g);
			walked[k] = true;
		}
	}
	/* Every kept pair's NSG points, in one dp_verify. */
	struct nsg_query q[DP_PATH_BURST * PAIR_CHECKS];
	struct nsg_verdict v[DP_PATH_BURST * PAIR_CHECKS];
	uint16_t qat[DP_PATH_BURST];

	for (unsigned k = 0; k < nm; k++) {
		unsigned w = mw[k];
		struct path_result *r = b->res[w];

		if (!got[k].back)
			continue;
		if (!walked[k])
			path_load(dp_flow_path_get(&e->flows, got[k].fwd), r, 0, true);
		qat[k] = (uint16_t)nq;
		for (uint16_t m = got[k].marks; m; m &= (uint16_t)(m - 1)) {
			int bit = __builtin_ctz(m);
			const struct path_hop *hp = &r->hops[bit >> 1];

			/* Field by field: a compound literal is built aside and then copied. */
			q[nq].nic = hp->nic;
			q[nq].ipcfg = hp->ipcfg;
			q[nq].dir = bit & 1 ? AZ_OUTBOUND : AZ_INBOUND;
			q[nq++].flow = b->f[w];
		}
	}
	if (nq)
		dp_verify(e->path->acl, e->path->nsg, q, v, nq);
	if (np)
		dp_path_walk_into(e->path, pf, pskip, pr, np, e->hops);
	uint64_t now = e->hops ? rte_rdtsc() : 0;

	for (unsigned k = 0; k < nm; k++) {
		unsigned w = mw[k];
		struct path_result *r = b->res[w];

		if (!got[k].back)
			continue;
		pair_apply(r, got[k].marks, &v[qat[k]]);
		for (int h = 0; e->hops && h < r->nhops; h++)
			r->hops[h].tsc = now;
		b->fwd_id[b->widx[w]] = got[k].fwd; /* admit reads it for a walk that got through only */
		b->back_id[b->widx[w]] = got[k].back;
	}
}

/*
 * The way back of the flows the round admitted, walked now rather than when their first reply
 * comes, as a host's flow table sets up both directions of a connection at once: the reply is
 * then a known flow's packet like any later one. The walk without NSGs depends on the addresses
 * alone, which the reply's are (swapped), and the topology cannot change while the flow lives.
 */
static void walk_back(struct dp_engine *e, struct burst *b, struct dp_item *const *it)
{
	struct nws_flow f[DP_PATH_BURST];
	bool skip[DP_PATH_BURST];
	struct path_result *r[DP_PATH_BURST];
	struct dp_flow_entry *fe[DP_PATH_BURST];
	unsigned n = 0;

	if (!e->back_r)
		return;
	for (unsigned w = 0; w < b->nw; w++) {
		int i = b->widx[w];

		if (b->skip[w] || !b->fe[i] || !b->fe[i]->path[0] || b->fe[i]->path[1])
			continue;
		if (b->back_id[i]) {
			b->fe[i]->path[1] = b->back_id[i];
			continue;
		}
		const struct nws_flow *x = &it[i]->pkt.flow;

		f[n] = flow_back(x);
		skip[n] = true;
		r[n] = &e->back_r[n];
		fe[n++] = b->fe[i];
	}
	if (!n)
		return;
	dp_path_walk_into(e->path, f, skip, r, n, false);
	for (unsigned k = 0; k < n; k++)
		path_save(e, fe[k], 1, r[k]);
}

static void resolve_follower(struct dp_engine *e, struct burst *b, int k, struct dp_item *const *it,
			     struct dp_outcome *const *out)
{
	int j = b->lead[k];
	struct dp_flow_entry *fe = b->fe[j];

	if (out[j]->stateful) { /* a known flow: its direction's path is cached now */
		use_cached(e, it[k], out[k], fe, b->dir[k]);
		return;
	}
	if (fe) { /* the leader started the flow: this one passes as part of it */
		flow_touch(e, fe, 0, it[k], b->clk[k]);
		use_cached(e, it[k], out[k], fe, 0);
		return;
	}
	/* Denied or dropped (or admitted into a full table): the same walk, the same answer. */
	path_copy(&out[k]->r, &out[j]->r);
	account(e, it[k], &out[k]->r);
	if (out[k]->r.delivered)
		b->fe[j] = admit(e, b, k, it[k], &out[k]->r, out[k]);
	count_rules(e, &out[k]->r);
}

/* A packet outside any flow whose tuple was walked and refused before: the same answer again. */
static bool denied_again(struct dp_engine *e, struct burst *b, int i, struct dp_item *const *it, struct dp_outcome *const *out)
{
	bool ports = it[i]->pkt.flow.has_ports;
	const struct dp_denied_slot *s = denied_slot(e, b, i, ports);

	if (!s->used || s->lo != b->lo[i] || s->has_ports != ports || !dp_flow_key_eq(&s->key, &b->key[i]))
		return false;
	struct path_result *r = &out[i]->r;
	const struct path_result *c = &e->denied_r[s - e->denied];

	e->denied_hits++;
	if (e->hops) {
		path_copy(r, c);
		for (int h = 0; h < r->nhops; h++)
			r->hops[h].tsc = e->round_tsc;
	} else {
		r->delivered = false;
		r->end = c->end;
		r->reason = c->reason;
		r->drop_hop = c->drop_hop;
		r->origin = c->origin;
		r->nhops = c->nhops;
	}
	account(e, it[i], c);
	count_rules(e, c);
	return true;
}

/*
 * A packet of a known flow that is not idle, whose direction's path is cached and none of whose
 * earlier packets in the burst took the slow way: answered on the spot, in burst order.
 */
static bool fast(struct dp_engine *e, struct burst *b, int i, int32_t pos, struct dp_item *const *it,
		 struct dp_outcome *const *out)
{
	if (pos < 0)
		return false;
	struct dp_flow_entry *fe = &e->flows.e[pos];
	int d = fe->init_lo == b->lo[i] ? 0 : 1;

	if (fe->held == e->bursts || !fe->path[d] || dp_flow_stale(&e->flows, fe, b->clk[i])) {
		fe->held = e->bursts; /* its later packets wait for this one */
		return false;
	}
	flow_touch(e, fe, d, it[i], b->clk[i]);
	use_cached(e, it[i], out[i], fe, d);
	return true;
}

void dp_engine_burst(struct dp_engine *e, struct dp_item *const *it, struct dp_outcome *const *out, unsigned n)
{
	struct burst b;
	const struct dp_flow_key *keyp[DP_PATH_BURST];
	uint32_t hash[DP_PATH_BURST];
	int32_t pos[DP_PATH_BURST];
	uint8_t idx[DP_PATH_BURST];
	unsigned np = 0;
	uint64_t now = e->now_ns, tsc_in = rte_rdtsc(), bytes = 0;

	/* 0 marks no flow: a flow held in burst 2^32 - 1 ago must not look held now. */
	if (++e->bursts == 0)
		e->bursts = 1;
	e->c.received += n;
	for (unsigned i = 0; i < n; i++) {
		bytes += it[i]->wire_len;
		out[i]->tsc_in = tsc_in; /* stateful and flow_dir: by fast(), or below for the rest */
		if (it[i]->ts_ns > now)
			now = it[i]->ts_ns;
		b.clk[i] = now;
		if (it[i]->unparsed >= 0) {
			out[i]->stateful = false;
			out[i]->flow_dir = -1;
			e->c.unparsed[it[i]->unparsed]++;
			e->c.unparsed_bytes[it[i]->unparsed] += it[i]->wire_len;
			continue;
		}
		join_fragment(e, &it[i]->pkt, now);
		dp_flow_key(&b.key[i], &it[i]->pkt.flow, &b.lo[i]);
		b.hash[i] = hash[np] = dp_flow_hash(&b.key[i]);
		dp_flow_prefetch(&e->flows, hash[np]); /* the bucket, while the rest of the burst is hashed */
		keyp[np] = &b.key[i];
		idx[np++] = (uint8_t)i;
	}
	e->c.received_bytes += bytes;
	e->now_ns = now;
	dp_flow_sweep_look(&e->flows, now);
	dp_flow_lookup_bulk(&e->flows, keyp, hash, np, pos);
	e->round_tsc = tsc_in;
	/* Most packets belong to known flows: those go now; the rest are grouped by flow below. */
	b.ng = 0;
	memset(b.slot, 0, sizeof(b.slot));
	for (unsigned k = 0; k < np; k++) {
		int i = idx[k];

		if (fast(e, &b, i, pos[k], it, out))
			continue;
		out[i]->stateful = false;
		out[i]->flow_dir = -1;
		b.next[i] = -1;
		b.pk[i] = false;
		unsigned g, slot = b.hash[i] & (BURST_SLOTS - 1);

		/* Open addressing over twice the burst's size: a free slot is always found. */
		while ((g = b.slot[slot]) != 0 &&
		       (b.ghash[g - 1] != b.hash[i] || !dp_flow_key_eq(&b.key[b.first[g - 1]], &b.key[i])))
			slot = (slot + 1) & (BURST_SLOTS - 1);
		if (g) {
			g--;
			b.next[b.tail[g]] = (int16_t)i;
		} else if (pos[k] < 0 && e->denied && denied_again(e, &b, i, it, out)) {
			continue; /* no earlier packet of its flow waits in this burst: it may go first */
		} else {
			g = b.ng++;
			b.slot[slot] = (uint8_t)(g + 1);
			b.first[g] = b.head[g] = (int16_t)i;
			b.ghash[g] = b.hash[i];
			b.pos[g] = pos[k];
			if (pos[k] < 0 && e->pairs.s) { /* a new flow: its pair's slot, while the burst is sorted */
				b.phash[i] = dp_pairs_key(&it[i]->pkt.flow, b.pkey[i]);
				dp_pairs_prefetch(dp_pairs_slots(&e->pairs, b.phash[i]));
				b.pk[i] = true;
			}
		}
		b.tail[g] = (int16_t)i;
	}
	for (bool more = b.ng > 0; more;) {
		b.nw = b.nf = 0;
		/* Cached hops' stamp: one TSC read a round, not a packet; none without hops (~25 cycles). */
		if (e->hops)
			e->round_tsc = rte_rdtsc();
		for (unsigned g = 0; g < b.ng; g++)
			if (b.head[g] >= 0)
				plan_group(e, &b, g, it, out);
		if (b.nw)
			walk_round(e, &b); /* hop times: only with hops */
		for (unsigned w = 0; w < b.nw; w++)
			resolve_leader(e, &b, w, it, out);
		walk_back(e, &b, it);
		for (unsigned f = 0; f < b.nf; f++)
			resolve_follower(e, &b, b.fol[f], it, out);
		more = false;
		for (unsigned g = 0; g < b.ng; g++)
			if (b.head[g] >= 0) {
				more = true;
				b.pos[g] = dp_flow_lookup(&e->flows, &b.key[b.head[g]], b.hash[b.head[g]]);
			}
	}
	e->c.flows_expired += dp_flow_sweep_take(&e->flows, now, e->gone, e->gone_arg);
}

void dp_engine_age_out(struct dp_engine *e, uint64_t now_ns)
{
	if (now_ns > e->now_ns)
		e->now_ns = now_ns;
	e->c.flows_expired += dp_flow_expire(&e->flows, e->now_ns, e->gone, e->gone_arg);
}

void dp_counters_add(struct dp_counters *dst, const struct dp_counters *src, size_t nrules, size_t nnics)
{
	dst->received += src->received;
	dst->received_bytes += src->received_bytes;
	for (int i = 0; i < PATH_END_COUNT; i++) {
		dst->delivered[i] += src->delivered[i];
		dst->delivered_bytes[i] += src->delivered_bytes[i];
	}
	for (int i = 0; i < PATH_DROP_COUNT; i++) {
		dst->dropped[i] += src->dropped[i];
		dst->dropped_bytes[i] += src->dropped_bytes[i];
	}
	for (int i = 0; i < DP_UNPARSED_COUNT; i++) {
		dst->unparsed[i] += src->unparsed[i];
		dst->unparsed_bytes[i] += src->unparsed_bytes[i];
	}
	dst->stateful += src->stateful;
	dst->flows_admitted += src->flows_admitted;
	dst->flow_table_full += src->flow_table_full;
	dst->fragments_unmatched += src->fragments_unmatched;
	dst->flows_expired += src->flows_expired;
	dst->flows_reset += src->flows_reset;
	for (size_t r = 0; r <= nrules; r++) {
		dst->rule_hits[r] += src->rule_hits[r];
		dst->rule_drops[r] += src->rule_drops[r];
	}
	for (size_t n = 0; n < nnics; n++) {
		dst->nic_sent[n] += src->nic_sent[n];
		dst->nic_received[n] += src->nic_received[n];
		dst->nic_dropped[n] += src->nic_dropped[n];
	}
}

static uint64_t sum(const uint64_t *v, int n)
{
	uint64_t t = 0;

	for (int i = 0; i < n; i++)
		t += v[i];
	return t;
}

void dp_engine_totals(const struct dp_engine *e, struct dp_policy_tally *t)
{
	t->received = e->c.received;
	t->delivered = sum(e->c.delivered, PATH_END_COUNT);
	t->dropped = sum(e->c.dropped, PATH_DROP_COUNT);
	t->unparsed = sum(e->c.unparsed, DP_UNPARSED_COUNT);
}

void dp_engine_tally(const struct dp_engine *e, struct dp_policy_tally *t)
{
	dp_engine_totals(e, t);
	t->received -= e->base.received;
	t->delivered -= e->base.delivered;
	t->dropped -= e->base.dropped;
	t->unparsed -= e->base.unparsed;
}

void dp_engine_attach(struct dp_engine *e, struct dp_policy *p, struct dp_policy_ver *v, unsigned tid)
{
	e->policy = p;
	e->ver = v;
	e->tid = tid;
	dp_engine_totals(e, &e->base);
	rte_rcu_qsbr_thread_register(p->qs, tid);
}

void dp_engine_online(struct dp_engine *e)
{
	if (e->policy)
		rte_rcu_qsbr_thread_online(e->policy->qs, e->tid);
}

void dp_engine_offline(struct dp_engine *e)
{
	if (e->policy)
		rte_rcu_qsbr_thread_offline(e->policy->qs, e->tid);
}

void dp_engine_quiescent(struct dp_engine *e)
{
	if (e->policy)
		rte_rcu_qsbr_quiescent(e->policy->qs, e->tid);
}

/*
 * Leave the current version for v: what was counted under it goes into its tally, the flows go
 * (they and their cached paths point into its topology; the flow log hears of each), and the
 * counters sized for its rules and NICs are swapped for v's. All before the next quiescent
 * report, so the old version is still there (see dp_policy_swap).
 */
void dp_engine_adopt(struct dp_engine *e, struct dp_policy_ver *v)
{
	struct dp_policy_ver *old = e->ver;
	struct dp_policy_ctr *give = &old->retired[e->tid], *take = &v->ctr[e->tid];

	dp_engine_tally(e, &old->tally[e->tid]);
	e->c.flows_reset += dp_flow_flush(&e->flows, e->gone, e->gone_arg);
	*give = (struct dp_policy_ctr){ .rule_hits = e->c.rule_hits, .rule_drops = e->c.rule_drops, .nic_sent = e->c.nic_sent,
					.nic_received = e->c.nic_received, .nic_dropped = e->c.nic_dropped };
	e->c.rule_hits = take->rule_hits;
	e->c.rule_drops = take->rule_drops;
	e->c.nic_sent = take->nic_sent;
	e->c.nic_received = take->nic_received;
	e->c.nic_dropped = take->nic_dropped;
	memset(take, 0, sizeof(*take));
	e->path = v->path;
	dp_pairs_flush(&e->pairs); /* their paths went with the flows */
	if (e->denied)
		for (unsigned i = 0; i < DENIED_SLOTS; i++)
			e->denied[i].used = false;
	e->ver = v;
	dp_engine_totals(e, &e->base);
	__atomic_store_n(&old->left[e->tid], true, __ATOMIC_RELEASE);
}
