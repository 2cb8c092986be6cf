/*
 * Worker lcores: each owns an engine (flow table, counters) and is fed packets through a ring by
 * the lcore that reads them; answered packets go back through a second ring. Packets are spread
 * by a hash of the address pair and protocol, the same both ways, so both directions of a flow
 * (and all fragments of a datagram) meet the same flow table.
 */
#ifndef DP_WORKER_H
#define DP_WORKER_H

#include "dp_engine.h"

struct rte_ring;
struct rte_mbuf;

/* One packet's round trip: filled by the reader, answered by a worker, read back by the reader. */
struct dp_slot {
	struct dp_item item;
	struct dp_outcome out;
	uint32_t file;      /* for the reader's bookkeeping: capture, or port */
	uint64_t no;
	struct rte_mbuf *m; /* run: the received packet itself */
};

/* The engine and rings are the worker's; `stop` is written by the reader only. */
struct dp_worker {
	struct dp_engine eng;
	struct rte_ring *in, *done;
	volatile bool stop;
	unsigned lcore;
	bool running;
	/* The burst in the engine: written by the worker alone, on lines of its own. */
	struct dp_slot *held[DP_PATH_BURST] __attribute__((aligned(64)));
	struct dp_item *it[DP_PATH_BURST];
	struct dp_outcome *out[DP_PATH_BURST];
	char pad[64];
};

int dp_worker_init(struct dp_worker *w, const struct dp_path *p, const struct dp_engine_conf *conf, unsigned ring_size,
		   struct nws_err *err);
void dp_worker_free(struct dp_worker *w);
int dp_worker_launch(struct dp_worker *w, unsigned lcore, struct nws_err *err);
/* Tell the worker to finish what it has and return; waits for it. */
void dp_worker_stop(struct dp_worker *w);
/*
 * n slots (at most DP_PATH_BURST) answered by e on the calling thread, through the same loop
 * step a worker runs: queries and a replay without worker lcores.
 */
void dp_worker_inline(struct dp_engine *e, struct dp_slot **s, unsigned n);
/* Which of n workers a packet goes to (symmetric in source and destination). */
unsigned dp_worker_pick(const struct dp_item *it, unsigned n);

#endif
