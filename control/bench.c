/*
 * nwsim bench: how fast NSG policies of a given size and shape are enforced. The generator
 * (bench_gen.c) writes a topology (NSGs of N rules shaped like real ones: prefixes, service tags,
 * port ranges and lists, some IPv6) and a traffic mix against it; each worker's frames are
 * preloaded and run through the engine's burst loop by dataplane/dp_frames (parse from the mbuf,
 * flow table, NSGs both ways, routes, counters) in passes, for a packet count or a time. Reports
 * per worker and in total: Mpps, Gbit/s at the frame size, cycles per packet, per-packet latency
 * percentiles, the rule build time and the tables' memory.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "app.h"
#include "bench.h"
#include "cmds.h"
#include "connect.h"
#include "dp_eal.h"
#include "dp_frames.h"
#include "dp_worker.h"
#include "feed.h"
#include "jw.h"
#include "summary.h"

static const char usage_text[] =
	"usage: nwsim bench [--rules N] [--nsgs N] [--nics N] [--tags PCT] [--port-lists PCT] [--ipv6 PCT]\n"
	"                   [-t FILE | --classbench FILE [--trace FILE]]\n"
	"                   [--flows N] [--packets-per-flow N] [--concurrent N] [--packets N | --seconds S]\n"
	"                   [--workers N] [--burst N] [--alg NAME] [--frame-size BYTES] [--seed S]\n"
	"                   [-o json|table] [-- EAL]\n"
	"\n"
	"Measures the full packet path on a generated policy: --nsgs NSGs (default 1) of --rules rules\n"
	"each (default 1000; Azure allows 1000, 4000 with a raised limit), on --nics NICs (default 16);\n"
	"--tags, --port-lists and --ipv6 set the share of rules with service tags, with port lists and\n"
	"with IPv6 prefixes (defaults 10, 20, 10 percent). The traffic: --flows flows (default 20000) of\n"
	"--packets-per-flow packets both ways (default 10), --concurrent of them in flight at once, their\n"
	"packets taking turns (default 64), preloaded as frames and received by each worker into a\n"
	"ring of mbufs, in passes, every pass with new flows, for --packets packets (default 20,000,000) or\n"
	"--seconds. --workers N worker lcores (default 1; 0, the main lcore, on one CPU; the main lcore\n"
	"sleeps while workers run), --burst 1..64\n"
	"(default 32), --alg scalar|sse|avx2|avx512x16|avx512x32 (default: the fastest here). Reports Mpps, Gbit/s at\n"
	"--frame-size (default 64), cycles per packet, latency percentiles, classification (rte_acl keys a\n"
	"packet, cycles a key, share of the cycles), the share of new flows whose pair of addresses was\n"
	"known (no walk of their own), build time and table memory.\n"
	"--classbench FILE takes the policy from a ClassBench filter set instead (NSGs of up to 3,900\n"
	"rules, one per NIC; the flows meet random filters), --trace FILE the flows from a ClassBench\n"
	"trace (one flow a line, to the NIC whose NSG holds its first matching filter).\n"
	"-t FILE takes the policy from a topology of your own (topology-format.md); each flow meets a\n"
	"random user rule of an NSG on a random NIC's path, inbound or outbound, as that rule names it.\n";

/* ---- the options: one table, with their defaults and bounds ------------------------------------- */

#define BENCH_NUMBERS(X)                                                                       \
	X(rules, "--rules", 1000, 1, 4000, true)                                               \
	X(nsgs, "--nsgs", 1, 1, 1000, true)                                                    \
	X(nics, "--nics", 16, 1, 60000, true)                                                  \
	X(tags, "--tags", 10, 0, 100, true)                                                    \
	X(lists, "--port-lists", 20, 0, 100, true)                                             \
	X(v6, "--ipv6", 10, 0, 100, true)                                                      \
	X(flows, "--flows", 20000, 1, 10000000, true)                                          \
	X(ppf, "--packets-per-flow", 10, 1, 1000, true)                                        \
	X(packets, "--packets", 20e6, 1, 1e12, true)                                           \
	X(seconds, "--seconds", 0, 0.01, 3600, false)                                          \
	X(workers, "--workers", 1, 0, MAX_WORKERS, true) /* 0 on a single CPU */               \
	X(burst, "--burst", 32, 1, DP_PATH_BURST, true)                                        \
	X(frame, "--frame-size", 64, 64, 9000, true)                                           \
	X(seed, "--seed", 1, 0, 1e15, true)                                                    \
	X(concurrent, "--concurrent", 64, 1, 10000000, true)

