/*
 * Differential test of the flow table (dataplane/dp_flow.c) against a plain list: random admits,
 * lookups (one at a time and in bulk), removals, idle sweeps and flushes, on tables from tiny
 * (every bucket overflows, long probe chains, churn) to a few thousand flows. After every step
 * the table must hold exactly the reference's flows. And the key itself, against its definition.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp_flow.h"
#include "tutil.h"

struct ref {
	struct dp_flow_key *k; /* the pool of keys */
	uint32_t *hash;
	bool *in;              /* per key: in the table */
	uint64_t *last;        /* per key: its last_ns */
	size_t nkeys, n;
};

static void make_key(uint64_t *r, struct dp_flow_key *k)
{
	struct nws_flow f;
	bool lo;

	memset(&f, 0, sizeof(f));
	f.proto = tu_below(r, 2) ? AZ_PROTO_TCP : AZ_PROTO_UDP;
	f.src.fam = f.dst.fam = tu_below(r, 4) ? NWS_AF4 : NWS_AF6;
	/* Few distinct addresses and ports: keys that differ in one field only. */
	f.src.v = tu_below(r, 16);
	f.dst.v = (nws_u128)tu_below(r, 16) << (f.src.fam == NWS_AF6 ? 100 : 24);
	f.sport = (uint16_t)tu_below(r, 64);
	f.dport = (uint16_t)tu_below(r, 4);
	dp_flow_key(k, &f, &lo);
}

/* The table's flows are the reference's: by lookup of every pool key, and by iteration. */
static int check_same(const struct dp_flow_table *ft, const struct ref *rf, uint64_t seed, size_t step)
{
	size_t seen = 0;
	uint32_t it = 0;
	int32_t pos;

	for (size_t i = 0; i < rf->nkeys; i++) {
		pos = dp_flow_lookup(ft, &rf->k[i], rf->hash[i]);
		if ((pos >= 0) != rf->in[i] || (pos >= 0 && ft->e[pos].last_ns != rf->last[i])) {
			fprintf(stderr, "seed %#llx step %zu: key %zu: table %s, reference %s\n", (unsigned long long)seed, step, i,
				pos >= 0 ? "has it" : "has not", rf->in[i] ? "has it" : "has not");
			return 1;
		}
	}
	while ((pos = dp_flow_next(ft, &it)) >= 0)
		seen++;
	if (seen != rf->n || ft->cap - ft->nfree != rf->n) {
		fprintf(stderr, "seed %#llx step %zu: %zu flows iterated, %u in use, reference %zu\n", (unsigned long long)seed,
			step, seen, ft->cap - ft->nfree, rf->n);
		return 1;
	}
	return 0;
}

static size_t gone_calls;

static void on_gone(void *arg, const struct dp_flow_entry *e, const struct dp_flow_info *fi)
{
	(void)arg;
	(void)e;
	(void)fi;
	gone_calls++;
}

