#include <rte_pause.h>
#include <rte_ring.h>

#include "feed.h"

static void answered(struct feeder *fd, struct dp_slot *s)
{
	if (fd->answered)
		fd->answered(fd->ctx, s);
	fd->free[fd->nfree++] = s;
}

/* Collect what the workers have answered. */
void feed_drain(struct feeder *fd)
{
	struct dp_slot *s[DP_PATH_BURST];

	for (unsigned w = 0; w < fd->nw && !fd->inline_engine; w++) {
		unsigned n;

		while ((n = rte_ring_dequeue_burst(fd->w[w].done, (void **)s, DP_PATH_BURST, NULL)) > 0) {
			fd->done[w] += n;
			for (unsigned i = 0; i < n; i++)
				answered(fd, s[i]);
		}
	}
}

static void send_pending(struct feeder *fd, unsigned w)
{
	unsigned n = fd->npend[w], k = 0;

	if (!n)
		return;
	if (fd->pace)
		fd->pace(fd->ctx, n);
	if (fd->inline_engine) {
		struct dp_item *it[DP_PATH_BURST];
		struct dp_outcome *out[DP_PATH_BURST];

		for (unsigned i = 0; i < n; i++) {
			it[i] = &fd->pend[w][i]->item;
			out[i] = &fd->pend[w][i]->out;
		}
		dp_engine_burst(&fd->w[0].eng, it, out, n);
		for (unsigned i = 0; i < n; i++)
			answered(fd, fd->pend[w][i]);
	} else {
		while (k < n) {
			k += rte_ring_enqueue_burst(fd->w[w].in, (void **)fd->pend[w] + k, n - k, NULL);
			if (k < n)
				feed_drain(fd);
		}
		fd->sent[w] += n;
	}
	fd->npend[w] = 0;
}

struct dp_slot *feed_get_slot(struct feeder *fd)
{
	while (!fd->nfree) {
		/* Everything is in flight: hand over what waits, then take answers back. */
		for (unsigned w = 0; w < fd->nw; w++)
			send_pending(fd, w);
		feed_drain(fd);
		if (!fd->nfree)
			rte_pause();
	}
	return fd->free[--fd->nfree];
}

void feed_submit(struct feeder *fd, struct dp_slot *s)
{
	unsigned w = fd->inline_engine ? 0 : dp_worker_pick(&s->item, fd->nw);

	fd->pend[w][fd->npend[w]++] = s;
	if (fd->npend[w] == DP_PATH_BURST)
		send_pending(fd, w);
}

/* Everything handed over and answered. */
void feed_finish(struct feeder *fd)
{
	for (unsigned w = 0; w < fd->nw; w++)
		send_pending(fd, w);
	for (unsigned w = 0; w < fd->nw && !fd->inline_engine; w++)
		while (fd->done[w] < fd->sent[w]) {
			feed_drain(fd);
			rte_pause();
		}
}

