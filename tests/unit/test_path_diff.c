/*
 * Differential test: the compiled path walk (rte_acl, rte_lpm, rte_hash, a burst at a time)
 * against the reference walk of rules/path.c, on random topologies with appliances, peerings,
 * gateways, stopped VMs and non-forwarding guests, and random flows between their addresses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp_path.h"
#include "tgen.h"
#include "tutil.h"

static size_t walks;
static size_t seen_reason[PATH_DROP_COUNT], seen_end[PATH_END_COUNT], seen_appliance;

static const char *datadir = "tests/data";
/* Large networks scripts/gen-topology.py made at build time (tests/meson.build). */
static char **generated;
static int ngenerated;

/* json: a topology to use, or NULL for a random one; at: judge from one random NIC (--at). */
static int run(uint64_t seed, size_t nflows, char *json, bool at)
{
	uint64_t r = seed;
	struct tgen_opts o = { .nnsgs = 2 + (int)tu_below(&r, 3), .max_rules = 30, .tag_pct = 15, .v6_pct = 30 };

	if (!json)
		json = tgen_topology(&r, &o);
	struct tu_path tp;
	int bad = 0;

	tu_path_open(&tp, json);
	const struct tu_net *n = &tp.net;
	struct dp_path *dp = &tp.dp;
	struct path_env env = { .t = n->t, .nsg = &n->m, .rm = &tp.rm };

	if (at) {
		env.at = dp->at = true;
		env.at_nic = dp->at_nic = (int)tu_below(&r, (uint32_t)n->t->nnics);
	}

	for (size_t done = 0; done < nflows;) {
		struct nws_flow f[DP_PATH_BURST];
		bool skip[DP_PATH_BURST];
		struct path_result got[DP_PATH_BURST], want;
		unsigned burst = 1 + tu_below(&r, DP_PATH_BURST);

		for (unsigned i = 0; i < burst; i++) {
			static const uint8_t protos[] = { 6, 17, 6, 1, 50 };
			uint8_t fam = tu_below(&r, 4) ? NWS_AF4 : NWS_AF6;

			memset(&f[i], 0, sizeof(f[i]));
			tgen_endpoint(&r, n->t, fam, &f[i].src);
			tgen_endpoint(&r, n->t, fam, &f[i].dst);
			f[i].proto = protos[tu_below(&r, 5)];
			if (fam == NWS_AF6 && f[i].proto == 1)
				f[i].proto = AZ_PROTO_ICMPV6;
			f[i].has_ports = f[i].proto == 6 || f[i].proto == 17;
			f[i].sport = f[i].has_ports ? (uint16_t)tu_below(&r, 65536) : 0;
			f[i].dport = f[i].has_ports ? (uint16_t)(tu_below(&r, 2) ? tu_below(&r, 1500) : tu_below(&r, 65536)) : 0;
			skip[i] = tu_below(&r, 10) == 0;
		}
		dp_path_walk(dp, f, skip, got, burst);
		for (unsigned i = 0; i < burst; i++) {
			char why[128], a[NWS_IP_STRLEN], b[NWS_IP_STRLEN];

			path_walk(&env, &f[i], skip[i], &want);
			if (want.delivered)
				seen_end[want.end]++;
			else
				seen_reason[want.reason]++;
			for (int h = 0; h < want.nhops; h++)
				seen_appliance += want.hops[h].kind == PATH_HOP_APPLIANCE;
			if (!tu_same_path(&want, &got[i], why, sizeof(why)) && bad++ < 10)
				fprintf(stderr, "seed %#llx: %s -> %s proto %u skip %d: %s\n", (unsigned long long)seed,
					nws_ip_str(&f[i].src, a), nws_ip_str(&f[i].dst, b), f[i].proto, skip[i], why);
		}
		done += burst;
		walks += burst;
	}
	tu_path_close(&tp);
	free(json);
	return bad;
}

static void test_random_paths(void **s)
{
	(void)s;
	int bad = 0;

	static const char *const fixed[] = { "paths.json", "paths-noipforwarding.json", "paths-guest-noforward.json",
					     "paths-stopped.json", "paths-noforwarded.json", "paths-loop.json" };

	for (uint64_t seed = 1; seed <= 30; seed++)
		bad += run(seed * 0x2545f491, 4000, NULL, seed % 5 == 0);
	/* The hand-made hub and spoke variants: loops, blocked forwarding, stopped VMs. */
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		bad += run(0x77 + i, 3000, tu_slurp(datadir, fixed[i]), false) + run(0x99 + i, 1500, tu_slurp(datadir, fixed[i]), true);
	printf("differential: %zu packet paths compared; delivered to VMs %zu, internet %zu, on-premises %zu, out of an --at NIC %zu; %zu appliance hops\n",
	       walks, seen_end[PATH_END_VM], seen_end[PATH_END_INTERNET], seen_end[PATH_END_ON_PREMISES],
	       seen_end[PATH_END_NETWORK], seen_appliance);
	for (int k = 0; k < PATH_DROP_COUNT; k++)
		printf("  dropped %-36s %zu\n", path_drop_name[k], seen_reason[k]);
	assert_int_equal(bad, 0);
	/* The random topologies must reach the interesting cases, or the comparison proves little. */
	assert_true(seen_appliance > 1000 && seen_end[PATH_END_ON_PREMISES] > 100 && seen_end[PATH_END_NETWORK] > 100);
	for (int k = 0; k < PATH_DROP_COUNT; k++)
		if (k != PATH_DROP_NO_ROUTE) /* reached only by IPv6 through an IPv4-only appliance subnet */
			assert_true(seen_reason[k] > 0);
}

/*
 * Hundreds of networks, a route table a subnet, NSGs shared by all, ASGs, IPv6:
 * the compiled walk (flat route tables past the largest few, every NSG association in rte_acl)
 * against the reference on random flows between their addresses.
 */
static void test_generated_networks(void **s)
{
	(void)s;
	int bad = 0;
	size_t before = walks;

	for (int i = 0; i < ngenerated; i++) {
		const char *path = generated[i];
		char *json = tu_slurp(path[0] == '/' ? "" : ".", path);

		bad += run(0x5ca1e + (uint64_t)i, 10000, json, false);
	}
	printf("generated networks: %zu packet paths compared\n", walks - before);
	assert_int_equal(bad, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		datadir = argv[1];
	generated = argv + 2;
	ngenerated = argc > 2 ? argc - 2 : 0;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_paths),
		cmocka_unit_test(test_generated_networks),
	};

	tu_eal();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
