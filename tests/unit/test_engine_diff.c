/*
 * The engine against an oracle: the same packet sequence through the engine, in bursts of random
 * sizes and in every configuration of its accelerators, and through a plain model of what it
 * must do (rules/'s path_walk, one packet at a time, and a flow table that is a list searched
 * end to end) must give every packet the same fate and the same counters (rule hits and drops,
 * per NIC, per reason), and leave the same flow records (admitted, counted, ended, aged out).
 * Packets come from a small pool of flows, back to back and interleaved, both ways, with FINs and
 * RSTs, fragments, unparsed ones, idle gaps past the timeout and clocks that jump backwards
 * (captures replayed one after another).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp_engine.h"
#include "tgen.h"
#include "tutil.h"

#define IDLE_NS 50000u

static size_t packets, stateful, walked_bursts, gone_total;
static size_t seen_reason[PATH_DROP_COUNT], seen_end[PATH_END_COUNT];

/* One flow as it left the table, or as it is at the end. Zeroed first: compared with memcmp. */
struct flow_rec {
	struct nws_flow init;
	uint64_t first_ns, last_ns, packets[2], bytes[2];
	bool ended;
	uint8_t nnsg;
	struct {
		int32_t inst, nic;
		uint8_t dir;
		const struct topo_rule *rule;
	} nsg[DP_FLOW_NSG_MAX];
};

struct recs {
	struct flow_rec *v;
	size_t n, cap;
};

static struct flow_rec *rec_new(struct recs *r)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		assert_non_null(r->v);
	}
	memset(&r->v[r->n], 0, sizeof(r->v[0]));
	return &r->v[r->n++];
}

/* The engine's record of a flow. */
static void rec_add(struct recs *r, const struct dp_flow_entry *fe, const struct dp_flow_info *fi, bool ended)
{
	struct flow_rec *x = rec_new(r);

	x->init = fi->init;
	x->first_ns = fi->first_ns;
	x->last_ns = fe->last_ns;
	memcpy(x->packets, fi->packets, sizeof(x->packets));
	memcpy(x->bytes, fi->bytes, sizeof(x->bytes));
	x->ended = ended;
	x->nnsg = fi->nnsg;
	for (int i = 0; i < fi->nnsg; i++) {
		x->nsg[i].inst = fi->nsg[i].inst;
		x->nsg[i].nic = fi->nsg[i].nic;
		x->nsg[i].dir = fi->nsg[i].dir;
		x->nsg[i].rule = fi->nsg[i].rule;
	}
}

static void on_gone(void *arg, const struct dp_flow_entry *fe, const struct dp_flow_info *fi)
{
	rec_add(arg, fe, fi, true);
	gone_total++;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct flow_rec *x = a, *y = b;
	int c = memcmp(&x->init.src.v, &y->init.src.v, sizeof(x->init.src.v));

	if (c)
		return c;
	if ((c = memcmp(&x->init.dst.v, &y->init.dst.v, sizeof(x->init.dst.v))))
		return c;
	if (x->init.sport != y->init.sport || x->init.dport != y->init.dport || x->init.proto != y->init.proto)
		return x->init.sport != y->init.sport ? x->init.sport - y->init.sport
		       : x->init.dport != y->init.dport ? x->init.dport - y->init.dport
							: x->init.proto - y->init.proto;
	return x->first_ns < y->first_ns ? -1 : x->first_ns > y->first_ns;
}

/* Everything that left the engine's table plus what is still in it, in one order. */
static void all_flows(struct dp_engine *e, struct recs *r)
{
	uint32_t it = 0;
	int32_t pos;

	while ((pos = dp_flow_next(&e->flows, &it)) >= 0) {
		const struct dp_flow_entry *fe = &e->flows.e[pos];

		rec_add(r, fe, &e->flows.info[pos], fe->ended || dp_flow_stale(&e->flows, fe, e->now_ns));
	}
	qsort(r->v, r->n, sizeof(*r->v), rec_cmp);
}

/*
 * The oracle. Its flows are a list: a packet belongs to the flow whose first packet had its
 * 5-tuple (direction 0) or the reverse (1). Fragments join through the engine's own fragment
 * table (dp_frags: direct-mapped, so it forgets a datagram another one displaced; the oracle must
 * forget it too), the one part shared.
 */
struct oflow {
	struct flow_rec rec;
	bool used;
};

