/*
 * Differential test: IP flow verify through the compiled rte_acl tables against the linear
 * reference evaluator, on random topologies and random queries, for every classify algorithm
 * this machine runs and burst sizes 1..64. Any disagreement is printed with its seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp_verify.h"
#include "tgen.h"
#include "tutil.h"

static size_t queries_total;

static void describe(const struct nsg_query *q, const struct nsg_verdict *v, char *out, size_t len)
{
	char s[NWS_IP_STRLEN], d[NWS_IP_STRLEN], b[300];

	snprintf(out, len, "nic%d cfg%d %s proto %u %s:%u -> %s:%u: %s", q->nic, q->ipcfg, az_dir_name[q->dir],
		 q->flow.proto, nws_ip_str(&q->flow.src, s), q->flow.sport, nws_ip_str(&q->flow.dst, d), q->flow.dport,
		 tu_verdict_str(v, b, sizeof(b)));
}

static size_t shared_runs, classed_units, expanded_units;

static int run_topology(uint64_t seed, const struct tgen_opts *o, size_t nq)
{
	uint64_t rng = seed;
	char *json = tgen_topology(&rng, o);
	struct tu_net n;
	struct nsg_query *q = calloc(nq, sizeof(*q));
	struct nsg_verdict *ref = calloc(nq, sizeof(*ref)), *got = calloc(nq, sizeof(*got));
	int algs[8], nalg = dp_acl_algs(algs), bad = 0;

	assert_true(q && ref && got && nalg > 0);
	tu_net_open(&n, json);
	/*
	 * Every way of compiling: all instances in one unit (few), or a unit per NSG with its tags
	 * expanded for its one network or as key bits (used in several).
	 */
	assert_int_equal(n.acl.shared, n.m.ninst <= DP_ACL_SHARED_MAX);
	shared_runs += n.acl.shared;
	for (size_t u = 0; !n.acl.shared && u < n.acl.nunits; u++) {
		classed_units += n.acl.unit[u].classed;
		expanded_units += !n.acl.unit[u].classed;
	}
	for (size_t i = 0; i < nq; i++) {
		tgen_query(&rng, n.t, &q[i]);
		nsg_ref_verify(&n.m, q[i].nic, q[i].ipcfg, q[i].dir, &q[i].flow, &ref[i]);
	}
	for (int a = 0; a < nalg; a++) {
		assert_int_equal(dp_acl_set_alg(&n.acl, algs[a]), 0);
		memset(got, 0xff, nq * sizeof(*got));
		for (size_t i = 0; i < nq;) {
			size_t burst = 1 + tu_below(&rng, 64);

			if (burst > nq - i)
				burst = nq - i;
			dp_verify(&n.acl, &n.m, q + i, got + i, burst);
			i += burst;
		}
		for (size_t i = 0; i < nq; i++) {
			if (got[i].access == ref[i].access && got[i].rule == ref[i].rule && got[i].rule_id == ref[i].rule_id &&
			    got[i].platform == ref[i].platform &&
			    got[i].inst == ref[i].inst)
				continue;
			if (bad++ < 10) {
				char e[512], g[512];

				describe(&q[i], &ref[i], e, sizeof(e));
				describe(&q[i], &got[i], g, sizeof(g));
				fprintf(stderr, "seed %#llx alg %s query %zu:\n  reference %s\n  rte_acl   %s\n",
					(unsigned long long)seed, dp_acl_alg_name(algs[a]), i, e, g);
			}
		}
		queries_total += nq;
	}
	tu_net_close(&n);
	free(json);
	free(q);
	free(ref);
	free(got);
	return bad;
}

/* Many small and medium topologies: every kind of side, port list and tag. */
static void test_random_topologies(void **state)
{
	(void)state;
	int bad = 0;
	uint64_t base = getenv("NWSIM_SEED") ? strtoull(getenv("NWSIM_SEED"), NULL, 0) : 0x5eed0001;

	for (int k = 0; k < 40; k++) {
		struct tgen_opts o = { .nnsgs = 1 + k % 4, .max_rules = k < 30 ? 40 : 300, .tag_pct = 20, .v6_pct = 40 };

		bad += run_topology(base + (uint64_t)k * 7919, &o, 3000);
	}
	assert_int_equal(bad, 0);
}

/* A large NSG set: thousands of rules, so the trie splits and priorities interleave. */
static void test_large_nsgs(void **state)
{
	(void)state;
	struct tgen_opts o = { .nnsgs = 3, .max_rules = 1500, .tag_pct = 4, .v6_pct = 50 };

	assert_int_equal(run_topology(0xb16b00b5, &o, 20000), 0);
}

/* Many NSGs on many subnets and NICs: a burst's keys meet more tables than one pass groups. */
static void test_many_instances(void **state)
{
	(void)state;
	int bad = 0;

	for (int k = 0; k < 4; k++) {
		struct tgen_opts o = { .nnsgs = 80, .max_rules = 20, .tag_pct = 20, .v6_pct = 40 };

		bad += run_topology(0x1a57a11 + (uint64_t)k * 104729, &o, 5000);
	}
	assert_int_equal(bad, 0);
}

/*
 * Ten to twelve NSGs on the subnets and NICs of three networks: more instances than one unit holds,
 * so each NSG is compiled once with VirtualNetwork and Internet as key bits.
 */
static void test_nsgs_across_networks(void **state)
{
	(void)state;
	int bad = 0;

	for (int k = 0; k < 8; k++) {
		struct tgen_opts o = { .nnsgs = 10 + k % 3, .max_rules = 40, .tag_pct = 40, .v6_pct = 40 };

		bad += run_topology(0xc1a55ed + (uint64_t)k * 7727, &o, 5000);
	}
	assert_int_equal(bad, 0);
}

static void test_report(void **state)
{
	(void)state;
	int algs[8], n = dp_acl_algs(algs);

	printf("differential: %zu query evaluations compared over algorithms:", queries_total);
	for (int i = 0; i < n; i++)
		printf(" %s", dp_acl_alg_name(algs[i]));
	printf("\n  %zu topologies compiled into one unit; in the others, %zu NSGs with their tags as key bits, %zu expanded\n",
	       shared_runs, classed_units, expanded_units);
	/* 100,000 random queries per algorithm is the floor this test promises. */
	assert_true(queries_total >= (size_t)n * 100000);
	assert_true(shared_runs >= 20 && classed_units >= 20 && expanded_units >= 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_topologies),
		cmocka_unit_test(test_large_nsgs),
		cmocka_unit_test(test_many_instances),
		cmocka_unit_test(test_nsgs_across_networks),
		cmocka_unit_test(test_report),
	};

	tu_eal();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
