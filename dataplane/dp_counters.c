#include "dp_counters.h"

void dp_counters_add_burst(struct dp_counters *c, const struct dp_burst_count *n)
{
	c->received_bytes += n->received_bytes;
	c->stateful += n->stateful;
	c->flows_admitted += n->flows_admitted;
	c->flow_table_full += n->flow_table_full;
	c->fragments_unmatched += n->fragments_unmatched;
	for (int i = 0; i < PATH_END_COUNT; i++) {
		c->delivered[i] += n->delivered[i];
		c->delivered_bytes[i] += n->delivered_bytes[i];
	}
	for (int i = 0; i < PATH_DROP_COUNT; i++) {
		c->dropped[i] += n->dropped[i];
		c->dropped_bytes[i] += n->dropped_bytes[i];
	}
	for (int i = 0; i < DP_UNPARSED_COUNT; i++) {
		c->unparsed[i] += n->unparsed[i];
		c->unparsed_bytes[i] += n->unparsed_bytes[i];
	}
}

void dp_counters_add(struct dp_counters *dst, const struct dp_counters *src, size_t nrules, size_t nnics)
{
	dst->received += src->received;
	dst->received_bytes += src->received_bytes;
	for (int i = 0; i < PATH_END_COUNT; i++) {
		dst->delivered[i] += src->delivered[i];
		dst->delivered_bytes[i] += src->delivered_bytes[i];
	}
	for (int i = 0; i < PATH_DROP_COUNT; i++) {
		dst->dropped[i] += src->dropped[i];
		dst->dropped_bytes[i] += src->dropped_bytes[i];
	}
	for (int i = 0; i < DP_UNPARSED_COUNT; i++) {
		dst->unparsed[i] += src->unparsed[i];
		dst->unparsed_bytes[i] += src->unparsed_bytes[i];
	}
	dst->stateful += src->stateful;
	dst->flows_admitted += src->flows_admitted;
	dst->flow_table_full += src->flow_table_full;
	dst->fragments_unmatched += src->fragments_unmatched;
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