struct oracle {
	struct path_env env;
	struct dp_frags frags;
	struct oflow *f;
	size_t n, cap;
	uint64_t now, idle_ns;
	struct dp_counters c;
	struct recs done;
};

static void oracle_init(struct oracle *o, const struct tu_path *tp, uint64_t idle_ns)
{
	const struct topo *t = tp->net.t;
	struct nws_err err;

	memset(o, 0, sizeof(*o));
	o->env = (struct path_env){ .t = t, .nsg = &tp->net.m, .rm = &tp->rm };
	o->idle_ns = idle_ns;
	if (dp_frags_init(&o->frags, &err) < 0)
		fail_msg("%s", err.msg);
	o->c.rule_hits = calloc(t->nrules + 1, sizeof(uint64_t));
	o->c.rule_drops = calloc(t->nrules + 1, sizeof(uint64_t));
	o->c.nic_sent = calloc(t->nnics + 1, sizeof(uint64_t));
	o->c.nic_received = calloc(t->nnics + 1, sizeof(uint64_t));
	o->c.nic_dropped = calloc(t->nnics + 1, sizeof(uint64_t));
	assert_true(o->c.rule_hits && o->c.rule_drops && o->c.nic_sent && o->c.nic_received && o->c.nic_dropped);
}

static void oracle_free(struct oracle *o)
{
	dp_frags_free(&o->frags);
	free(o->f);
	free(o->done.v);
	free(o->c.rule_hits);
	free(o->c.rule_drops);
	free(o->c.nic_sent);
	free(o->c.nic_received);
	free(o->c.nic_dropped);
}

static bool same_tuple(const struct nws_flow *a, const struct nws_flow *b)
{
	return a->proto == b->proto && a->src.fam == b->src.fam && nws_ip_eq(&a->src, &b->src) &&
	       nws_ip_eq(&a->dst, &b->dst) && a->sport == b->sport && a->dport == b->dport;
}

static struct oflow *oracle_find(struct oracle *o, const struct nws_flow *f, int *dir)
{
	struct nws_flow back = { .proto = f->proto, .src = f->dst, .dst = f->src, .sport = f->dport, .dport = f->sport };

	for (size_t i = 0; i < o->n; i++) {
		if (!o->f[i].used)
			continue;
		if (same_tuple(&o->f[i].rec.init, f) || same_tuple(&o->f[i].rec.init, &back)) {
			*dir = same_tuple(&o->f[i].rec.init, f) ? 0 : 1;
			return &o->f[i];
		}
	}
	return NULL;
}

/* The NICs a packet's fate names, as the counters' documentation says: -1 none. */
static void oracle_nics(const struct path_result *r, int *sent, int *at)
{
	*sent = r->hops[0].kind == PATH_HOP_SOURCE ? r->hops[0].nic : -1;
	*at = !r->delivered ? r->hops[r->drop_hop].nic : r->end == PATH_END_VM ? r->hops[r->nhops - 1].nic : -1;
}

/* Where a packet's fate is counted, as the counters' documentation says. */
static void oracle_count(struct oracle *o, const struct dp_item *it, const struct path_result *r)
{
	int nn = o->env.t->nnics, sent, at;

	oracle_nics(r, &sent, &at);

	o->c.nic_sent[sent < 0 ? nn : sent]++;
	if (r->delivered) {
		o->c.delivered[r->end]++;
		o->c.delivered_bytes[r->end] += it->wire_len;
		o->c.nic_received[at < 0 ? nn : at]++;
	} else {
		o->c.dropped[r->reason]++;
		o->c.dropped_bytes[r->reason] += it->wire_len;
		o->c.nic_dropped[at < 0 ? nn : at]++;
	}
	for (int h = 0; h < r->nhops; h++) {
		const struct path_hop *hp = &r->hops[h];

		if (hp->has_out && hp->nsg_out.rule) {
			o->c.rule_hits[hp->nsg_out.rule_id]++;
			if (!r->delivered && r->reason == PATH_DROP_NSG_OUTBOUND && h == r->drop_hop)
				o->c.rule_drops[hp->nsg_out.rule_id]++;
		}
		if (hp->has_in && hp->nsg_in.rule) {
			o->c.rule_hits[hp->nsg_in.rule_id]++;
			if (!r->delivered && r->reason == PATH_DROP_NSG_INBOUND && h == r->drop_hop)
				o->c.rule_drops[hp->nsg_in.rule_id]++;
		}
	}
}

