/*
 * NSG diagnostics' set evaluation (rules/nsg_set.c) against the linear reference, on random
 * topologies: (1) a set of one flow is judged as nsg_ref_verify judges the flow; (2) for small
 * sets (a prefix of up to 8 addresses, port ranges of up to 6, one or every protocol), the rule
 * each NSG picks is the first in evaluation order that the reference finds for some flow of the
 * set, every flow enumerated: the definition, checked by brute force; (3) the fields a rule is
 * said to meet are each met by some flow, and a rule said to match matches one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nsg_set.h"
#include "tgen.h"
#include "tutil.h"

static const int every_proto[] = { AZ_PROTO_TCP, AZ_PROTO_UDP, AZ_PROTO_ICMP, AZ_PROTO_ESP, AZ_PROTO_AH };

/* Every flow of a small set, one at a time; false when done. */
struct walker {
	const struct nsg_flowset *s;
	size_t proto;
	nws_u128 src, dst;
	uint32_t sp, dp;
	bool started;
};

static nws_u128 first(const struct nws_prefix *p)
{
	return p->ip.v & nws_mask(p->ip.fam, p->len);
}

static nws_u128 last(const struct nws_prefix *p)
{
	nws_u128 m = nws_mask(p->ip.fam, p->len), hi = (p->ip.v & m) | ~m;

	return p->ip.fam == NWS_AF4 ? hi & 0xffffffffu : hi;
}

static int proto_at(const struct walker *w, uint8_t fam)
{
	int p = w->s->proto == AZ_PROTO_ANY ? every_proto[w->proto] : w->s->proto;

	return p == AZ_PROTO_ICMP && fam == NWS_AF6 ? AZ_PROTO_ICMPV6 : p;
}

static bool next_flow(struct walker *w, struct nws_flow *f)
{
	const struct nsg_flowset *s = w->s;
	size_t np = s->proto == AZ_PROTO_ANY ? 5 : 1;

	if (!w->started) {
		w->started = true;
		w->proto = 0;
		w->src = first(&s->src);
		w->dst = first(&s->dst);
		w->sp = s->sport_lo;
		w->dp = s->dport_lo;
	} else if (++w->dp > s->dport_hi) {
		w->dp = s->dport_lo;
		if (++w->sp > s->sport_hi) {
			w->sp = s->sport_lo;
			if (w->dst++ == last(&s->dst)) {
				w->dst = first(&s->dst);
				if (w->src++ == last(&s->src)) {
					w->src = first(&s->src);
					if (++w->proto == np)
						return false;
				}
			}
		}
	}
	memset(f, 0, sizeof(*f));
	f->src.fam = f->dst.fam = s->src.ip.fam;
	f->src.v = w->src;
	f->dst.v = w->dst;
	f->proto = (uint8_t)proto_at(w, s->src.ip.fam);
	f->has_ports = f->proto == AZ_PROTO_TCP || f->proto == AZ_PROTO_UDP;
	f->sport = f->has_ports ? (uint16_t)w->sp : 0;
	f->dport = f->has_ports ? (uint16_t)w->dp : 0;
	return true;
}

static void random_set(uint64_t *r, const struct nsg_query *q, struct nsg_flowset *s)
{
	unsigned bits = nws_fam_bits(q->flow.src.fam);
	static const uint16_t common[] = { 0, 22, 80, 443, 1023, 3389, 65530 };

	nsg_flowset_of(&q->flow, s);
	s->proto = tu_below(r, 4) == 0 ? AZ_PROTO_ANY : s->proto;
	s->src.len = (uint8_t)(bits - tu_below(r, 4));
	s->dst.len = (uint8_t)(bits - tu_below(r, 2));
	s->src.ip.v &= nws_mask(s->src.ip.fam, s->src.len);
	s->dst.ip.v &= nws_mask(s->dst.ip.fam, s->dst.len);
	uint16_t a = tu_below(r, 2) ? common[tu_below(r, 7)] : (uint16_t)tu_below(r, 65536);
	uint16_t b = tu_below(r, 2) ? common[tu_below(r, 7)] : (uint16_t)tu_below(r, 65536);

	s->sport_lo = a;
	s->sport_hi = (uint16_t)(a > 65535 - 5 ? 65535 : a + tu_below(r, 6));
	s->dport_lo = b;
	s->dport_hi = (uint16_t)(b > 65535 - 5 ? 65535 : b + tu_below(r, 6));
}