struct bench_opts {
	struct cli_common c;
#define X(f, opt, dflt, lo, hi, whole) const char *f##_arg; double f;
	BENCH_NUMBERS(X)
#undef X
	const char *alg, *classbench, *trace;
};

static int bench_options(int argc, char **argv, struct bench_opts *o, struct nws_err *err)
{
	const struct cli_opt opts[] = {
#define X(f, opt, dflt, lo, hi, whole) { opt, 0, &o->f##_arg, NULL, NULL },
		BENCH_NUMBERS(X)
#undef X
		{ "--alg", 0, &o->alg, NULL, NULL },
		{ "--classbench", 0, &o->classbench, NULL, NULL },
		{ "--trace", 0, &o->trace, NULL, NULL },
		{ NULL, 0, NULL, NULL, NULL },
	};
#define X(f, opt, dflt, lo, hi, whole) o->f = dflt;
	BENCH_NUMBERS(X)
#undef X
	o->workers = cli_ncpus() > 1 ? 1 : 0;
	if (cli_parse(argc, argv, opts, &o->c, NULL, NULL, err) < 0 || cli_check_output(&o->c, CLI_FORMATS_REPORT, err) < 0)
		return -1;
	if (o->c.help)
		return 0;
	/* After cli_parse: the table holds the values it found. */
	const struct cli_num nums[] = {
#define X(f, opt, dflt, lo, hi, whole) { opt, o->f##_arg, lo, hi, whole, &o->f },
		BENCH_NUMBERS(X)
#undef X
	};

	if (cli_numbers(nums, sizeof(nums) / sizeof(nums[0]), err) < 0)
		return -1;
	if (o->packets_arg && o->seconds_arg)
		return nws_err_set(err, "give --packets or --seconds, not both");
	bool shape = o->rules_arg || o->nsgs_arg || o->nics_arg || o->tags_arg || o->lists_arg || o->v6_arg;

	if (o->classbench && shape)
		return nws_err_set(err, "--classbench gives the policy: drop --rules, --nsgs, --nics, --tags, --port-lists, --ipv6");
	if (o->trace && !o->classbench)
		return nws_err_set(err, "--trace goes with --classbench");
	if (o->c.topology && (o->classbench || shape))
		return nws_err_set(err, "-t gives the policy: drop --classbench, --rules, --nsgs, --nics, --tags, --port-lists, --ipv6");
	return 0;
}

/* ---- the run ------------------------------------------------------------------------------------ */

/* One per worker: its engine and the frames it receives; what it measured. */
struct bench_worker {
	struct dp_engine eng;
	struct dp_frames fr;
	struct dp_acl_tally acl;            /* its classify calls */
	uint64_t pairs_known, pairs_walked; /* new flows' walks answered from their pair's, and pairs walked first */
	unsigned lcore;
};

struct bench {
	struct app app;
	struct bench_gen g;
	char *json;        /* the generated policy */
	int skipped;       /* ClassBench filters an NSG cannot name */
	struct bench_cb cs;
	int alg;
	double build_ms;
	size_t table_bytes;
	unsigned nw, nslots; /* worker lcores; engines (at least one: nw 0 runs on the main lcore) */
	struct bench_flow *tflows, *ref; /* a trace's flows; the first flows, for the linear reference */
	size_t ntflows, nref, nflows;
	double ref_kpps;
	struct rte_mempool *pool;
	struct bench_worker *w; /* nslots */
};