/* A new flow from its first packet: the NSGs on its way, outbound before inbound at each hop. */
static void oracle_admit(struct oracle *o, const struct dp_item *it, const struct path_result *r)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 64;
		o->f = realloc(o->f, o->cap * sizeof(*o->f));
		assert_non_null(o->f);
	}
	struct oflow *fl = &o->f[o->n++];
	struct flow_rec *x = &fl->rec;

	memset(fl, 0, sizeof(*fl));
	fl->used = true;
	x->init = it->pkt.flow;
	x->first_ns = x->last_ns = o->now;
	x->packets[0] = 1;
	x->bytes[0] = it->wire_len;
	x->ended = it->pkt.flow.proto == AZ_PROTO_TCP && (it->pkt.tcp_flags & (DP_TCP_FIN | DP_TCP_RST));
	for (int h = 0; h < r->nhops; h++)
		for (int k = 0; k < 2; k++) {
			bool out = k == 0;
			const struct nsg_verdict *v = out ? &r->hops[h].nsg_out : &r->hops[h].nsg_in;

			if (!(out ? r->hops[h].has_out : r->hops[h].has_in))
				continue;
			for (int l = 0; l < v->nlevels && x->nnsg < DP_FLOW_NSG_MAX; l++) {
				x->nsg[x->nnsg].inst = v->level_inst[l];
				x->nsg[x->nnsg].nic = r->hops[h].nic;
				x->nsg[x->nnsg].dir = (uint8_t)(out ? AZ_OUTBOUND : AZ_INBOUND);
				x->nsg[x->nnsg++].rule = v->level_rule[l];
			}
		}
	o->c.flows_admitted++;
}

static void oracle_packet(struct oracle *o, struct dp_item *it, struct dp_outcome *out)
{
	int dir = 0;

	o->c.received++;
	o->c.received_bytes += it->wire_len;
	if (it->ts_ns > o->now)
		o->now = it->ts_ns; /* the engine's clock never runs backwards */
	out->stateful = false;
	out->flow_dir = -1;
	if (it->unparsed >= 0) {
		o->c.unparsed[it->unparsed]++;
		o->c.unparsed_bytes[it->unparsed] += it->wire_len;
		return;
	}
	if (!dp_frags_join(&o->frags, &it->pkt, o->now))
		o->c.fragments_unmatched++;
	struct oflow *fl = oracle_find(o, &it->pkt.flow, &dir);

	if (fl && (int64_t)(o->now - fl->rec.last_ns) > (int64_t)o->idle_ns) { /* idle: it went */
		fl->rec.ended = true;
		*rec_new(&o->done) = fl->rec;
		fl->used = false;
		fl = NULL;
	}
	/* NSGs are stateful: a packet of an admitted flow, either way, meets no rule. */
	path_walk(&o->env, &it->pkt.flow, fl != NULL, &out->trace->r);
	oracle_count(o, it, &out->trace->r);
	if (fl) {
		out->stateful = true;
		out->flow_dir = dir;
		o->c.stateful++;
		fl->rec.packets[dir]++;
		fl->rec.bytes[dir] += it->wire_len;
		fl->rec.last_ns = o->now;
		if (it->pkt.flow.proto == AZ_PROTO_TCP && (it->pkt.tcp_flags & (DP_TCP_FIN | DP_TCP_RST)))
			fl->rec.ended = true;
	} else if (out->trace->r.delivered) {
		oracle_admit(o, it, &out->trace->r);
		out->flow_dir = 0;
	}
}

/* The oracle's flow records, in the order all_flows gives the engine's. */
static void oracle_flows(struct oracle *o, struct recs *r)
{
	for (size_t i = 0; i < o->done.n; i++)
		*rec_new(r) = o->done.v[i];
	for (size_t i = 0; i < o->n; i++) {
		if (!o->f[i].used)
			continue;
		struct flow_rec *x = rec_new(r);

		*x = o->f[i].rec;
		x->ended = x->ended || (int64_t)(o->now - x->last_ns) > (int64_t)o->idle_ns;
	}
	qsort(r->v, r->n, sizeof(*r->v), rec_cmp);
}

