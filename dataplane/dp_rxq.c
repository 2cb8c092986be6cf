#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_mbuf.h>

#include "dp_rxq.h"

#define RXQ_BURST 32

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

static void burst(struct dp_rxq *r, unsigned p, struct rte_mbuf **mb, unsigned n)
{
	struct dp_item items[RXQ_BURST], *it[RXQ_BURST];
	struct dp_outcome outs[RXQ_BURST], *out[RXQ_BURST];
	struct rte_mbuf *tx[RXQ_BURST];
	unsigned ntx = 0;
	uint64_t c = rte_get_tsc_cycles() - r->tsc0, ts = c / r->hz * 1000000000ull + c % r->hz * 1000000000ull / r->hz;

	for (unsigned i = 0; i < n; i++) {
		dp_port_item(&items[i], mb[i], ts);
		it[i] = &items[i];
		out[i] = &outs[i];
	}
	dp_engine_burst(r->eng, it, out, n);
	/* One port's burst goes out on one egress port. */
	for (unsigned i = 0; i < n; i++) {
		if (items[i].unparsed < 0 && outs[i].r.delivered)
			tx[ntx++] = mb[i];
		else
			rte_pktmbuf_free(mb[i]);
	}
	if (ntx)
		rxq_send(r, r->egress[p], tx, ntx);
}

static int rxq_main(void *arg)
{
	struct dp_rxq *r = arg;
	struct rte_mbuf *mb[RXQ_BURST];

	dp_engine_online(r->eng);
	while (!r->stop) {
		/* A new policy version is taken between bursts, and never in the middle of one. */
		dp_engine_sync(r->eng);
		for (unsigned p = 0; p < r->ports->n; p++)
			for (unsigned k = 0; k < r->nq; k++) {
				unsigned n = rte_eth_rx_burst(r->ports->id[p], r->q[k], mb, RXQ_BURST);

				if (n) {
					r->rx[p] += n;
					burst(r, p, mb, n);
				}
			}
		dp_engine_quiescent(r->eng);
	}
	dp_engine_offline(r->eng);
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