/* The policy: a topology of the user's, a ClassBench filter set, or generated. */
static int bench_policy(struct bench *b, struct bench_opts *o, struct nws_err *err)
{
	struct app *app = &b->app;

	b->g = (struct bench_gen){ .rng = (uint64_t)o->seed, .rules = (int)o->rules, .nsgs = (int)o->nsgs, .nics = (int)o->nics,
				   .tag_pct = (int)o->tags, .list_pct = (int)o->lists, .v6_pct = (int)o->v6 };
	if (b->g.nsgs > b->g.nics)
		b->g.nsgs = b->g.nics;
	if (o->c.topology) {
		/* The user's own policy, through the loader every command uses. */
		if (cli_topology_args(&o->c, err) < 0) {
			nws_err_prefix(err, "bench: ");
			return CLI_USAGE;
		}
		app->t = cli_load_topology(&o->c, err);
		if (!app->t)
			return CLI_INPUT;
		if (!app->t->nnics) {
			nws_err_set(err, "%s: no network interface to send the traffic to", o->c.topology);
			return CLI_INPUT;
		}
	} else {
		b->json = o->classbench ? bench_gen_classbench(o->classbench, &b->g, &b->skipped, &b->cs, err)
					: bench_gen_topology(&b->g);
		if (!b->json) {
			if (!o->classbench)
				nws_err_set(err, "out of memory");
			return o->classbench ? CLI_INPUT : CLI_FAIL;
		}
		app->t = topo_load_buf(o->classbench ? o->classbench : "generated policy", b->json, strlen(b->json), err);
		if (!app->t)
			return CLI_FAIL;
	}
	return app_model(app, err);
}

/* EAL with its lcores, then the tables, their build timed and their memory measured. */
static int bench_tables(struct bench *b, struct bench_opts *o, struct nws_err *err)
{
	struct app *app = &b->app;
	int rc;

	b->nw = (unsigned)o->workers;
	if (cli_set_workers(&o->c, &b->nw, o->workers_arg != NULL, err) < 0) {
		nws_err_prefix(err, "bench: ");
		return CLI_USAGE;
	}
	rc = app_compile(app, &o->c, 0, err); /* EAL only: the build is timed below */
	if (rc != CLI_OK)
		return rc;
	if (b->nw > rte_lcore_count() - 1) {
		nws_err_set(err, "bench: --workers %u needs %u lcores; EAL has %u", b->nw, b->nw + 1, rte_lcore_count());
		return CLI_USAGE;
	}
	if (o->alg) {
		int algs[8], n = dp_acl_algs(algs);

		for (int i = 0; i < n; i++)
			if (!strcasecmp(dp_acl_alg_name(algs[i]), o->alg))
				b->alg = algs[i];
		if (!b->alg) {
			nws_err_set(err, "bench: --alg: '%s' is not a classify algorithm this machine has", o->alg);
			return CLI_USAGE;
		}
	}
	struct rte_malloc_socket_stats s0, s1;
	uint64_t b0 = rte_rdtsc();

	rte_malloc_get_socket_stats((int)rte_socket_id(), &s0);
	if (dp_routes_build(&app->routes, &app->rm, DP_ROUTE_LPM_TABLES, err) < 0)
		return CLI_FAIL;
	app->have_routes = true;
	if (dp_acl_build(&app->acl, &app->m, b->alg, NULL, err) < 0)
		return CLI_FAIL;
	app->have_acl = true;
	app->acl.tally = true; /* the report's classification figures */
	if (dp_path_build(&app->path, app->t, &app->m, &app->rm, &app->acl, &app->routes, err) < 0)
		return CLI_FAIL;
	app->have_path = true;
	b->build_ms = (double)(rte_rdtsc() - b0) * 1e3 / (double)rte_get_tsc_hz();
	rte_malloc_get_socket_stats((int)rte_socket_id(), &s1);
	b->table_bytes = s1.heap_allocsz_bytes - s0.heap_allocsz_bytes;
	return CLI_OK;
}

