/*
 * Differential test: next hop through the compiled tables (rte_lpm / rte_lpm6, and flat) against the linear
 * reference (longest prefix, then User > gateway > system, over every listed route), on random
 * tables of up to 10,000 routes and on random topologies, with burst sizes 1..64.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp_route.h"
#include "tgen.h"
#include "tutil.h"

static size_t lookups;

static nws_u128 rand128(uint64_t *r)
{
	return ((nws_u128)tu_rand(r) << 64) | tu_rand(r);
}

static void rand_prefix(uint64_t *r, struct nws_prefix *p)
{
	static const uint32_t bases4[] = { 0x0a000000, 0xac100000, 0xc0a80000, 0x64400000, 0x08080000, 0xd0000000 };
	bool v6 = tu_below(r, 4) == 0;

	p->ip.fam = v6 ? NWS_AF6 : NWS_AF4;
	if (v6) {
		/* Clustered under a few /16s so prefixes nest and collide. */
		p->ip.v = ((nws_u128)(0x2001 + tu_below(r, 3)) << 112) | (rand128(r) >> 16);
		p->len = (uint8_t)(tu_below(r, 10) == 0 ? tu_below(r, 17) : 16 + tu_below(r, 113));
	} else {
		p->ip.v = bases4[tu_below(r, 6)] | (tu_rand(r) & 0xfffff);
		p->len = (uint8_t)(tu_below(r, 10) == 0 ? tu_below(r, 9) : 8 + tu_below(r, 25));
	}
	p->ip.v &= nws_mask(p->ip.fam, p->len);
}

static struct route_entry *rand_routes(uint64_t *r, size_t n)
{
	struct route_entry *e = calloc(n, sizeof(*e));
	static const char *const reserved[] = { "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10" };

	for (size_t i = 0; i < n; i++) {
		unsigned k = tu_below(r, 100);

		if (i > 0 && k < 15) {
			e[i].prefix = e[tu_below(r, (uint32_t)i)].prefix; /* same prefix, maybe another source */
		} else if (k < 18) {
			nws_prefix_parse(reserved[tu_below(r, 4)], &e[i].prefix);
		} else {
			rand_prefix(r, &e[i].prefix);
		}
		e[i].source = (enum route_source)tu_below(r, ROUTE_SRC_COUNT);
		e[i].type = (enum az_nexthop)tu_below(r, AZ_NH_COUNT);
		if (e[i].source == ROUTE_SRC_DEFAULT && tu_below(r, 3) == 0)
			e[i].type = AZ_NH_NONE;
		e[i].rt = e[i].source == ROUTE_SRC_USER ? (int)tu_below(r, 4) : -1;
		if (e[i].type == AZ_NH_VIRTUALAPPLIANCE || e[i].type == AZ_NH_VNETGATEWAY) {
			e[i].has_ip = true;
			e[i].ip.fam = NWS_AF4;
			e[i].ip.v = tu_rand(r) & 0xffffffff;
		}
	}
	return e;
}

static void rand_dst(uint64_t *r, const struct route_table *tb, struct nws_ip *d)
{
	if (tb->n && tu_below(r, 3)) {
		const struct nws_prefix *p = &tb->e[tu_below(r, (uint32_t)tb->n)].prefix;
		nws_u128 host = ~nws_mask(p->ip.fam, p->len) & nws_mask(p->ip.fam, nws_fam_bits(p->ip.fam));

		d->fam = p->ip.fam;
		switch (tu_below(r, 5)) {
		case 0: d->v = p->ip.v; break;
		case 1: d->v = p->ip.v | host; break;
		case 2: d->v = (p->ip.v | host) + 1; break;
		case 3: d->v = p->ip.v - 1; break;
		default: d->v = p->ip.v | (rand128(r) & host); break;
		}
		d->v &= nws_mask(d->fam, nws_fam_bits(d->fam));
		return;
	}
	d->fam = tu_below(r, 4) ? NWS_AF4 : NWS_AF6;
	d->v = rand128(r) & nws_mask(d->fam, nws_fam_bits(d->fam));
}

static bool same_hop(const struct route_hop *a, const struct route_hop *b)
{
	if (a->type != b->type || a->has_ip != b->has_ip || a->rt != b->rt || (!a->route) != (!b->route))
		return false;
	if (a->has_ip && !nws_ip_eq(&a->ip, &b->ip))
		return false;
	return !a->route || (a->route->prefix.len == b->route->prefix.len &&
			     nws_ip_eq(&a->route->prefix.ip, &b->route->prefix.ip) && a->route->source == b->route->source);
}