static int same_counters(const struct dp_counters *a, const struct dp_counters *b, size_t nrules, size_t nnics)
{
	int bad = 0;

	bad |= a->received != b->received || a->received_bytes != b->received_bytes || a->stateful != b->stateful ||
	       a->flows_admitted != b->flows_admitted || a->flow_table_full != b->flow_table_full ||
	       a->fragments_unmatched != b->fragments_unmatched;
	/* flows_expired: when a stale flow goes (swept or met again) depends on the bursts. */
	bad |= memcmp(a->delivered, b->delivered, sizeof(a->delivered)) || memcmp(a->dropped, b->dropped, sizeof(a->dropped)) ||
	       memcmp(a->unparsed, b->unparsed, sizeof(a->unparsed)) ||
	       memcmp(a->delivered_bytes, b->delivered_bytes, sizeof(a->delivered_bytes)) ||
	       memcmp(a->dropped_bytes, b->dropped_bytes, sizeof(a->dropped_bytes)) ||
	       memcmp(a->unparsed_bytes, b->unparsed_bytes, sizeof(a->unparsed_bytes));
	bad |= memcmp(a->rule_hits, b->rule_hits, (nrules + 1) * sizeof(uint64_t)) ||
	       memcmp(a->rule_drops, b->rule_drops, (nrules + 1) * sizeof(uint64_t));
	bad |= memcmp(a->nic_sent, b->nic_sent, (nnics + 1) * sizeof(uint64_t)) ||
	       memcmp(a->nic_received, b->nic_received, (nnics + 1) * sizeof(uint64_t)) ||
	       memcmp(a->nic_dropped, b->nic_dropped, (nnics + 1) * sizeof(uint64_t));
	return bad;
}

static void balanced(const struct dp_counters *c)
{
	uint64_t sum = 0;

	for (int i = 0; i < PATH_END_COUNT; i++)
		sum += c->delivered[i];
	for (int i = 0; i < PATH_DROP_COUNT; i++)
		sum += c->dropped[i];
	for (int i = 0; i < DP_UNPARSED_COUNT; i++)
		sum += c->unparsed[i];
	assert_int_equal(sum, c->received);
}

static void make_flow(uint64_t *r, const struct topo *t, struct nws_flow *f)
{
	static const uint8_t protos[] = { 6, 6, 6, 17, 17, 1, 50 };
	uint8_t fam = tu_below(r, 5) ? NWS_AF4 : NWS_AF6;

	memset(f, 0, sizeof(*f));
	tgen_endpoint(r, t, fam, &f->src);
	tgen_endpoint(r, t, fam, &f->dst);
	f->proto = protos[tu_below(r, sizeof(protos))];
	if (fam == NWS_AF6 && f->proto == 1)
		f->proto = AZ_PROTO_ICMPV6;
	f->has_ports = f->proto == 6 || f->proto == 17;
	f->sport = f->has_ports ? (uint16_t)(1024 + tu_below(r, 60000)) : 0;
	f->dport = f->has_ports ? (uint16_t)(tu_below(r, 2) ? tu_below(r, 1500) : tu_below(r, 65536)) : 0;
}

/* The sequence: n items over a pool of flows, with the clock's moves described above. */
static struct dp_item *make_items(uint64_t *r, const struct topo *t, size_t n)
{
	size_t nflows = 2 + tu_below(r, 150), cur = 0;
	struct nws_flow *pool = calloc(nflows, sizeof(*pool));
	struct dp_item *it = calloc(n, sizeof(*it));
	uint64_t clock = 1000000000ull;

	assert_true(pool && it);
	for (size_t i = 0; i < nflows; i++)
		make_flow(r, t, &pool[i]);
	for (size_t i = 0; i < n; i++) {
		struct dp_item *x = &it[i];
		unsigned u = tu_below(r, 100);

		if (u < 3) {
			x->unparsed = (int)tu_below(r, DP_UNPARSED_COUNT);
			x->wire_len = 60;
			x->ts_ns = clock;
			continue;
		}
		x->unparsed = -1;
		/* Mostly the same flow as before (back to back), else any. */
		if (tu_below(r, 100) >= 55)
			cur = tu_below(r, (uint32_t)nflows);
		x->pkt.flow = pool[cur];
		if (tu_below(r, 100) < 45) { /* the way back */
			x->pkt.flow.src = pool[cur].dst;
			x->pkt.flow.dst = pool[cur].src;
			x->pkt.flow.sport = pool[cur].dport;
			x->pkt.flow.dport = pool[cur].sport;
		}
		x->pkt.tcp_flags = tu_below(r, 100) < 4 ? (tu_below(r, 2) ? DP_TCP_FIN : DP_TCP_RST) : DP_TCP_ACK;
		if (x->pkt.flow.has_ports && tu_below(r, 100) < 3) {
			/* A fragmented datagram: the first, then a later one without ports. */
			x->pkt.frag = DP_FRAG_FIRST;
			x->pkt.frag_id = tu_below(r, 4);
		} else if (tu_below(r, 100) < 2) {
			x->pkt.frag = DP_FRAG_LATER;
			x->pkt.frag_id = tu_below(r, 4);
			x->pkt.flow.has_ports = false;
			x->pkt.flow.sport = x->pkt.flow.dport = 0;
		}
		x->wire_len = 60 + tu_below(r, 1400);
		u = tu_below(r, 1000);
		if (u < 15)
			clock += IDLE_NS + tu_below(r, 3 * IDLE_NS); /* idle past the timeout */
		else if (u < 20)
			clock -= tu_below(r, 4 * IDLE_NS); /* the next capture starts earlier */
		else
			clock += tu_below(r, IDLE_NS / 8);
		x->ts_ns = clock;
	}
	free(pool);
	return it;
}