/* The flows, and the worker each goes to (by the hash the readers use); the first kept for the reference. */
static int bench_flows(struct bench *b, const struct bench_opts *o, struct nws_flow *fl_of, unsigned *w_of)
{
	b->nref = b->nflows < 20000 ? b->nflows : 20000;
	b->ref = calloc(b->nref, sizeof(*b->ref));
	if (!b->ref)
		return -1;
	for (size_t fl = 0; fl < b->nflows; fl++) {
		struct bench_flow bf;
		struct dp_item probe;

		if (b->tflows)
			bf = b->tflows[fl];
		else if (o->c.topology)
			bench_gen_topo_flow(&b->g, &b->app.m, &bf);
		else
			bench_gen_flow(&b->g, b->app.t, &bf);
		fl_of[fl] = bf.f;
		if (fl < b->nref)
			b->ref[fl] = bf;
		memset(&probe, 0, sizeof(probe));
		probe.unparsed = -1;
		probe.pkt.flow = fl_of[fl];
		w_of[fl] = dp_worker_pick(&probe, b->nslots);
	}
	return 0;
}

/*
 * The traffic as each worker's frames. --concurrent flows are in flight at once: a window of
 * flows starts together and their packets take turns (packet k of every flow of the window, then
 * packet k+1), as a traffic generator with that many active flows sends them, both ways. Time
 * runs forward in the order sent.
 */
static void bench_frames(struct bench *b, const struct bench_opts *o, const struct nws_flow *fl_of, const unsigned *w_of)
{
	size_t per = (size_t)o->ppf, conc = (size_t)o->concurrent;
	uint64_t tick = 0;

	for (size_t w0 = 0; w0 < b->nflows; w0 += conc)
		for (size_t k = 0; k < per; k++)
			for (size_t fl = w0; fl < w0 + conc && fl < b->nflows; fl++) {
				const struct nws_flow *f = &fl_of[fl];
				struct nws_flow x = *f;
				uint8_t frame[DP_FRAMES_ROOM];

				if (k & 1) {
					x.src = f->dst;
					x.dst = f->src;
					x.sport = f->dport;
					x.dport = f->sport;
				}
				size_t len = conn_frame(frame, &x, k == 0 ? DP_TCP_SYN : k == 1 ? DP_TCP_SYN | DP_TCP_ACK : DP_TCP_ACK,
							false, (uint16_t)fl);

				dp_frames_add(&b->w[w_of[fl]].fr, frame, len, tick++ * 1000);
			}
}

/* The engines (as nwsim run forwards: no per-packet hop record, no flow log), then the frames. */
static int bench_traffic(struct bench *b, const struct bench_opts *o, struct nws_err *err)
{
	if (o->trace) {
		b->tflows = bench_load_trace(o->trace, b->app.t, &b->cs, o->flows_arg ? (size_t)o->flows : SIZE_MAX, &b->ntflows, err);
		if (!b->tflows)
			return CLI_INPUT;
	}
	b->nflows = b->tflows ? b->ntflows : (size_t)o->flows;
	size_t total = b->nflows * (size_t)o->ppf;
	/* The flow tables first: the frames take what hugepages are left. */
	struct dp_engine_conf ec = dp_engine_conf_full((uint32_t)(b->nflows * 2 > 4096 ? b->nflows * 2 : 4096));

	ec.hop_trace = false;
	ec.flow_info = false;
	for (size_t i = 0; i < b->nslots; i++)
		if (dp_engine_init(&b->w[i].eng, &b->app.path, &ec, err) < 0)
			return CLI_FAIL;
	b->pool = rte_pktmbuf_pool_create("bench", b->nslots * DP_FRAMES_RING + 1024, 256, 0, DP_FRAMES_ROOM, (int)rte_socket_id());
	if (!b->pool)
		return nws_err_set(err, "bench: no memory for a ring of mbufs"), CLI_FAIL;
	for (size_t i = 0; i < b->nslots; i++)
		if (dp_frames_init(&b->w[i].fr, total, b->pool, err) < 0) {
			nws_err_prefix(err, "bench: ");
			return CLI_FAIL;
		}
	struct nws_flow *fl_of = calloc(b->nflows, sizeof(*fl_of));
	unsigned *w_of = calloc(b->nflows, sizeof(*w_of));
	int rc = CLI_OK;

	if (!fl_of || !w_of || bench_flows(b, o, fl_of, w_of) < 0) {
		nws_err_set(err, "bench: no memory for %zu flows", b->nflows);
		rc = CLI_FAIL;
	} else {
		bench_frames(b, o, fl_of, w_of);
	}
	free(fl_of);
	free(w_of);
	return rc;
}

