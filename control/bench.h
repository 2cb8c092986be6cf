/*
 * nwsim bench's generator (bench_gen.c): the policy and the traffic a benchmark runs. The tests
 * draw their topologies elsewhere (tests/lib/tgen.c): small, dense ones, where addresses, rules and
 * queries collide on purpose; these are large and shaped like production NSGs.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "nsg.h"
#include "nws_err.h"

/* The generated policy's shape, and the generator's state (a splitmix64 sequence). */
struct bench_gen {
	uint64_t rng;
	int rules, nsgs, nics, tag_pct, list_pct, v6_pct;
};

/* A filter as ClassBench wrote it (all five fields), to send a trace's packet to its NSG's NIC. */
struct bench_cb_filter {
	uint32_t src, smask, dst, dmask;
	uint16_t splo, sphi, dplo, dphi;
	uint8_t proto, pmask;
	int nsg; /* -1: skipped */
};

struct bench_cb {
	struct bench_cb_filter *f;
	size_t n;
};

/* A flow of the traffic, and where the linear reference judges its first packet. */
struct bench_flow {
	struct nws_flow f;
	int nic, ipcfg;  /* the NIC configuration whose NSGs judge it, */
	enum az_dir dir; /* and which way */
};

/* g->nsgs NSGs of g->rules rules on g->nics NICs in one subnet, as topology JSON (malloc'd). */
char *bench_gen_topology(struct bench_gen *g);
/*
 * A ClassBench filter set at path as NSGs (topology JSON, malloc'd), its filters kept in cs for a
 * trace; sets g's rules, nsgs and nics, and *skipped to the filters an NSG cannot name.
 */
char *bench_gen_classbench(const char *path, struct bench_gen *g, int *skipped, struct bench_cb *cs, struct nws_err *err);
/* A flow that meets a random rule of a random NIC's NSG (a generated policy). */
void bench_gen_flow(struct bench_gen *g, const struct topo *t, struct bench_flow *bf);
/*
 * A ClassBench trace ("src dst sport dport proto ...", one packet a line) as up to max flows,
 * each to the NIC whose NSG holds the first filter it matches (malloc'd; *n of them).
 */
struct bench_flow *bench_load_trace(const char *path, const struct topo *t, const struct bench_cb *cs, size_t max, size_t *n,
				    struct nws_err *err);
/* A flow that meets a random user rule of a loaded topology (see bench_gen.c). */
void bench_gen_topo_flow(struct bench_gen *g, const struct nsg_model *m, struct bench_flow *bf);

#endif