static int report(uint64_t seed, const struct nws_ip *d, const struct route_hop *want, const struct route_hop *got)
{
	char a[NWS_IP_STRLEN], p1[NWS_PREFIX_STRLEN] = "-", p2[NWS_PREFIX_STRLEN] = "-";

	if (want->route)
		nws_prefix_str(&want->route->prefix, p1);
	if (got->route)
		nws_prefix_str(&got->route->prefix, p2);
	fprintf(stderr, "seed %#llx dst %s: reference %s via %s, compiled %s via %s\n", (unsigned long long)seed,
		nws_ip_str(d, a), az_nexthop_name[want->type], p1, az_nexthop_name[got->type], p2);
	return 1;
}

/* lpm: the table compiled into rte_lpm/rte_lpm6, else flat. */
static int run_table(uint64_t seed, size_t nroutes, size_t ndst, bool lpm)
{
	uint64_t r = seed;
	struct route_entry *in = rand_routes(&r, nroutes);
	struct nws_arena a = { 0 };
	struct route_table tb;
	struct dp_rtab dt;
	struct nws_err err;
	int bad = 0;

	assert_int_equal(route_table_select(&a, in, nroutes, &tb), 0);
	if (dp_rtab_build(&dt, &tb, lpm, &err) < 0)
		fail_msg("%s", err.msg);
	for (size_t i = 0; i < ndst;) {
		size_t burst = 1 + tu_below(&r, DP_ROUTE_BURST);
		struct nws_ip d[DP_ROUTE_BURST];
		struct route_hop got[DP_ROUTE_BURST], want;

		if (burst > ndst - i)
			burst = ndst - i;
		for (size_t k = 0; k < burst; k++)
			rand_dst(&r, &tb, &d[k]);
		dp_rtab_lookup(&dt, d, got, burst);
		for (size_t k = 0; k < burst; k++) {
			route_ref_lookup(&tb, &d[k], &want);
			if (!same_hop(&want, &got[k]) && bad++ < 10)
				report(seed, &d[k], &want, &got[k]);
		}
		i += burst;
	}
	lookups += ndst;
	dp_rtab_free(&dt);
	nws_arena_free(&a);
	free(in);
	return bad;
}

static void test_random_tables(void **s)
{
	(void)s;
	static const size_t sizes[] = { 1, 3, 10, 40, 200, 1000, 4000, 10000 };
	int bad = 0;

	tu_eal();
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
		for (int rep = 0; rep < 3; rep++)
			bad += run_table(0x1b5 + k * 1000 + (uint64_t)rep, sizes[k], 6000, rep & 1);
	assert_int_equal(bad, 0);
}

/* The whole path: topology -> effective tables -> shared compiled tables -> burst lookup. */
static void test_random_topologies(void **s)
{
	(void)s;
	int bad = 0;

	for (uint64_t seed = 1; seed <= 12; seed++) {
		uint64_t r = seed * 0x9e37;
		struct tgen_opts o = { .nnsgs = 1, .max_rules = 2, .tag_pct = 0, .v6_pct = 50 };
		char *json = tgen_topology(&r, &o);
		struct nws_err err;
		struct topo *t = topo_load_buf("random.json", json, strlen(json), &err);
		struct route_model m;
		struct dp_routes dr;

		if (!t)
			fail_msg("%s", err.msg);
		assert_int_equal(route_model_build(&m, t, &err), 0);
		/* Odd seeds: every table flat; even: the largest in rte_lpm, the rest flat. */
		if (dp_routes_build(&dr, &m, seed & 1 ? 0 : 2, &err) < 0)
			fail_msg("%s", err.msg);
		for (int i = 0; i < 2000; i++) {
			struct dp_route_query q[DP_ROUTE_BURST];
			struct route_hop got[DP_ROUTE_BURST], want;
			size_t burst = 1 + tu_below(&r, DP_ROUTE_BURST);

			for (size_t k = 0; k < burst; k++) {
				q[k].subnet = (int)tu_below(&r, (uint32_t)t->nsubnets);
				rand_dst(&r, &m.subnet[q[k].subnet], &q[k].dst);
			}
			dp_routes_lookup(&dr, q, got, burst);
			for (size_t k = 0; k < burst; k++) {
				route_ref_lookup(&m.subnet[q[k].subnet], &q[k].dst, &want);
				if (!same_hop(&want, &got[k]) && bad++ < 10)
					report(seed, &q[k].dst, &want, &got[k]);
			}
			lookups += burst;
		}
		dp_routes_free(&dr);
		route_model_free(&m);
		topo_free(t);
		free(json);
	}
	assert_int_equal(bad, 0);
}

static void test_report(void **s)
{
	(void)s;
	printf("differential: %zu next-hop lookups compared\n", lookups);
	assert_true(lookups >= 100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_tables),
		cmocka_unit_test(test_random_topologies),
		cmocka_unit_test(test_report),
	};

	tu_eal();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
