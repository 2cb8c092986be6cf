/* Ports for `nwsim run`: every ethdev port EAL found (real NICs or vdevs), one queue each way. */
#ifndef DP_PORT_H
#define DP_PORT_H

#include <stdint.h>

#include "nws_err.h"

struct rte_mempool;

#define DP_PORT_MAX 32

/* Started and stopped by the control thread; the queues are polled by the main lcore only. */
struct dp_ports {
	uint16_t n;
	uint16_t id[DP_PORT_MAX];
	char name[DP_PORT_MAX][64]; /* the device's name, and its driver */
	char driver[DP_PORT_MAX][32];
	struct rte_mempool *pool;
};

int dp_ports_start(struct dp_ports *p, unsigned mbufs, struct nws_err *err);
void dp_ports_stop(struct dp_ports *p);

struct dp_port_stats {
	uint64_t ipackets, opackets, imissed, ierrors, oerrors;
};

int dp_port_stats(uint16_t port, struct dp_port_stats *s);

#endif