/* Not inlined: scripts/bench.sh --instructions counts what runs inside it. */
static __attribute__((noinline)) int bench_main(void *arg)
{
	struct bench_worker *w = arg;

	dp_acl_tally_take(&w->acl); /* drop what this thread classified before the run (none so far) */
	dp_frames_run(&w->eng, &w->fr);
	w->pairs_known = w->eng.pairs.hits;
	w->pairs_walked = w->eng.pairs.misses;
	dp_acl_tally_take(&w->acl);
	return 0;
}

/* The packets asked for, shared by the workers that got flows (the remainder to the first), or the time. */
static void bench_run(struct bench *b, const struct bench_opts *o)
{
	uint64_t hz = rte_get_tsc_hz(), target = o->seconds_arg ? UINT64_MAX : (uint64_t)o->packets;
	size_t total = b->nflows * (size_t)o->ppf;
	unsigned active = 0, seen = 0;

	for (unsigned i = 0; i < b->nslots; i++)
		active += b->w[i].fr.n > 0;
	for (unsigned i = 0; i < b->nslots; i++) {
		struct dp_frames *fr = &b->w[i].fr;

		fr->burst = (unsigned)o->burst;
		fr->target = !fr->n ? 0 : o->seconds_arg ? UINT64_MAX : target / active + (seen++ == 0 ? target % active : 0);
		fr->deadline_tsc = o->seconds_arg ? rte_rdtsc() + (uint64_t)(o->seconds * (double)hz) : 0;
		/* A pass later than the idle time: its flows are new again. */
		fr->pass_ns = (uint64_t)total * 1000 + (uint64_t)(DP_FLOW_IDLE_S + 60) * 1000000000ull;
	}
	if (b->nw == 0) {
		bench_main(&b->w[0]);
		return;
	}
	unsigned i = 0, lc;

	RTE_LCORE_FOREACH_WORKER(lc) {
		if (i == b->nw)
			break;
		b->w[i].lcore = lc;
		rte_eal_remote_launch(bench_main, &b->w[i], lc);
		i++;
	}
	/*
	 * The main lcore sleeps while they run, rather than spin in rte_eal_mp_wait_lcore: it may
	 * share a CPU with a worker (--lcores 0@0,1@0,2@1 runs two workers on two CPUs).
	 */
	for (bool busy = true; busy;) {
		busy = false;
		RTE_LCORE_FOREACH_WORKER(lc)
			busy |= rte_eal_get_lcore_state(lc) == RUNNING;
		if (busy)
			usleep(1000);
	}
	rte_eal_mp_wait_lcore();
}

/*
 * The linear reference on the same flows: each flow's first packet through nsg_ref_verify at its
 * NIC configuration, the way its rule judges it, rule by rule, as the tests' oracle does it.
 */
static void bench_reference(struct bench *b)
{
	uint64_t r0 = rte_rdtsc();
	uint64_t allowed = 0;

	for (size_t i = 0; i < b->nref; i++) {
		struct nsg_verdict vd;

		nsg_ref_verify(&b->app.m, b->ref[i].nic, b->ref[i].ipcfg, b->ref[i].dir, &b->ref[i].f, &vd);
		allowed += vd.access == AZ_ALLOW;
	}
	(void)allowed;
	b->ref_kpps = (double)b->nref / ((double)(rte_rdtsc() - r0) / (double)rte_get_tsc_hz()) / 1e3;
}

/* ---- the report --------------------------------------------------------------------------------- */

/* What one worker measured, or all of them together. */
struct bench_figures {
	uint64_t packets, cycles;
	uint64_t lat[DP_FRAMES_LAT];
	struct dp_acl_tally acl;
	uint64_t pairs_known, pairs_walked;
};

static void figures_add(struct bench_figures *t, const struct bench_worker *w)
{
	t->packets += w->fr.packets;
	t->cycles += w->fr.cycles;
	for (unsigned b = 0; b < DP_FRAMES_LAT; b++)
		t->lat[b] += w->fr.lat[b];
	t->acl.keys += w->acl.keys;
	t->acl.cycles += w->acl.cycles;
	t->pairs_known += w->pairs_known;
	t->pairs_walked += w->pairs_walked;
}

