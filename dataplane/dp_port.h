/*
 * Ports for `nwsim run`: every ethdev port EAL found (real NICs or vdevs). Where every port can
 * spread flows over several receive queues symmetrically (RSS with a symmetric key on the IP
 * addresses, or net_af_packet's kernel fanout, whose hash is symmetric), each worker polls its own
 * queues and sends on its own transmit queue; otherwise the main lcore polls and spreads.
 */
#ifndef DP_PORT_H
#define DP_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "nws_err.h"

struct rte_mempool;

#define DP_PORT_MAX 32

/* Started and stopped by the control thread. */
struct dp_ports {
	uint16_t n;
	uint16_t nrxq[DP_PORT_MAX]; /* receive queues per port: all must be polled */
	uint16_t ntxq;              /* transmit queues on every port */
	bool per_worker;            /* queues are spread symmetrically: workers poll them */
	uint16_t id[DP_PORT_MAX];
	char name[DP_PORT_MAX][64]; /* the device's name, and its driver */
	char driver[DP_PORT_MAX][32];
	struct rte_mempool *pool;
};

/*
 * Start every port; workers: how many worker lcores could poll queues (0: none). Sets per_worker
 * when they will, with as many transmit queues as workers.
 */
int dp_ports_start(struct dp_ports *p, unsigned mbufs, unsigned workers, struct nws_err *err);
void dp_ports_stop(struct dp_ports *p);

struct dp_port_stats {
	uint64_t ipackets, opackets, imissed, ierrors, oerrors;
};

int dp_port_stats(uint16_t port, struct dp_port_stats *s);

struct dp_item;
struct rte_mbuf;
/* Parse a received frame (Ethernet) into it; headers spread over segments are read as one. */
void dp_port_item(struct dp_item *it, struct rte_mbuf *m, uint64_t ts_ns);

#endif
