/*
 * A policy the control thread replaces while workers run (hot reload). Workers read the current
 * version once per burst, so each packet is judged by exactly one; the control thread frees an
 * old version only after every worker has passed a quiescent state since the swap (RCU, DPDK's
 * rte_rcu_qsbr). A worker that adopts a new version empties its flow table (its flows and cached
 * paths point into the old topology) and takes the rule and NIC counters the control thread
 * sized for the new one.
 */
#ifndef DP_POLICY_H
#define DP_POLICY_H

#include <stdint.h>

#include "dp_path.h"
#include "nws_err.h"

#define DP_POLICY_MAX_WORKERS 128

struct rte_rcu_qsbr;

/* What one worker counted under one version: the engine's totals while it used it. */
struct dp_policy_tally {
	uint64_t received, delivered, dropped, unparsed;
};

/* Per-worker counters indexed by the version's rules and NICs (the engine's dp_counters arrays). */
struct dp_policy_ctr {
	uint64_t *rule_hits, *rule_drops, *nic_sent, *nic_received, *nic_dropped;
};

struct dp_policy_ver {
	const struct dp_path *path;
	uint32_t version;
	unsigned nworkers;
	struct dp_policy_ctr ctr[DP_POLICY_MAX_WORKERS];     /* handed to each worker on adoption */
	struct dp_policy_ctr retired[DP_POLICY_MAX_WORKERS]; /* a worker's previous arrays, to free */
	struct dp_policy_tally tally[DP_POLICY_MAX_WORKERS]; /* written by each worker when it leaves it */
	bool left[DP_POLICY_MAX_WORKERS];                    /* that worker moved on from this version */
};

struct dp_policy {
	struct dp_policy_ver *cur; /* read with acquire by workers, stored with release */
	struct rte_rcu_qsbr *qs;
	unsigned nworkers;
};

int dp_policy_init(struct dp_policy *p, unsigned nworkers, struct nws_err *err);
void dp_policy_free(struct dp_policy *p);
/* A version for path, with counters sized for its topology; NULL when memory ran out. */
struct dp_policy_ver *dp_policy_ver_new(const struct dp_path *path, uint32_t version, unsigned nworkers);
/* Frees the version and the counters it still holds (those not adopted, and those retired). */
void dp_policy_ver_free(struct dp_policy_ver *v);
/*
 * Control thread: make v current and wait until every worker has left the previous version.
 * Returns the previous one, whose tallies are then final; the caller frees it.
 */
struct dp_policy_ver *dp_policy_swap(struct dp_policy *p, struct dp_policy_ver *v);

#endif
