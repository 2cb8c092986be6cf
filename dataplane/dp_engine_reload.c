/* The engine's side of hot reload (nwsim run): following a dp_policy's versions. */
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "dp_engine.h"

void dp_engine_totals(const struct dp_engine *e, struct dp_policy_tally *t)
{
	dp_counters_totals(&e->c, t);
}

void dp_engine_tally(const struct dp_engine *e, struct dp_policy_tally *t)
{
	dp_engine_totals(e, t);
	t->received -= e->base.received;
	t->delivered -= e->base.delivered;
	t->dropped -= e->base.dropped;
	t->unparsed -= e->base.unparsed;
}

void dp_engine_attach(struct dp_engine *e, struct dp_policy *p, struct dp_policy_ver *v, unsigned tid)
{
	e->policy = p;
	e->ver = v;
	e->tid = tid;
	dp_engine_totals(e, &e->base);
	rte_rcu_qsbr_thread_register(p->qs, tid);
}

void dp_engine_online(struct dp_engine *e)
{
	if (e->policy)
		rte_rcu_qsbr_thread_online(e->policy->qs, e->tid);
}

void dp_engine_offline(struct dp_engine *e)
{
	if (e->policy)
		rte_rcu_qsbr_thread_offline(e->policy->qs, e->tid);
}

void dp_engine_quiescent(struct dp_engine *e)
{
	if (e->policy)
		rte_rcu_qsbr_quiescent(e->policy->qs, e->tid);
}

/*
 * Leave the current version for v: what was counted under it goes into its tally, the flows go
 * (they and their cached paths point into its topology; the flow log hears of each), and the
 * counters sized for its rules and NICs are swapped for v's. All before the next quiescent
 * report, so the old version is still there (see dp_policy_swap).
 */
void dp_engine_adopt(struct dp_engine *e, struct dp_policy_ver *v)
{
	struct dp_policy_ver *old = e->ver;
	struct dp_policy_ctr *give = &old->retired[e->tid], *take = &v->ctr[e->tid];

	dp_engine_tally(e, &old->tally[e->tid]);
	e->c.flows_reset += dp_flow_flush(&e->flows, e->gone, e->gone_arg);
	*give = (struct dp_policy_ctr){ .rule_hits = e->c.rule_hits, .rule_drops = e->c.rule_drops, .nic_sent = e->c.nic_sent,
					.nic_received = e->c.nic_received, .nic_dropped = e->c.nic_dropped };
	e->c.rule_hits = take->rule_hits;
	e->c.rule_drops = take->rule_drops;
	e->c.nic_sent = take->nic_sent;
	e->c.nic_received = take->nic_received;
	e->c.nic_dropped = take->nic_dropped;
	memset(take, 0, sizeof(*take));
	e->path = v->path;
	dp_pairs_flush(&e->pairs); /* their paths went with the flows */
	dp_refused_flush(&e->refused);
	e->ver = v;
	dp_engine_totals(e, &e->base);
	__atomic_store_n(&old->left[e->tid], true, __ATOMIC_RELEASE);
}
