/*
 * What an engine counts: every packet in exactly one of delivered (by where), dropped (by
 * reason) or unparsed (by reason), and per rule and per NIC.
 */
#ifndef DP_COUNTERS_H
#define DP_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "dp_parse.h"
#include "dp_policy.h"
#include "path.h"

/* Written by the worker that owns the engine only; the control thread reads them. */
struct dp_counters {
	uint64_t received, received_bytes;
	uint64_t delivered[PATH_END_COUNT], delivered_bytes[PATH_END_COUNT];
	uint64_t dropped[PATH_DROP_COUNT], dropped_bytes[PATH_DROP_COUNT];
	uint64_t unparsed[DP_UNPARSED_COUNT], unparsed_bytes[DP_UNPARSED_COUNT];
	uint64_t stateful, flows_admitted, flow_table_full, fragments_unmatched;
	uint64_t flows_expired; /* left the table after DP_FLOW_IDLE_S without a packet */
	uint64_t flows_reset;   /* left the table when a new policy version came in */
	uint64_t *rule_hits;                                /* per rule, indexed by topo_rule.id */
	uint64_t *rule_drops;                               /* packets each deny rule dropped */
	uint64_t *nic_sent, *nic_received, *nic_dropped;    /* per NIC */
};

/*
 * A burst's own counts, added to the engine's once at its end. The per-NIC and per-rule counters
 * are written in place: there are thousands, and a burst touches a few.
 */
struct dp_burst_count {
	uint64_t received_bytes, stateful, flows_admitted, flow_table_full, fragments_unmatched;
	uint64_t delivered[PATH_END_COUNT], delivered_bytes[PATH_END_COUNT];
	uint64_t dropped[PATH_DROP_COUNT], dropped_bytes[PATH_DROP_COUNT];
	uint64_t unparsed[DP_UNPARSED_COUNT], unparsed_bytes[DP_UNPARSED_COUNT];
};

void dp_counters_add_burst(struct dp_counters *c, const struct dp_burst_count *n);
/* dst += src, for the summary of several workers. */
void dp_counters_add(struct dp_counters *dst, const struct dp_counters *src, size_t nrules, size_t nnics);
/* received, delivered, dropped, unparsed (one word each, so another thread may read them while the worker runs). */
void dp_counters_totals(const struct dp_counters *c, struct dp_policy_tally *t);

#endif