static int run(uint64_t seed, uint32_t capacity, size_t nkeys, size_t steps)
{
	uint64_t r = seed, clock = 1000;
	struct dp_flow_table ft;
	struct nws_err err;
	struct ref rf = { .nkeys = nkeys };
	int bad = 0;

	if (dp_flow_init(&ft, capacity, 100, &err) < 0)
		fail_msg("%s", err.msg);
	rf.k = calloc(nkeys, sizeof(*rf.k));
	rf.hash = calloc(nkeys, sizeof(*rf.hash));
	rf.in = calloc(nkeys, sizeof(*rf.in));
	rf.last = calloc(nkeys, sizeof(*rf.last));
	assert_true(rf.k && rf.hash && rf.in && rf.last);
	for (size_t i = 0; i < nkeys; i++) {
		/* Each key once in the pool, so each has one reference slot. */
		make_key(&r, &rf.k[i]);
		for (size_t j = 0; j < i; j++)
			if (dp_flow_key_eq(&rf.k[j], &rf.k[i])) {
				make_key(&r, &rf.k[i]);
				j = (size_t)-1; /* start again: the new key may repeat another */
			}
		rf.hash[i] = dp_flow_hash(&rf.k[i]);
	}
	for (size_t step = 0; step < steps && !bad; step++) {
		unsigned op = tu_below(&r, 100);
		size_t i = tu_below(&r, (uint32_t)nkeys);

		clock += tu_below(&r, 20);
		if (op < 45) { /* admit when absent */
			if (rf.in[i])
				continue;
			struct dp_flow_entry *e = dp_flow_admit(&ft, &rf.k[i], rf.hash[i], true, clock);

			if ((e == NULL) != (rf.n == capacity)) {
				fprintf(stderr, "seed %#llx step %zu: admit %s with %zu of %u in use\n", (unsigned long long)seed, step,
					e ? "took" : "refused", rf.n, capacity);
				bad++;
			}
			if (e) {
				rf.in[i] = true;
				rf.last[i] = clock;
				rf.n++;
			}
		} else if (op < 75) { /* remove when present */
			int32_t pos = dp_flow_lookup(&ft, &rf.k[i], rf.hash[i]);

			if (pos >= 0) {
				dp_flow_remove(&ft, pos, rf.hash[i]);
				rf.in[i] = false;
				rf.n--;
			}
		} else if (op < 90) { /* bulk lookup: the same answers as one at a time */
			const struct dp_flow_key *kp[64];
			uint32_t h[64];
			int32_t pos[64];
			unsigned n = 1 + tu_below(&r, 64);

			for (unsigned j = 0; j < n; j++) {
				size_t x = tu_below(&r, (uint32_t)nkeys);

				kp[j] = &rf.k[x];
				h[j] = rf.hash[x];
			}
			for (unsigned j = 0; j < n; j++)
				dp_flow_prefetch(&ft, h[j]);
			dp_flow_lookup_bulk(&ft, kp, h, n, pos);
			for (unsigned j = 0; j < n; j++)
				if (pos[j] != dp_flow_lookup(&ft, kp[j], h[j]) ||
				    (pos[j] >= 0) != rf.in[(size_t)(kp[j] - rf.k)]) {
					fprintf(stderr, "seed %#llx step %zu: bulk lookup differs\n", (unsigned long long)seed, step);
					bad++;
					break;
				}
		} else if (op < 99) { /* a sweep round: it removes exactly the idle flows it looked at */
			uint64_t now = clock + tu_below(&r, 300);
			size_t before = gone_calls;

			dp_flow_sweep_look(&ft, now);
			uint32_t nn = ft.nnoted;
			unsigned took = dp_flow_sweep_take(&ft, now, on_gone, NULL);

			if (took > nn || gone_calls - before != took) {
				fprintf(stderr, "seed %#llx step %zu: sweep took %u of %u noted\n", (unsigned long long)seed, step, took, nn);
				bad++;
			}
			size_t removed = 0;

			for (size_t k = 0; k < nkeys; k++) {
				if (!rf.in[k] || dp_flow_lookup(&ft, &rf.k[k], rf.hash[k]) >= 0)
					continue;
				if (!(now > rf.last[k] && now - rf.last[k] > 100)) {
					fprintf(stderr, "seed %#llx step %zu: the sweep removed a flow that was not idle\n",
						(unsigned long long)seed, step);
					bad++;
				}
				rf.in[k] = false;
				rf.n--;
				removed++;
			}
			if (removed != took) {
				fprintf(stderr, "seed %#llx step %zu: sweep said %u, %zu went\n", (unsigned long long)seed, step, took,
					removed);
				bad++;
			}
			clock = now;
		} else { /* flush */
			unsigned n = dp_flow_flush(&ft, NULL, NULL);

			if (n != rf.n) {
				fprintf(stderr, "seed %#llx step %zu: flush saw %u flows, reference %zu\n", (unsigned long long)seed, step, n,
					rf.n);
				bad++;
			}
			memset(rf.in, 0, nkeys * sizeof(*rf.in));
			rf.n = 0;
		}
		if (!bad && (step % 64 == 0 || capacity <= 64))
			bad += check_same(&ft, &rf, seed, step);
	}
	if (!bad)
		bad += check_same(&ft, &rf, seed, steps);
	free(rf.k);
	free(rf.hash);
	free(rf.in);
	free(rf.last);
	dp_flow_free(&ft);
	return bad;
}

static void test_table_matches_list(void **s)
{
	(void)s;
	int bad = 0;
	static const struct {
		uint32_t cap;
		size_t keys, steps;
	} sizes[] = { { 1, 8, 4000 }, { 16, 40, 20000 }, { 20, 64, 20000 }, { 64, 200, 20000 }, { 1000, 3000, 60000 },
		      { 5000, 12000, 100000 } };

	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++)
		for (uint64_t seed = 1; seed <= 6; seed++)
			bad += run(seed * 0x9e3779b97f4a7c15ull + z, sizes[z].cap, sizes[z].keys, sizes[z].steps);
	printf("flow table: %zu flows swept, every step matched the list\n", gone_calls);
	assert_int_equal(bad, 0);
	assert_true(gone_calls > 1000);
}

