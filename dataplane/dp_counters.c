#include "dp_counters.h"

/* What a burst counts, as (field, words): the part of the counters a burst and a summary both add. */
#define PER_BURST(X)                                                                                    \
	X(received_bytes, 1)                                                                           \
	X(stateful, 1)                                                                                 \
	X(flows_admitted, 1)                                                                           \
	X(flow_table_full, 1)                                                                          \
	X(fragments_unmatched, 1)                                                                      \
	X(delivered, PATH_END_COUNT)                                                                   \
	X(delivered_bytes, PATH_END_COUNT)                                                             \
	X(dropped, PATH_DROP_COUNT)                                                                    \
	X(dropped_bytes, PATH_DROP_COUNT)                                                              \
	X(unparsed, DP_UNPARSED_COUNT)                                                                 \
	X(unparsed_bytes, DP_UNPARSED_COUNT)

static inline void add_words(uint64_t *d, const uint64_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] += s[i];
}

#define ADD(f, n) add_words((uint64_t *)&dst->f, (const uint64_t *)&src->f, n);

void dp_counters_add_burst(struct dp_counters *dst, const struct dp_burst_count *src)
{
	PER_BURST(ADD)
}

void dp_counters_add(struct dp_counters *dst, const struct dp_counters *src, size_t nrules, size_t nnics)
{
	PER_BURST(ADD)
	dst->received += src->received;
	dst->flows_expired += src->flows_expired;
	dst->flows_reset += src->flows_reset;
	for (size_t r = 0; r <= nrules; r++) {
		dst->rule_hits[r] += src->rule_hits[r];
		dst->rule_drops[r] += src->rule_drops[r];
	}
	for (size_t n = 0; n < nnics; n++) {
		dst->nic_sent[n] += src->nic_sent[n];
		dst->nic_received[n] += src->nic_received[n];
		dst->nic_dropped[n] += src->nic_dropped[n];
	}
}

static uint64_t sum(const uint64_t *v, int n)
{
	uint64_t t = 0;

	for (int i = 0; i < n; i++)
		t += v[i];
	return t;
}

void dp_counters_totals(const struct dp_counters *c, struct dp_policy_tally *t)
{
	t->received = c->received;
	t->delivered = sum(c->delivered, PATH_END_COUNT);
	t->dropped = sum(c->dropped, PATH_DROP_COUNT);
	t->unparsed = sum(c->unparsed, DP_UNPARSED_COUNT);
}