static size_t verdicts_only, small_pairs, refused_hits, pair_hits, pair_misses, runs_by_mode[DP_ENGINE_ALL_MODES + 1];

/* The verdict every outcome gets says what the oracle's walk r says. */
static bool verdict_says(const struct dp_verdict *v, const struct path_result *r, char *why, size_t len)
{
	int sent, at;
	uint32_t rule = 0;

	oracle_nics(r, &sent, &at);
	if (!r->delivered && r->reason == PATH_DROP_NSG_INBOUND && r->hops[r->drop_hop].nsg_in.rule)
		rule = r->hops[r->drop_hop].nsg_in.rule_id;
	if (!r->delivered && r->reason == PATH_DROP_NSG_OUTBOUND && r->hops[r->drop_hop].nsg_out.rule)
		rule = r->hops[r->drop_hop].nsg_out.rule_id;
	if (v->delivered != r->delivered || v->origin != r->origin || v->nhops != r->nhops || v->sent != sent ||
	    v->at != at || v->rule_id != rule ||
	    (r->delivered ? v->code != r->end || v->drop_hop != -1 : v->code != r->reason || v->drop_hop != r->drop_hop)) {
		snprintf(why, len, "verdicts differ: delivered %d/%d code %d hops %d/%d NICs %d,%d/%d,%d rule %u/%u",
			 v->delivered, r->delivered, v->code, v->nhops, r->nhops, v->sent, v->at, sent, at, v->rule_id, rule);
		return false;
	}
	return true;
}

/* A trace's hops carry the TSC of the round that took them: none before the burst was taken. */
static bool stamped(const struct dp_outcome *o, char *why, size_t len)
{
	for (int h = 0; h < o->trace->r.nhops; h++)
		if (o->trace->tsc[h] < o->tsc_in) {
			snprintf(why, len, "hop %d stamped before its burst was taken", h);
			return false;
		}
	return true;
}

/* mode: enum dp_engine_mode flags, as the engine's conf. */
static struct dp_engine_conf conf_of(unsigned mode, uint32_t capacity, bool small_pair_table)
{
	return (struct dp_engine_conf){ .flow_capacity = capacity, .pair_slots = small_pair_table ? 4 : 0,
					.pair_cache = mode & DP_ENGINE_PAIR_CACHE, .refused_cache = mode & DP_ENGINE_REFUSED_CACHE,
					.back_at_admission = mode & DP_ENGINE_BACK_AT_ADMISSION,
					.hop_trace = mode & DP_ENGINE_HOP_TRACE, .flow_info = mode & DP_ENGINE_FLOW_INFO };
}

/* The packets through the engine in bursts of random sizes, 1 to DP_PATH_BURST. */
static void engine_run(uint64_t *r, struct dp_engine *e, struct dp_item *items, struct dp_outcome *outs, size_t n)
{
	for (size_t done = 0; done < n;) {
		unsigned burst = 1 + tu_below(r, DP_PATH_BURST);
		struct dp_item *it[DP_PATH_BURST];
		struct dp_outcome *out[DP_PATH_BURST];

		if (burst > n - done)
			burst = (unsigned)(n - done);
		for (unsigned i = 0; i < burst; i++) {
			it[i] = &items[done + i];
			out[i] = &outs[done + i];
		}
		dp_engine_burst(e, it, out, burst);
		done += burst;
		walked_bursts++;
	}
}

