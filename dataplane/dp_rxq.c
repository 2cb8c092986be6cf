#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_mbuf.h>

#include "dp_loop.h"
#include "dp_rxq.h"

void dp_rxq_init(struct dp_rxq *r, struct dp_engine *eng, const struct dp_ports *ports, const uint16_t *egress,
		 unsigned w, unsigned nw, uint64_t tsc0)
{
	memset(r, 0, sizeof(*r));
	r->eng = eng;
	r->ports = ports;
	r->egress = egress;
	r->txq = (uint16_t)w;
	for (unsigned q = w; q < ports->nrxq[0] && r->nq < DP_RXQ_MAX; q += nw)
		r->q[r->nq++] = (uint16_t)q;
	r->tsc0 = tsc0;
	r->hz = rte_get_tsc_hz();
	for (unsigned i = 0; i < DP_RXQ_BURST; i++) {
		r->it[i] = &r->items[i];
		r->out[i] = &r->outs[i];
	}
}

static void rxq_send(struct dp_rxq *r, unsigned p, struct rte_mbuf **m, unsigned n)
{
	unsigned k = rte_eth_tx_burst(r->ports->id[p], r->txq, m, (uint16_t)n);

	r->sent[p] += k;
	/* A port that cannot take them: freed, and counted apart from the verdicts. */
	for (unsigned i = k; i < n; i++)
		rte_pktmbuf_free(m[i]);
	r->tx_failed += n - k;
}

/*
 * The source: the next receive queue, in turn over ports and queues, with packets waiting; its
 * burst parsed, stamped with the time since tsc0.
 */
static unsigned rxq_take(void *ctx, struct dp_item *const **it, struct dp_outcome *const **out, bool *ended)
{
	struct dp_rxq *r = ctx;
	unsigned n = 0, polls = r->ports->n * r->nq;

	*ended = r->stop;
	for (unsigned tried = 0; tried < polls && !n; tried++) {
		r->port = r->next / r->nq;
		n = rte_eth_rx_burst(r->ports->id[r->port], r->q[r->next % r->nq], r->mb, DP_RXQ_BURST);
		r->next = (r->next + 1) % polls;
	}
	if (!n)
		return 0;
	r->rx[r->port] += n;
	uint64_t c = rte_get_tsc_cycles() - r->tsc0, ts = c / r->hz * 1000000000ull + c % r->hz * 1000000000ull / r->hz;

	for (unsigned i = 0; i < n; i++)
		dp_port_item(&r->items[i], r->mb[i], ts);
	*it = r->it;
	*out = r->out;
	return n;
}

/* The sink: a port's burst goes out on its one egress port, what was not delivered is freed. */
static void rxq_put(void *ctx, struct dp_item *const *it, struct dp_outcome *const *out, unsigned n)
{
	struct dp_rxq *r = ctx;
	struct rte_mbuf *tx[DP_RXQ_BURST];
	unsigned ntx = 0;

	for (unsigned i = 0; i < n; i++) {
		if (it[i]->unparsed < 0 && out[i]->v.delivered)
			tx[ntx++] = r->mb[i];
		else
			rte_pktmbuf_free(r->mb[i]);
	}
	if (ntx)
		rxq_send(r, r->egress[r->port], tx, ntx);
}

static int rxq_main(void *arg)
{
	struct dp_rxq *r = arg;
	const struct dp_source src = { rxq_take, r };
	const struct dp_sink snk = { rxq_put, r };

	dp_loop_run(r->eng, &src, &snk);
	return 0;
}

int dp_rxq_launch(struct dp_rxq *r, unsigned lcore, struct nws_err *err)
{
	r->lcore = lcore;
	r->stop = false;
	if (rte_eal_remote_launch(rxq_main, r, lcore) != 0)
		return nws_err_set(err, "cannot start a worker on lcore %u", lcore);
	r->running = true;
	return 0;
}

void dp_rxq_stop(struct dp_rxq *r)
{
	if (!r->running)
		return;
	r->stop = true;
	rte_eal_wait_lcore(r->lcore);
	r->running = false;
}
