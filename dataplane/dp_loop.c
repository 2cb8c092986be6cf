#include <rte_pause.h>

#include "dp_loop.h"

unsigned dp_loop_step(struct dp_engine *e, const struct dp_source *src, const struct dp_sink *snk, bool *ended)
{
	struct dp_item *const *it;
	struct dp_outcome *const *out;
	unsigned n = src->take(src->ctx, &it, &out, ended);

	if (n) {
		dp_engine_burst(e, it, out, n);
		snk->put(snk->ctx, it, out, n);
	}
	return n;
}

void dp_loop_run(struct dp_engine *e, const struct dp_source *src, const struct dp_sink *snk)
{
	bool ended = false;

	dp_engine_online(e);
	while (!ended) {
		/* A new policy version is taken between bursts, and never in the middle of one. */
		dp_engine_sync(e);
		unsigned n = dp_loop_step(e, src, snk, &ended);

		dp_engine_quiescent(e);
		if (!n)
			rte_pause();
	}
	dp_engine_offline(e);
}
