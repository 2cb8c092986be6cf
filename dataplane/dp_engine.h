/*
 * What a worker does with a burst of packets: look each up in its flow table, walk the ones that
 * are not part of an admitted flow through the compiled path (with NSGs) and the others without
 * NSGs, admit the flows that get through, and count everything: every packet ends in exactly one
 * of delivered (by where), dropped (by reason) or unparsed (by reason).
 */
#ifndef DP_ENGINE_H
#define DP_ENGINE_H

#include "dp_counters.h"
#include "dp_flow.h"
#include "dp_frag.h"
#include "dp_pair.h"
#include "dp_refused.h"
#include "dp_parse.h"
#include "dp_path.h"
#include "dp_policy.h"
#include "dp_verdict.h"

/* One packet handed to the engine, already parsed (or not: unparsed >= 0). */
struct dp_item {
	struct dp_pkt pkt;
	uint32_t wire_len;
	uint64_t ts_ns;
	int unparsed; /* enum dp_unparsed, or -1 */
};

/* A packet's hops as the walk gives them, in a buffer the caller owns (see hop_trace). */
struct dp_trace {
	struct path_result r;
	uint64_t tsc[PATH_MAX_HOPS]; /* per hop: the TSC at the end of the round that took it */
};

struct dp_outcome {
	bool stateful;   /* passed as part of an admitted flow, without rule evaluation */
	int flow_dir;    /* 0 initiator to responder, 1 back; -1 no flow */
	uint64_t tsc_in; /* the TSC when the engine took the packet's burst (a trace's hops carry theirs) */
	struct dp_verdict v; /* meaningful when the item was parsed */
	/* The caller's, set before the burst: filled for a parsed packet when the engine has hop_trace. */
	struct dp_trace *trace;
};

/*
 * The accelerators: each changes what an answer costs, never the answer (test_engine_diff checks
 * every combination against an oracle built on path_walk). All on for the commands; all off is
 * the plain engine: every packet outside a flow walked with NSGs, every new direction walked.
 */
struct dp_engine_conf {
	uint32_t flow_capacity;
	uint32_t pair_slots; /* 0: about half a slot a flow (see dp_engine.c) */
	/* A new flow between addresses seen before: its NSGs evaluated on the pair's kept walk (dp_pair). */
	bool pair_cache;
	/* A refused tuple again: the same answer without a walk (dp_refused). */
	bool refused_cache;
	/* A flow's way back walked as it is admitted, not when its first reply comes. */
	bool back_at_admission;
	/*
	 * Every outcome's trace gets the packet's hops, stamped with the TSC: each outcome handed to
	 * the engine must point at a dp_trace. Off, outcomes get their verdict only.
	 */
	bool hop_trace;
	/*
	 * Admitted flows get their dp_flow_info (start, first 5-tuple, the NSGs that let them in,
	 * counts), which only flow logs read. Off, three cold cache lines a new flow are not written.
	 */
	bool flow_info;
};

/* The commands' engine: every accelerator, hops and flow info. */
static inline struct dp_engine_conf dp_engine_conf_full(uint32_t flow_capacity)
{
	return (struct dp_engine_conf){ .flow_capacity = flow_capacity, .pair_cache = true, .refused_cache = true,
					.back_at_admission = true, .hop_trace = true, .flow_info = true };
}

/* The conf as flags: the burst loop is compiled once per combination the commands use. */
enum dp_engine_mode {
	DP_ENGINE_PAIR_CACHE = 1u << 0,
	DP_ENGINE_REFUSED_CACHE = 1u << 1,
	DP_ENGINE_BACK_AT_ADMISSION = 1u << 2,
	DP_ENGINE_HOP_TRACE = 1u << 3,
	DP_ENGINE_FLOW_INFO = 1u << 4,
	DP_ENGINE_ALL_MODES = (1u << 5) - 1,
};

/* One per worker: its own flow and fragment tables, caches and counters. */
struct dp_engine {
	const struct dp_path *path;
	unsigned mode; /* enum dp_engine_mode flags */
	struct dp_flow_table flows;
	struct dp_pairs pairs;         /* DP_ENGINE_PAIR_CACHE */
	struct dp_refused refused;     /* DP_ENGINE_REFUSED_CACHE */
	struct path_result *back_room; /* DP_PATH_BURST results: ways back walked aside */
	struct path_result *walked;    /* DP_PATH_BURST results: a burst's walks, without hop_trace */
	struct dp_frags frags;
	struct dp_counters c;
	/*
	 * The engine's clock: the latest packet time seen. Flows age by it, not by each packet's own
	 * time, so captures replayed one after another (or --loop) never run time backwards.
	 */
	uint64_t now_ns;
	uint32_t bursts; /* bursts taken, to mark flows held back within one (dp_flow_entry.held) */
	/* Called for each flow that leaves the table, before it goes; may be NULL. */
	void (*gone)(void *arg, const struct dp_flow_entry *fe, const struct dp_flow_info *fi);
	void *gone_arg;
	/* Hot reload (nwsim run): the shared policy, the version in use, the totals when it began. */
	struct dp_policy *policy; /* NULL: path never changes */
	struct dp_policy_ver *ver;
	unsigned tid;
	struct dp_policy_tally base;
};

int dp_engine_init(struct dp_engine *e, const struct dp_path *p, const struct dp_engine_conf *conf, struct nws_err *err);
void dp_engine_free(struct dp_engine *e);
/* n at most DP_PATH_BURST; the items and outcomes are wherever their owner keeps them. */
void dp_engine_burst(struct dp_engine *e, struct dp_item *const *it, struct dp_outcome *const *out, unsigned n);
/*
 * The end of a replay at now_ns, the latest timestamp of the captures: the flows idle then have
 * aged out, whether or not a sweep passed them, so the count is the same however the flows were
 * spread over workers. Called once the engine's worker has stopped.
 */
void dp_engine_age_out(struct dp_engine *e, uint64_t now_ns);
/*
 * Hot reload: the engine follows p, starting at version v (whose path is the one it was
 * initialised with), as worker tid. The worker calls dp_engine_online once on its lcore, then in
 * its loop dp_engine_sync before taking a burst and dp_engine_quiescent after it (also when it
 * had none), and dp_engine_offline before it returns.
 */
void dp_engine_attach(struct dp_engine *e, struct dp_policy *p, struct dp_policy_ver *v, unsigned tid);
void dp_engine_online(struct dp_engine *e);
void dp_engine_offline(struct dp_engine *e);
void dp_engine_adopt(struct dp_engine *e, struct dp_policy_ver *v);
void dp_engine_quiescent(struct dp_engine *e);

static inline void dp_engine_sync(struct dp_engine *e)
{
	if (e->policy) {
		struct dp_policy_ver *v = __atomic_load_n(&e->policy->cur, __ATOMIC_ACQUIRE);

		if (v != e->ver)
			dp_engine_adopt(e, v);
	}
}

/* What the engine counted in all: received, delivered, dropped, unparsed (one word each, so
 * another thread may read them while the worker runs). */
void dp_engine_totals(const struct dp_engine *e, struct dp_policy_tally *t);
/* What the engine counted since it took its current version. */
void dp_engine_tally(const struct dp_engine *e, struct dp_policy_tally *t);


#endif
