/*
 * The one burst loop every worker runs, whatever feeds it: a source hands over a burst of parsed
 * packets (a ring of slots from a reader, a port's receive queues, frames held in memory for the
 * benchmark, a query's packets inline), the engine answers them, and a sink takes the burst back
 * (returns the slots, transmits what was delivered, tallies latency). Between bursts the loop
 * takes a new policy version and reports quiescence; it never locks or allocates.
 */
#ifndef DP_LOOP_H
#define DP_LOOP_H

#include <stdbool.h>

#include "dp_engine.h"

struct dp_source {
	/*
	 * Up to DP_PATH_BURST packets: *it and *out point to the source's arrays of the packets and
	 * the places for their outcomes (a source whose places never move fills them once); 0 when
	 * none is there now. Sets *ended once none will come again (the loop then returns).
	 */
	unsigned (*take)(void *ctx, struct dp_item *const **it, struct dp_outcome *const **out, bool *ended);
	void *ctx;
};

struct dp_sink {
	/* The burst take gave, answered, in the same order. */
	void (*put)(void *ctx, struct dp_item *const *it, struct dp_outcome *const *out, unsigned n);
	void *ctx;
};

/* One burst from src through the engine into snk: how many packets it had (0: none now). */
unsigned dp_loop_step(struct dp_engine *e, const struct dp_source *src, const struct dp_sink *snk, bool *ended);

/* A worker lcore's life: steps until the source ends. */
void dp_loop_run(struct dp_engine *e, const struct dp_source *src, const struct dp_sink *snk);

#endif