static uint64_t percentile(const uint64_t *h, uint64_t total, double q)
{
	uint64_t want = (uint64_t)((double)total * q), seen = 0;

	for (unsigned b = 0; b < DP_FRAMES_LAT; b++) {
		seen += h[b];
		if (seen > want)
			return dp_frames_lat_value(b);
	}
	return dp_frames_lat_value(DP_FRAMES_LAT - 1);
}

static size_t acl_rules(const struct dp_acl *a)
{
	return a->nacl[0][0] + a->nacl[0][1] + a->nacl[1][0] + a->nacl[1][1];
}

/* The policy and the traffic: a table's first lines, or the JSON up to the workers' array. */
static void report_setup(const struct bench *b, const struct bench_opts *o, struct jw *jw)
{
	const struct topo *t = b->app.t;
	/* The user rules: in all, and in each NSG (a loaded topology's largest). */
	int nrules = 0, per_nsg = 0;
	size_t conc = (size_t)o->concurrent < b->nflows ? (size_t)o->concurrent : b->nflows;

	if (o->c.topology) {
		for (size_t i = 0; i < t->nnsgs; i++) {
			nrules += (int)t->nsgs[i].nuser;
			if ((int)t->nsgs[i].nuser > per_nsg)
				per_nsg = (int)t->nsgs[i].nuser;
		}
	} else if (o->classbench) {
		nrules = b->g.rules;
		per_nsg = (b->g.rules + (int)t->nnsgs - 1) / (int)t->nnsgs;
	} else {
		nrules = b->g.rules * (int)t->nnsgs;
		per_nsg = b->g.rules;
	}
	if (cli_table(&o->c)) {
		if (o->c.topology)
			printf("policy: topology %s\n", o->c.topology);
		if (o->classbench)
			printf("policy: ClassBench %s: %d filters as NSG rules (%d skipped: protocols an NSG cannot name)\n", o->classbench,
			       b->g.rules, b->skipped);
		printf("policy: %zu NSG%s, %d rules (%zu with the defaults), %zu NICs; rte_acl %s, %zu rules; built in %.1f ms, tables %.1f MB\n",
		       t->nnsgs, t->nnsgs == 1 ? "" : "s", nrules, t->nrules, t->nnics, dp_acl_alg_name(b->app.acl.alg),
		       acl_rules(&b->app.acl), b->build_ms, (double)b->table_bytes / 1048576.0);
		printf("traffic: %zu flows x %zu packets%s%s, %zu in flight at once, %zu-byte frames; burst %u\n", b->nflows,
		       (size_t)o->ppf, o->trace ? " from " : "", o->trace ? o->trace : "", conc, (size_t)o->frame, (unsigned)o->burst);
		printf("linear reference (nsg_ref_verify at the flows' NICs): %.1f thousand packets/s on one core\n\n", b->ref_kpps);
		printf("%-8s %12s %8s %9s %10s %10s %10s %10s %9s %8s %6s %7s\n", "worker", "packets", "Mpps", "Gbit/s", "cyc/pkt",
		       "p50 ns", "p99 ns", "p99.9 ns", "keys/pkt", "cyc/key", "acl %", "pair %");
		return;
	}
	jw_init(jw, stdout, true);
	jw_obj(jw);
	jw_key(jw, "policy");
	jw_obj(jw);
	jw_kint(jw, "nsgs", (long long)t->nnsgs);
	if (o->c.topology)
		jw_kstr(jw, "topology", o->c.topology);
	if (o->classbench) {
		jw_kstr(jw, "classbench", o->classbench);
		jw_kint(jw, "filtersSkipped", b->skipped);
	}
	jw_kint(jw, "rulesPerNsg", per_nsg);
	jw_kint(jw, "rules", nrules);
	jw_kint(jw, "rulesWithDefaults", (long long)t->nrules);
	jw_kint(jw, "nics", (long long)t->nnics);
	jw_kint(jw, "aclRules", (long long)acl_rules(&b->app.acl));
	jw_kstr(jw, "algorithm", dp_acl_alg_name(b->app.acl.alg));
	jw_kint(jw, "buildMicroseconds", (long long)(b->build_ms * 1000));
	jw_kint(jw, "tableBytes", (long long)b->table_bytes);
	jw_end_obj(jw);
	jw_key(jw, "traffic");
	jw_obj(jw);
	jw_kint(jw, "flows", (long long)b->nflows);
	jw_kint(jw, "packetsPerFlow", (long long)o->ppf);
	jw_kint(jw, "concurrentFlows", (long long)conc);
	jw_kint(jw, "frameSize", (long long)o->frame);
	jw_kint(jw, "burst", (long long)o->burst);
	if (o->trace)
		jw_kstr(jw, "trace", o->trace);
	jw_end_obj(jw);
	jw_kint(jw, "linearReferenceKpps", (long long)b->ref_kpps);
	jw_key(jw, "workers");
	jw_arr(jw);
}

