/*
 * Differential test of the engine's burst handling: the same packet sequence through one engine
 * in bursts of random sizes and through another one packet at a time must give every packet the
 * same fate, the same counters, and the same flows (admitted, counted, aged out). Packets come
 * from a small pool of flows, back to back and interleaved, both ways, with FINs, fragments,
 * unparsed ones, idle gaps past the timeout and clocks that jump backwards (captures replayed one
 * after another). The one-at-a-time engine is also the plain one: it walks every refused packet
 * again and a flow's way back when the first reply comes.
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

/* One flow as it left the table, or as it is at the end. */
struct flow_rec {
	struct nws_flow init;
	uint64_t first_ns, last_ns, packets[2], bytes[2];
	bool ended;
};

struct recs {
	struct flow_rec *v;
	size_t n, cap;
};

static void rec_add(struct recs *r, const struct dp_flow_entry *fe, const struct dp_flow_info *fi, bool ended)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		assert_non_null(r->v);
	}
	struct flow_rec *x = &r->v[r->n++];

	memset(x, 0, sizeof(*x));
	x->init = fi->init;
	x->first_ns = fi->first_ns;
	x->last_ns = fe->last_ns;
	memcpy(x->packets, fi->packets, sizeof(x->packets));
	memcpy(x->bytes, fi->bytes, sizeof(x->bytes));
	x->ended = ended;
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

/* Everything that left the table plus what is still in it, in one order. */
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
	       memcmp(a->dropped_bytes, b->dropped_bytes, sizeof(a->dropped_bytes));
	bad |= memcmp(a->rule_hits, b->rule_hits, (nrules + 1) * sizeof(uint64_t)) ||
	       memcmp(a->rule_drops, b->rule_drops, (nrules + 1) * sizeof(uint64_t));
	bad |= memcmp(a->nic_sent, b->nic_sent, nnics * sizeof(uint64_t)) ||
	       memcmp(a->nic_received, b->nic_received, nnics * sizeof(uint64_t)) ||
	       memcmp(a->nic_dropped, b->nic_dropped, nnics * sizeof(uint64_t));
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
		x->pkt.tcp_flags = tu_below(r, 100) < 4 ? (tu_below(r, 2) ? 0x01 : 0x04) : 0x10;
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

static size_t summaries, small_pairs, denied_hits, pair_hits, pair_misses;

/* What an outcome without hops still says: the same as the full one. */
static bool same_summary(const struct path_result *a, const struct path_result *b, char *why, size_t len)
{
	if (a->delivered != b->delivered || a->origin != b->origin || a->nhops != b->nhops ||
	    (a->delivered ? a->end != b->end : (a->reason != b->reason || a->drop_hop != b->drop_hop))) {
		snprintf(why, len, "summaries differ: delivered %d/%d hops %d/%d", a->delivered, b->delivered, a->nhops, b->nhops);
		return false;
	}
	return true;
}

