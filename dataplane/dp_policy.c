#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dp_policy.h"

int dp_policy_init(struct dp_policy *p, unsigned nworkers, struct nws_err *err)
{
	memset(p, 0, sizeof(*p));
	if (nworkers > DP_POLICY_MAX_WORKERS)
		return nws_err_set(err, "hot reload: at most %d workers", DP_POLICY_MAX_WORKERS);
	size_t sz = rte_rcu_qsbr_get_memsize(nworkers ? nworkers : 1);

	p->qs = rte_zmalloc("nwsim-qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (!p->qs || rte_rcu_qsbr_init(p->qs, nworkers ? nworkers : 1) != 0) {
		rte_free(p->qs);
		p->qs = NULL;
		return nws_err_set(err, "hot reload: RCU state: %s", rte_strerror(rte_errno));
	}
	p->nworkers = nworkers;
	return 0;
}

void dp_policy_free(struct dp_policy *p)
{
	rte_free(p->qs);
	memset(p, 0, sizeof(*p));
}

static void ctr_free(struct dp_policy_ctr *c)
{
	free(c->rule_hits);
	free(c->rule_drops);
	free(c->nic_sent);
	free(c->nic_received);
	free(c->nic_dropped);
	memset(c, 0, sizeof(*c));
}

struct dp_policy_ver *dp_policy_ver_new(const struct dp_path *path, uint32_t version, unsigned nworkers)
{
	struct dp_policy_ver *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->path = path;
	v->version = version;
	v->nworkers = nworkers;
	/* One spare each, as dp_engine_init sizes them: never a zero-sized allocation. */
	size_t nr = path->t->nrules + 1, nn = path->t->nnics + 1;

	for (unsigned w = 0; w < nworkers; w++) {
		struct dp_policy_ctr *c = &v->ctr[w];

		c->rule_hits = calloc(nr, sizeof(uint64_t));
		c->rule_drops = calloc(nr, sizeof(uint64_t));
		c->nic_sent = calloc(nn, sizeof(uint64_t));
		c->nic_received = calloc(nn, sizeof(uint64_t));
		c->nic_dropped = calloc(nn, sizeof(uint64_t));
		if (!c->rule_hits || !c->rule_drops || !c->nic_sent || !c->nic_received || !c->nic_dropped) {
			dp_policy_ver_free(v);
			return NULL;
		}
	}
	return v;
}

void dp_policy_ver_free(struct dp_policy_ver *v)
{
	if (!v)
		return;
	for (unsigned w = 0; w < DP_POLICY_MAX_WORKERS; w++) {
		ctr_free(&v->ctr[w]);
		ctr_free(&v->retired[w]);
	}
	free(v);
}

struct dp_policy_ver *dp_policy_swap(struct dp_policy *p, struct dp_policy_ver *v)
{
	struct dp_policy_ver *old = p->cur;

	__atomic_store_n(&p->cur, v, __ATOMIC_RELEASE);
	/*
	 * A worker adopts the new version at the top of its loop, touching the old one as it leaves
	 * it (its tallies, its retired counters, the flows it drops), and reports a quiescent state
	 * at the bottom. After one grace period every worker has reported since the swap, so its
	 * next iteration adopts; after a second, that iteration is over, and no worker touches the
	 * old version again.
	 */
	rte_rcu_qsbr_synchronize(p->qs, RTE_QSBR_THRID_INVALID);
	rte_rcu_qsbr_synchronize(p->qs, RTE_QSBR_THRID_INVALID);
	return old;
}