/* One worker's line (name NULL: the total, whose time is the slowest worker's: they ran side by side). */
static void report_figures(const struct bench_figures *x, int worker, uint64_t cycles, const struct bench_opts *o, struct jw *jw)
{
	double hz = (double)rte_get_tsc_hz(), secs = (double)cycles / hz, mpps = secs > 0 ? (double)x->packets / secs / 1e6 : 0;
	double wire_bits = (o->frame + 20) * 8; /* preamble and inter-frame gap */
	double cpp = x->packets ? (double)x->cycles / (double)x->packets : 0, ns = 1e9 / hz;
	uint64_t p50 = percentile(x->lat, x->packets, 0.5), p99 = percentile(x->lat, x->packets, 0.99),
		 p999 = percentile(x->lat, x->packets, 0.999);
	/* Classification's share of the worker's cycles (the total: of all workers' cycles). */
	double kpp = x->packets ? (double)x->acl.keys / (double)x->packets : 0,
	       cpk = x->acl.keys ? (double)x->acl.cycles / (double)x->acl.keys : 0,
	       share = x->cycles ? 100.0 * (double)x->acl.cycles / (double)x->cycles : 0;
	/* Of the new flows' walks, the share whose pair of addresses was known: no walk of their own. */
	uint64_t pw = x->pairs_known + x->pairs_walked;
	double pair = pw ? 100.0 * (double)x->pairs_known / (double)pw : 0;

	if (cli_table(&o->c)) {
		char name[16];

		snprintf(name, sizeof(name), worker >= 0 ? "%d" : "total", worker);
		printf("%-8s %12" PRIu64 " %8.2f %9.2f %10.0f %10.0f %10.0f %10.0f %9.4f %8.0f %6.1f %7.1f\n", name, x->packets, mpps,
		       mpps * wire_bits / 1e3, cpp, (double)p50 * ns, (double)p99 * ns, (double)p999 * ns, kpp, cpk, share, pair);
		return;
	}
	jw_obj(jw);
	if (worker >= 0)
		jw_kint(jw, "worker", worker);
	else
		jw_kstr(jw, "worker", "total");
	jw_kint(jw, "packets", (long long)x->packets);
	jw_kint(jw, "kpps", (long long)(mpps * 1e3));
	jw_kint(jw, "mbitPerSecond", (long long)(mpps * wire_bits));
	jw_kint(jw, "cyclesPerPacket", (long long)cpp);
	jw_kint(jw, "p50Cycles", (long long)p50);
	jw_kint(jw, "p99Cycles", (long long)p99);
	jw_kint(jw, "p999Cycles", (long long)p999);
	jw_kint(jw, "p50Ns", (long long)((double)p50 * ns));
	jw_kint(jw, "p99Ns", (long long)((double)p99 * ns));
	jw_kint(jw, "p999Ns", (long long)((double)p999 * ns));
	jw_kint(jw, "classifyKeys", (long long)x->acl.keys);
	jw_kfixed(jw, "classifyKeysPerPacket", kpp, 4);
	jw_kint(jw, "classifyCyclesPerKey", (long long)cpk);
	jw_kfixed(jw, "classifyPercent", share, 1);
	jw_kint(jw, "pairsKnown", (long long)x->pairs_known);
	jw_kint(jw, "pairsWalked", (long long)x->pairs_walked);
	jw_end_obj(jw);
}