static int run(uint64_t seed, size_t n, char *json, uint32_t capacity)
{
	uint64_t r = seed;
	struct tgen_opts o = { .nnsgs = 2 + (int)tu_below(&r, 3), .max_rules = 30, .tag_pct = 15, .v6_pct = 30 };

	if (!json)
		json = tgen_topology(&r, &o);
	struct tu_path tp;
	struct nws_err err;
	struct dp_engine a, b;
	struct recs ra = { 0 }, rb = { 0 };
	int bad = 0;

	tu_path_open(&tp, json);
	const struct topo *t = tp.net.t;

	if (dp_engine_init(&a, &tp.dp, capacity, &err) < 0 || dp_engine_init(&b, &tp.dp, capacity, &err) < 0)
		fail_msg("%s", err.msg);
	a.flows.idle_ns = b.flows.idle_ns = IDLE_NS;
	/* The reference walks every packet outside a flow; the burst engine answers repeats of refused ones. */
	free(b.denied);
	b.denied = NULL;
	/* ... and walks a flow's way back when its first reply comes, not when the flow is admitted. */
	free(b.back_r);
	b.back_r = NULL;
	/* ... and walks every new flow, where the burst engine evaluates the NSGs of a known pair's walk. */
	dp_pairs_free(&b.pairs);
	/* Every other run, the burst engine gives summaries only (when it answers without a walk). */
	a.hops = (seed >> 7) & 1;
	summaries += !a.hops;
	/* Now and then a pair table of four slots: pairs take each other's slots, within a round too. */
	if ((seed >> 9) & 1) {
		dp_pairs_free(&a.pairs);
		if (dp_pairs_init(&a.pairs, 4, &err) < 0)
			fail_msg("%s", err.msg);
		small_pairs++;
	}
	a.gone = b.gone = on_gone;
	a.gone_arg = &ra;
	b.gone_arg = &rb;

	struct dp_item *items = make_items(&r, t, n), *ia = calloc(n, sizeof(*ia)), *ib = calloc(n, sizeof(*ib));
	struct dp_outcome *oa = calloc(n, sizeof(*oa)), *ob = calloc(n, sizeof(*ob));

	assert_true(items && ia && ib && oa && ob);
	/* The engine joins fragments in place: each side gets its own copy. */
	memcpy(ia, items, n * sizeof(*ia));
	memcpy(ib, items, n * sizeof(*ib));
	for (size_t done = 0; done < n;) {
		unsigned burst = 1 + tu_below(&r, DP_PATH_BURST);
		struct dp_item *it[DP_PATH_BURST];
		struct dp_outcome *out[DP_PATH_BURST];

		if (burst > n - done)
			burst = (unsigned)(n - done);
		for (unsigned i = 0; i < burst; i++) {
			it[i] = &ia[done + i];
			out[i] = &oa[done + i];
		}
		dp_engine_burst(&a, it, out, burst);
		done += burst;
		walked_bursts++;
	}
	for (size_t i = 0; i < n; i++) {
		struct dp_item *it = &ib[i];
		struct dp_outcome *out = &ob[i];

		dp_engine_burst(&b, &it, &out, 1);
	}
	for (size_t i = 0; i < n; i++) {
		char why[512];

		if (items[i].unparsed >= 0)
			continue;
		packets++;
		stateful += ob[i].stateful;
		if (ob[i].r.delivered)
			seen_end[ob[i].r.end]++;
		else
			seen_reason[ob[i].r.reason]++;
		bool same = !a.hops ? same_summary(&ob[i].r, &oa[i].r, why, sizeof(why))
						      : tu_same_path(&ob[i].r, &oa[i].r, why, sizeof(why));

		if (!same || oa[i].stateful != ob[i].stateful ||
		    oa[i].flow_dir != ob[i].flow_dir) {
			if (bad++ < 10)
				fprintf(stderr, "seed %#llx packet %zu: bursts and one at a time differ: %s (stateful %d/%d, flow_dir %d/%d)\n",
					(unsigned long long)seed, i, why, oa[i].stateful, ob[i].stateful, oa[i].flow_dir,
					ob[i].flow_dir);
		}
	}
	denied_hits += a.denied_hits;
	pair_hits += a.pairs.hits;
	pair_misses += a.pairs.misses;
	if (same_counters(&a.c, &b.c, t->nrules, t->nnics) && bad++ < 10)
		fprintf(stderr, "seed %#llx: the counters differ\n", (unsigned long long)seed);
	balanced(&a.c);
	balanced(&b.c);
	all_flows(&a, &ra);
	all_flows(&b, &rb);
	if ((ra.n != rb.n || memcmp(ra.v, rb.v, ra.n * sizeof(*ra.v))) && bad++ < 10)
		fprintf(stderr, "seed %#llx: the flows differ (%zu and %zu records)\n", (unsigned long long)seed, ra.n, rb.n);
	free(ra.v);
	free(rb.v);
	free(items);
	free(ia);
	free(ib);
	free(oa);
	free(ob);
	dp_engine_free(&a);
	dp_engine_free(&b);
	tu_path_close(&tp);
	free(json);
	return bad;
}

static const char *datadir = "tests/data";

static void test_bursts_match_one_at_a_time(void **s)
{
	(void)s;
	int bad = 0;
	static const char *const fixed[] = { "paths.json", "paths-noipforwarding.json", "paths-stopped.json",
					     "paths-noforwarded.json" };

	for (uint64_t seed = 1; seed <= 30; seed++)
		bad += run(seed * 0x9e3779b97f4a7c15ull, 6000, NULL, 1u << 12);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		bad += run(0x51 + i, 8000, tu_slurp(datadir, fixed[i]), 1u << 12);
	printf("engine: %zu packets in %zu random bursts matched one at a time; %zu stateful, %zu flows aged out\n",
	       packets, walked_bursts, stateful, gone_total);
	printf("  delivered to VMs %zu, internet %zu, on-premises %zu; dropped by inbound NSG %zu, outbound NSG %zu\n",
	       seen_end[PATH_END_VM], seen_end[PATH_END_INTERNET], seen_end[PATH_END_ON_PREMISES],
	       seen_reason[PATH_DROP_NSG_INBOUND], seen_reason[PATH_DROP_NSG_OUTBOUND]);
	assert_int_equal(bad, 0);
	assert_true(summaries >= 5);
	printf("  %zu packets answered as refused again without a walk\n", denied_hits);
	assert_true(denied_hits > 1000);
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
	if (dp_engine_init(&e, &tp.dp, 16, &err) < 0)
		fail_msg("%s", err.msg);
	size_t n = 20000;
	struct dp_item *items = make_items(&r, tp.net.t, n);
	struct dp_outcome *out = calloc(n, sizeof(*out));

	assert_non_null(out);
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
	if (dp_engine_init(&e, &tp.dp, 1024, &err) < 0)
		fail_msg("%s", err.msg);
	for (int cfg = 250; cfg < 256; cfg++) {
		struct dp_item items[4];
		struct dp_outcome outs[4];
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
			items[k].pkt.tcp_flags = k == 0 ? 0x02 : k == 1 ? 0x12 : 0x10;
			it[k] = &items[k];
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
			if (!tu_same_path(&outs[k].r, &ref, why, sizeof(why)))
				fail_msg("configuration %d, packet %d: %s", cfg, k, why);
			assert_int_equal(outs[k].stateful, k > 0);
			assert_int_equal(outs[k].r.hops[k & 1 ? 0 : outs[k].r.nhops - 1].ipcfg, cfg);
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
		cmocka_unit_test(test_bursts_match_one_at_a_time),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_many_ip_configurations),
	};

	tu_eal();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