/* Every packet's fate as the oracle's; returns how many differ. */
static int compare_packets(uint64_t seed, const struct dp_item *items, const struct dp_outcome *oe,
			   const struct dp_outcome *oo, size_t n, bool hops)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		char why[512] = "";

		if (items[i].unparsed >= 0)
			continue;
		packets++;
		stateful += oo[i].stateful;
		const struct path_result *ro = &oo[i].trace->r;

		if (ro->delivered)
			seen_end[ro->end]++;
		else
			seen_reason[ro->reason]++;
		bool same = verdict_says(&oe[i].v, ro, why, sizeof(why)) &&
			    (!hops || (tu_same_path(&oe[i].trace->r, ro, why, sizeof(why)) && stamped(&oe[i], why, sizeof(why))));

		if ((!same || oe[i].stateful != oo[i].stateful || oe[i].flow_dir != oo[i].flow_dir) && bad++ < 10)
			fprintf(stderr, "seed %#llx packet %zu: the engine and the oracle differ: %s (stateful %d/%d, flow_dir %d/%d)\n",
				(unsigned long long)seed, i, why, oe[i].stateful, oo[i].stateful, oe[i].flow_dir, oo[i].flow_dir);
	}
	return bad;
}

static int run(uint64_t seed, size_t n, char *json, unsigned mode, bool small_pair_table)
{
	uint64_t r = seed;
	struct tgen_opts o = { .nnsgs = 2 + (int)tu_below(&r, 3), .max_rules = 30, .tag_pct = 15, .v6_pct = 30 };

	if (!json)
		json = tgen_topology(&r, &o);
	struct tu_path tp;
	struct nws_err err;
	struct dp_engine e;
	struct oracle orc;
	struct recs re = { 0 }, ro = { 0 };
	struct dp_engine_conf conf = conf_of(mode, 1u << 12, small_pair_table);
	int bad = 0;

	tu_path_open(&tp, json);
	const struct topo *t = tp.net.t;

	if (dp_engine_init(&e, &tp.dp, &conf, &err) < 0)
		fail_msg("%s", err.msg);
	e.flows.idle_ns = IDLE_NS;
	e.gone = on_gone;
	e.gone_arg = &re;
	oracle_init(&orc, &tp, IDLE_NS);
	runs_by_mode[mode]++;
	verdicts_only += !conf.hop_trace;
	small_pairs += conf.pair_cache && small_pair_table;

	struct dp_item *items = make_items(&r, t, n), *ie = calloc(n, sizeof(*ie)), *io = calloc(n, sizeof(*io));
	struct dp_outcome *oe = calloc(n, sizeof(*oe)), *oo = calloc(n, sizeof(*oo));
	/* The oracle's walks are its traces; the engine gets traces only when it makes them. */
	struct dp_trace *te = conf.hop_trace ? calloc(n, sizeof(*te)) : NULL, *to = calloc(n, sizeof(*to));

	assert_true(items && ie && io && oe && oo && to && (te || !conf.hop_trace));
	for (size_t i = 0; i < n; i++) {
		oe[i].trace = te ? &te[i] : NULL;
		oo[i].trace = &to[i];
	}
	/* The engine joins fragments in place: each side gets its own copy. */
	memcpy(ie, items, n * sizeof(*ie));
	memcpy(io, items, n * sizeof(*io));
	engine_run(&r, &e, ie, oe, n);
	for (size_t i = 0; i < n; i++)
		oracle_packet(&orc, &io[i], &oo[i]);
	bad += compare_packets(seed, items, oe, oo, n, conf.hop_trace);
	refused_hits += e.refused.hits;
	pair_hits += e.pairs.hits;
	pair_misses += e.pairs.misses;
	if (same_counters(&e.c, &orc.c, t->nrules, t->nnics) && bad++ < 10)
		fprintf(stderr, "seed %#llx mode %#x: the counters differ\n", (unsigned long long)seed, mode);
	balanced(&e.c);
	/* Without flow info the engine keeps no records to compare (only flow logs read them). */
	if (conf.flow_info) {
		all_flows(&e, &re);
		oracle_flows(&orc, &ro);
		if ((re.n != ro.n || memcmp(re.v, ro.v, re.n * sizeof(*re.v))) && bad++ < 10)
			fprintf(stderr, "seed %#llx mode %#x: the flows differ (%zu and %zu records)\n", (unsigned long long)seed,
				mode, re.n, ro.n);
	}
	free(re.v);
	free(ro.v);
	free(items);
	free(ie);
	free(io);
	free(oe);
	free(oo);
	free(te);
	free(to);
	oracle_free(&orc);
	dp_engine_free(&e);
	tu_path_close(&tp);
	free(json);
	return bad;
}