/* The index in evaluation order of the rule the reference picks for f, at instance inst. */
static size_t ref_index(const struct nsg_model *m, int inst, enum az_dir dir, const struct nws_flow *f)
{
	const struct topo_nsg *g = &m->t->nsgs[m->inst[inst].nsg];
	const struct topo_rule *r = nsg_ref_eval(m, inst, dir, f);

	for (size_t i = 0; i < g->norder[dir]; i++)
		if (g->order[dir][i] == r)
			return i;
	return SIZE_MAX;
}

static size_t sets_checked, flows_enumerated, single_checked;

static int run_topology(uint64_t seed)
{
	const struct tgen_opts o = { .nnsgs = 3, .max_rules = 24, .tag_pct = 20, .v6_pct = 30 };
	uint64_t rng = seed;
	char *json = tgen_topology(&rng, &o);
	struct tu_net n;
	int bad = 0;

	tu_net_open(&n, json);
	for (int k = 0; k < 300; k++) {
		struct nsg_query q;
		struct nsg_flowset s;
		struct nsg_verdict ref, got;

		tgen_query(&rng, n.t, &q);
		/* (1) one flow */
		nsg_flowset_of(&q.flow, &s);
		nsg_ref_verify(&n.m, q.nic, q.ipcfg, q.dir, &q.flow, &ref);
		assert_int_equal(nsg_set_verify(&n.m, q.nic, q.ipcfg, q.dir, &s, &got), 0);
		single_checked++;
		if (got.access != ref.access || got.rule != ref.rule || got.platform != ref.platform || got.inst != ref.inst) {
			if (bad++ < 5)
				fprintf(stderr, "seed %#llx query %d: a set of one flow: %s %s, reference %s %s\n", (unsigned long long)seed, k,
					az_access_name[got.access], got.rule ? got.rule->name : "-", az_access_name[ref.access],
					ref.rule ? ref.rule->name : "-");
			continue;
		}
		/* (2) and (3): a small set, enumerated */
		random_set(&rng, &q, &s);
		int inst[2], nl = nsg_levels(&n.m, q.nic, q.ipcfg, q.dir, inst, NULL);

		for (int l = 0; l < nl; l++) {
			const struct topo_nsg *g = &n.m.t->nsgs[n.m.inst[inst[l]].nsg];
			const struct topo_rule *pick = nsg_set_eval(&n.m, inst[l], q.dir, &s);
			size_t best = SIZE_MAX;
			struct walker w = { .s = &s };
			struct nws_flow f;

			while (next_flow(&w, &f)) {
				size_t i = ref_index(&n.m, inst[l], q.dir, &f);

				flows_enumerated++;
				if (i < best)
					best = i;
			}
			sets_checked++;
			if (best == SIZE_MAX || g->order[q.dir][best] != pick) {
				if (bad++ < 5)
					fprintf(stderr, "seed %#llx query %d level %d: set picks %s, enumeration %s\n", (unsigned long long)seed, k,
						l, pick ? pick->name : "-", best < SIZE_MAX ? g->order[q.dir][best]->name : "-");
				continue;
			}
			/* (3) a rule before the pick meets no flow as a whole; the pick's fields are met */
			struct nsg_set_fields fl;

			assert_int_equal(nsg_set_rule_matches(&n.m, n.m.inst[inst[l]].vnet, pick, &s, &fl), 1);
			assert_true(fl.proto && fl.src && fl.sport && fl.dst && fl.dport);
		}
	}
	tu_net_close(&n);
	free(json);
	return bad;
}

static void test_sets(void **state)
{
	int bad = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 40; seed++)
		bad += run_topology(seed * 0x9e3779b97f4a7c15ull);
	fprintf(stderr, "nsg_set: %zu single flows, %zu sets (%zu flows enumerated), %d disagreements\n", single_checked,
		sets_checked, flows_enumerated, bad);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_sets) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