/*
 * A flow key is the lower (address, port) end first, whichever end sent the packet: both
 * directions give the same key, and lo says which end the sender is. Checked word by word against
 * that definition (IPv4 has a lane of its own in dp_flow_key), with addresses and ports often
 * equal so that every tie is met.
 */
static void test_key_is_lower_end_first(void **s)
{
	(void)s;
	uint64_t r = 5;

	for (int i = 0; i < 200000; i++) {
		struct nws_flow f, back;
		struct dp_flow_key k, kb;
		bool lo, lob;

		memset(&f, 0, sizeof(f));
		f.proto = (uint8_t)tu_below(&r, 256);
		f.src.fam = f.dst.fam = tu_below(&r, 2) ? NWS_AF4 : NWS_AF6;
		for (int e = 0; e < 2; e++) {
			struct nws_ip *ip = e ? &f.dst : &f.src;

			ip->v = f.src.fam == NWS_AF4 ? (nws_u128)(tu_below(&r, 2) ? tu_below(&r, 3) : (uint32_t)tu_rand(&r))
						     : (nws_u128)tu_rand(&r) << 64 | tu_below(&r, 3);
		}
		if (tu_below(&r, 4) == 0)
			f.dst.v = f.src.v;
		f.sport = (uint16_t)(tu_below(&r, 2) ? tu_below(&r, 3) : tu_rand(&r));
		f.dport = (uint16_t)(tu_below(&r, 2) ? tu_below(&r, 3) : tu_rand(&r));
		back = f;
		back.src = f.dst;
		back.dst = f.src;
		back.sport = f.dport;
		back.dport = f.sport;
		dp_flow_key(&k, &f, &lo);
		dp_flow_key(&kb, &back, &lob);

		bool want = f.src.v < f.dst.v || (f.src.v == f.dst.v && f.sport <= f.dport);
		const struct nws_ip *l = want ? &f.src : &f.dst, *h = want ? &f.dst : &f.src;
		uint64_t w[5] = { (uint64_t)f.src.fam | (uint64_t)f.proto << 8 | (uint64_t)(want ? f.sport : f.dport) << 16 |
					  (uint64_t)(want ? f.dport : f.sport) << 32,
				  (uint64_t)l->v, (uint64_t)(l->v >> 64), (uint64_t)h->v, (uint64_t)(h->v >> 64) };

		if (f.src.fam == NWS_AF4) { /* both addresses in the second word, the rest zero */
			w[1] = (uint64_t)(uint32_t)l->v | (uint64_t)(uint32_t)h->v << 32;
			w[3] = 0;
		}

		assert_int_equal(lo, want);
		assert_memory_equal(&k, w, sizeof(w));
		assert_true(dp_flow_key_eq(&k, &kb));
		/* One bit apart in any field, or the other family with the same numbers: another flow. */
		struct nws_flow g = f;
		struct dp_flow_key kg;
		bool log;

		switch (tu_below(&r, 6)) {
		case 0:
			g.sport ^= 1;
			break;
		case 1:
			g.dport ^= 0x8000;
			break;
		case 2:
			g.src.v ^= (nws_u128)1 << tu_below(&r, g.src.fam == NWS_AF4 ? 32 : 128);
			break;
		case 3:
			g.dst.v ^= (nws_u128)1 << tu_below(&r, g.dst.fam == NWS_AF4 ? 32 : 128);
			break;
		case 4:
			g.proto ^= 0x11;
			break;
		default:
			g.src.fam = g.dst.fam = g.src.fam == NWS_AF4 ? NWS_AF6 : NWS_AF4;
			break;
		}
		dp_flow_key(&kg, &g, &log);
		assert_int_equal(dp_flow_key_eq(&k, &kg), !memcmp(&k, &kg, sizeof(k)));
		assert_int_equal(dp_flow_key_eq(&kg, &k), !memcmp(&k, &kg, sizeof(k)));
		/* The way back's sender is the other end, except when both ends are the same. */
		assert_int_equal(lob, f.src.v == f.dst.v && f.sport == f.dport ? true : !want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_matches_list),
		cmocka_unit_test(test_key_is_lower_end_first),
	};

	tu_eal();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