static const char *datadir = "tests/data";

#define ALL_MODES DP_ENGINE_ALL_MODES

static void test_engine_matches_oracle(void **s)
{
	(void)s;
	int bad = 0;
	static const char *const fixed[] = { "paths.json", "paths-noipforwarding.json", "paths-stopped.json",
					     "paths-noforwarded.json" };

	/* Every combination of accelerators twice, with a pair table of its usual size and of four slots. */
	for (uint64_t k = 0; k < 64; k++)
		bad += run((k + 1) * 0x9e3779b97f4a7c15ull, 4000, NULL, (unsigned)(k & ALL_MODES), k >= 32);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		bad += run(0x51 + i, 8000, tu_slurp(datadir, fixed[i]), ALL_MODES, false);
		bad += run(0x61 + i, 4000, tu_slurp(datadir, fixed[i]), (unsigned)(7 * i + 3) & ALL_MODES, false);
	}
	printf("engine: %zu packets in %zu random bursts matched the oracle; %zu stateful, %zu flows aged out\n",
	       packets, walked_bursts, stateful, gone_total);
	printf("  delivered to VMs %zu, internet %zu, on-premises %zu; dropped by inbound NSG %zu, outbound NSG %zu\n",
	       seen_end[PATH_END_VM], seen_end[PATH_END_INTERNET], seen_end[PATH_END_ON_PREMISES],
	       seen_reason[PATH_DROP_NSG_INBOUND], seen_reason[PATH_DROP_NSG_OUTBOUND]);
	assert_int_equal(bad, 0);
	for (unsigned m = 0; m <= ALL_MODES; m++)
		assert_true(runs_by_mode[m] >= 2);
	assert_true(verdicts_only >= 32);
	printf("  %zu packets answered as refused again without a walk\n", refused_hits);
	assert_true(refused_hits > 1000);
	printf("  %zu new flows' NSGs evaluated on their pair's known walk, %zu pairs walked first\n", pair_hits, pair_misses);
	assert_true(pair_hits > 1000 && pair_misses > 100 && small_pairs >= 5);
	/* The sequences must reach the cases the rounds exist for, or the comparison proves little. */
	assert_true(stateful > packets / 10 && gone_total > 100 && seen_reason[PATH_DROP_NSG_INBOUND] > 100 &&
		    seen_end[PATH_END_VM] > 1000);
}

/* A table too small for the flows: refusals are counted, and every packet is still accounted for. */
static void test_full_table(void **s)
{
	(void)s;
	uint64_t r = 7;
	struct tgen_opts o = { .nnsgs = 2, .max_rules = 10, .tag_pct = 0, .v6_pct = 0 };
	char *json = tgen_topology(&r, &o);
	struct tu_path tp;
	struct nws_err err;
	struct dp_engine e;

	tu_path_open(&tp, json);
	struct dp_engine_conf conf = dp_engine_conf_full(16);

	if (dp_engine_init(&e, &tp.dp, &conf, &err) < 0)
		fail_msg("%s", err.msg);
	size_t n = 20000;
	struct dp_item *items = make_items(&r, tp.net.t, n);
	struct dp_outcome *out = calloc(n, sizeof(*out));
	struct dp_trace *tr = calloc(n, sizeof(*tr));

	assert_true(out && tr);
	for (size_t i = 0; i < n; i++)
		out[i].trace = &tr[i];
	for (size_t done = 0; done < n; done += DP_PATH_BURST) {
		struct dp_item *it[DP_PATH_BURST];
		struct dp_outcome *o2[DP_PATH_BURST];
		unsigned k = n - done < DP_PATH_BURST ? (unsigned)(n - done) : DP_PATH_BURST;

		for (unsigned i = 0; i < k; i++) {
			it[i] = &items[done + i];
			o2[i] = &out[done + i];
		}
		dp_engine_burst(&e, it, o2, k);
	}
	balanced(&e.c);
	assert_int_equal(e.c.received, n);
	assert_true(e.c.flow_table_full > 0);
	free(items);
	free(out);
	free(tr);
	dp_engine_free(&e);
	tu_path_close(&tp);
	free(json);
}