/* Every packet accounted for, over all workers: received = delivered + dropped + unparsed. */
static int report_accounting(struct bench *b, const struct bench_opts *o, struct jw *jw, struct nws_err *err)
{
	for (unsigned i = 1; i < b->nslots; i++)
		dp_counters_add(&b->w[0].eng.c, &b->w[i].eng.c, b->app.t->nrules, b->app.t->nnics);
	const struct dp_counters *k = &b->w[0].eng.c;
	uint64_t dl = summary_sum(k->delivered, PATH_END_COUNT), dr = summary_sum(k->dropped, PATH_DROP_COUNT),
		 un = summary_sum(k->unparsed, DP_UNPARSED_COUNT);

	if (cli_table(&o->c)) {
		printf("\naccounting: received %" PRIu64 " = delivered %" PRIu64 " + dropped %" PRIu64 " + unparsed %" PRIu64
		       "; %" PRIu64 " as part of admitted flows\n",
		       k->received, dl, dr, un, k->stateful);
	} else {
		jw_end_arr(jw);
		jw_key(jw, "accounting");
		jw_obj(jw);
		jw_kint(jw, "received", (long long)k->received);
		jw_kint(jw, "delivered", (long long)dl);
		jw_kint(jw, "dropped", (long long)dr);
		jw_kint(jw, "unparsed", (long long)un);
		jw_kint(jw, "stateful", (long long)k->stateful);
		jw_end_obj(jw);
		jw_end_obj(jw);
		jw_done(jw);
	}
	if (k->received != dl + dr + un)
		return nws_err_set(err, "bench: accounting does not balance"), CLI_FAIL;
	return CLI_OK;
}

static int bench_report(struct bench *b, const struct bench_opts *o, struct nws_err *err)
{
	struct bench_figures total = { 0 };
	uint64_t slowest = 0;
	struct jw jw;

	report_setup(b, o, &jw);
	for (unsigned i = 0; i < b->nslots; i++) {
		struct bench_figures x = { 0 };

		figures_add(&x, &b->w[i]);
		figures_add(&total, &b->w[i]);
		if (x.cycles > slowest)
			slowest = x.cycles;
		report_figures(&x, (int)i, x.cycles, o, &jw);
	}
	if (b->nslots > 1)
		report_figures(&total, -1, slowest, o, &jw);
	return report_accounting(b, o, &jw, err);
}

/* ---- the command -------------------------------------------------------------------------------- */

int cmd_bench(int argc, char **argv)
{
	static struct bench_worker W[MAX_WORKERS + 1];
	struct bench_opts o = { 0 };
	struct bench b = { .w = W };
	struct nws_err err = { { 0 } };
	int rc;

	if (bench_options(argc, argv, &o, &err) < 0) {
		nws_err_prefix(&err, "bench: ");
		return cli_die(CLI_USAGE, &err);
	}
	if (o.c.help) {
		fputs(usage_text, stdout);
		return CLI_OK;
	}
	rc = bench_policy(&b, &o, &err);
	if (rc == CLI_OK)
		rc = bench_tables(&b, &o, &err);
	if (rc == CLI_OK) {
		b.nslots = b.nw ? b.nw : 1;
		rc = bench_traffic(&b, &o, &err);
	}
	if (rc == CLI_OK) {
		bench_run(&b, &o);
		bench_reference(&b);
		rc = bench_report(&b, &o, &err);
	}
	dp_eal_exit_begin();
	for (unsigned i = 0; i < b.nslots; i++) {
		dp_frames_free(&W[i].fr);
		if (W[i].eng.path)
			dp_engine_free(&W[i].eng);
	}
	rte_mempool_free(b.pool);
	free(b.json);
	free(b.cs.f);
	free(b.tflows);
	free(b.ref);
	app_close(&b.app);
	return rc == CLI_OK ? rc : cli_die(rc, &err);
}
