/* An engine's life outside its bursts: made from its conf, freed, its flows aged out at the end. */
#include <stdlib.h>
#include <string.h>

#include "dp_engine.h"

/*
 * Pairs that hash alike share two slots, the newer pushing the older out: half a slot a flow the
 * table holds keeps that rare while pairs are fewer than flows (64 bytes a slot; 16 MB for the
 * default 512K flows, against the 210 MB of their table).
 */
static uint32_t pair_slots(uint32_t flow_capacity)
{
	uint32_t n = 64;

	while (n < flow_capacity / 2)
		n <<= 1;
	return n;
}

static unsigned conf_mode(const struct dp_engine_conf *c)
{
	return (c->pair_cache ? DP_ENGINE_PAIR_CACHE : 0) | (c->refused_cache ? DP_ENGINE_REFUSED_CACHE : 0) |
	       (c->back_at_admission ? DP_ENGINE_BACK_AT_ADMISSION : 0) | (c->hop_trace ? DP_ENGINE_HOP_TRACE : 0) |
	       (c->flow_info ? DP_ENGINE_FLOW_INFO : 0);
}

int dp_engine_init(struct dp_engine *e, const struct dp_path *p, const struct dp_engine_conf *conf, struct nws_err *err)
{
	const struct topo *t = p->t;

	memset(e, 0, sizeof(*e));
	e->path = p;
	e->mode = conf_mode(conf);
	/* Per rule, by topo_rule.id, and per NIC (one spare: never a zero-sized allocation). */
	e->c.rule_hits = calloc(t->nrules + 1, sizeof(uint64_t));
	e->c.rule_drops = calloc(t->nrules + 1, sizeof(uint64_t));
	e->c.nic_sent = calloc(t->nnics + 1, sizeof(uint64_t));
	e->c.nic_received = calloc(t->nnics + 1, sizeof(uint64_t));
	e->c.nic_dropped = calloc(t->nnics + 1, sizeof(uint64_t));
	e->back_room = calloc(DP_PATH_BURST, sizeof(*e->back_room));
	e->walked = calloc(DP_PATH_BURST, sizeof(*e->walked));
	if (!e->c.rule_hits || !e->c.rule_drops || !e->c.nic_sent || !e->c.nic_received || !e->c.nic_dropped ||
	    !e->back_room || !e->walked) {
		dp_engine_free(e);
		return nws_err_set(err, "out of memory for a worker's tables");
	}
	if (dp_flow_init(&e->flows, conf->flow_capacity, (uint64_t)DP_FLOW_IDLE_S * 1000000000ull, err) < 0 ||
	    dp_frags_init(&e->frags, err) < 0 ||
	    (conf->pair_cache &&
	     dp_pairs_init(&e->pairs, conf->pair_slots ? conf->pair_slots : pair_slots(conf->flow_capacity), err) < 0) ||
	    (conf->refused_cache && dp_refused_init(&e->refused, err) < 0)) {
		dp_engine_free(e);
		return -1;
	}
	return 0;
}

void dp_engine_free(struct dp_engine *e)
{
	if (!e)
		return;
	dp_flow_free(&e->flows);
	dp_pairs_free(&e->pairs);
	dp_refused_free(&e->refused);
	dp_frags_free(&e->frags);
	free(e->back_room);
	free(e->walked);
	free(e->c.rule_hits);
	free(e->c.rule_drops);
	free(e->c.nic_sent);
	free(e->c.nic_received);
	free(e->c.nic_dropped);
	memset(e, 0, sizeof(*e));
}

void dp_engine_age_out(struct dp_engine *e, uint64_t now_ns)
{
	if (now_ns > e->now_ns)
		e->now_ns = now_ns;
	e->c.flows_expired += dp_flow_expire(&e->flows, e->now_ns, e->gone, e->gone_arg);
}