/*
 * A NIC with as many IP configurations as Azure allows (256), the most a cached path's 8-bit field
 * holds: every packet of a flow to its last ones, both ways, says the configuration a walk says,
 * whether the answer came from a walk or from the flow's cached path, and the flow's paths are
 * cached.
 */
static void test_many_ip_configurations(void **s)
{
	(void)s;
	size_t cap = 64 * 1024, len = 0;
	char *json = malloc(cap);
	struct tu_path tp;
	struct nws_err err;
	struct dp_engine e;

	assert_non_null(json);
	len += (size_t)snprintf(json + len, cap - len,
				"{\"virtualNetworks\": [{\"name\": \"v\", \"addressSpace\": [\"10.0.0.0/16\"], \"subnets\": "
				"[{\"name\": \"s\", \"addressPrefix\": \"10.0.0.0/16\"}]}], \"virtualMachines\": [{\"name\": "
				"\"vm\", \"networkInterfaces\": [{\"name\": \"nic\", \"ipConfigurations\": [");
	for (int i = 0; i < 256; i++)
		len += (size_t)snprintf(json + len, cap - len, "%s{\"name\": \"c%d\", \"subnet\": \"v/s\", "
					"\"privateIPAddress\": \"10.0.%d.%d\"}", i ? ", " : "", i, 1 + i / 200, 4 + i % 200);
	snprintf(json + len, cap - len, "]}]}]}");
	tu_path_open(&tp, json);
	struct dp_engine_conf conf = dp_engine_conf_full(1024);

	if (dp_engine_init(&e, &tp.dp, &conf, &err) < 0)
		fail_msg("%s", err.msg);
	for (int cfg = 250; cfg < 256; cfg++) {
		struct dp_item items[4];
		struct dp_outcome outs[4];
		struct dp_trace tr[4];
		struct dp_item *it[4];
		struct dp_outcome *out[4];
		char addr[32];

		snprintf(addr, sizeof(addr), "10.0.%d.%d", 1 + cfg / 200, 4 + cfg % 200);
		memset(items, 0, sizeof(items));
		for (int k = 0; k < 4; k++) {
			struct nws_flow *f = &items[k].pkt.flow;

			items[k].unparsed = -1;
			items[k].wire_len = 60;
			items[k].ts_ns = 1000000000ull + (uint64_t)cfg * 1000 + (uint64_t)k;
			f->proto = 6;
			f->has_ports = true;
			assert_int_equal(nws_ip_parse(k & 1 ? addr : "203.0.113.9", &f->src), 0);
			assert_int_equal(nws_ip_parse(k & 1 ? "203.0.113.9" : addr, &f->dst), 0);
			f->sport = k & 1 ? 443 : 40000;
			f->dport = k & 1 ? 40000 : 443;
			items[k].pkt.tcp_flags = k == 0 ? DP_TCP_SYN : k == 1 ? DP_TCP_SYN | DP_TCP_ACK : DP_TCP_ACK;
			it[k] = &items[k];
			outs[k].trace = &tr[k];
			out[k] = &outs[k];
		}
		/* One packet a burst: the first is walked, the rest are answered from the flow. */
		for (int k = 0; k < 4; k++) {
			struct path_result ref;
			char why[512];

			dp_engine_burst(&e, &it[k], &out[k], 1);
			dp_path_walk(&tp.dp, &items[k].pkt.flow, NULL, &ref, 1);
			if (k > 0) /* a flow's later packets meet no NSG */
				ref.hops[ref.nhops - 1].has_in = ref.hops[0].has_out = false;
			if (!tu_same_path(&tr[k].r, &ref, why, sizeof(why)))
				fail_msg("configuration %d, packet %d: %s", cfg, k, why);
			assert_int_equal(outs[k].stateful, k > 0);
			assert_int_equal(tr[k].r.hops[k & 1 ? 0 : tr[k].r.nhops - 1].ipcfg, cfg);
		}
		/* ... and the flow keeps both ways, the last configuration too: its packets walk no more. */
		struct dp_flow_key key;
		bool lo;

		dp_flow_key(&key, &items[0].pkt.flow, &lo);
		int32_t pos = dp_flow_lookup(&e.flows, &key, dp_flow_hash(&key));

		assert_true(pos >= 0);
		assert_true(e.flows.e[pos].path[0] && e.flows.e[pos].path[1]);
	}
	dp_engine_free(&e);
	tu_path_close(&tp);
	free(json);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		datadir = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_matches_oracle),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_many_ip_configurations),
	};

	tu_eal();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
