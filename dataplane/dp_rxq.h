/*
 * A worker that polls port queues itself (dp_ports.per_worker): receive a burst, parse it, run
 * its engine, send what was delivered on its own transmit queue of the egress port, free the
 * rest. Used when the ports spread flows over queues symmetrically, so both directions of a flow
 * meet one worker's flow table. No lock, no allocation.
 */
#ifndef DP_RXQ_H
#define DP_RXQ_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_engine.h"
#include "dp_port.h"
#include "nws_err.h"

#define DP_RXQ_MAX 16   /* receive queues one worker polls per port */
#define DP_RXQ_BURST 32 /* packets one poll takes */

struct dp_rxq {
	struct dp_engine *eng;
	const struct dp_ports *ports;
	const uint16_t *egress; /* per port index: the port index delivered packets leave on */
	uint16_t txq;           /* its transmit queue, on every port */
	uint16_t nq, q[DP_RXQ_MAX];
	uint64_t tsc0, hz;      /* packet times: since tsc0 */
	/* Written by the worker only; read by the control thread (one word each). */
	uint64_t rx[DP_PORT_MAX], sent[DP_PORT_MAX], tx_failed;
	volatile bool stop;
	unsigned lcore;
	bool running;
	/* The worker's own: the next queue to poll (port * nq + queue), the burst in the engine. */
	unsigned next, port;
	struct rte_mbuf *mb[DP_RXQ_BURST];
	struct dp_item items[DP_RXQ_BURST];
	struct dp_outcome outs[DP_RXQ_BURST];
	struct dp_item *it[DP_RXQ_BURST]; /* the places above, as the loop takes them */
	struct dp_outcome *out[DP_RXQ_BURST];
};

/*
 * Worker w of nw: it polls receive queues w, w + nw, ... of every port and sends on transmit
 * queue w.
 */
void dp_rxq_init(struct dp_rxq *r, struct dp_engine *eng, const struct dp_ports *ports, const uint16_t *egress,
		 unsigned w, unsigned nw, uint64_t tsc0);
int dp_rxq_launch(struct dp_rxq *r, unsigned lcore, struct nws_err *err);
/* Tell it to stop after the burst in hand; waits for it. */
void dp_rxq_stop(struct dp_rxq *r);

#endif
