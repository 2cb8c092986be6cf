#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>
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
		dp_worker_inline(&fd->w[0].eng, fd->pend[w], n);
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

	if (s->item.ts_ns > fd->clock)
		fd->clock = s->item.ts_ns;
	s->item.ts_ns = fd->clock;

	fd->pend[w][fd->npend[w]++] = s;
	if (fd->npend[w] == DP_PATH_BURST)
		send_pending(fd, w);
}

void feed_kick(struct feeder *fd)
{
	for (unsigned w = 0; w < fd->nw; w++)
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


int feed_init(struct feeder *fd, const struct dp_path *p, unsigned nworkers, const struct dp_engine_conf *conf, bool raw,
	      struct nws_err *err)
{
	memset(fd, 0, sizeof(*fd));
	/* As many workers as were asked for and EAL has lcores for. */
	if (nworkers > rte_lcore_count() - 1)
		nworkers = rte_lcore_count() - 1;
	fd->inline_engine = nworkers == 0;
	fd->nw = nworkers ? (unsigned)nworkers : 1;
	fd->nslots = (size_t)fd->nw * SLOTS_PER_WORKER;
	fd->w = calloc(fd->nw, sizeof(*fd->w));
	fd->slots = calloc(fd->nslots, sizeof(*fd->slots));
	fd->free = calloc(fd->nslots, sizeof(*fd->free));
	if (!fd->w || !fd->slots || !fd->free) {
		nws_err_set(err, "out of memory");
		goto fail;
	}
	{
		unsigned ring = 1;

		/* A worker's rings may hold every slot, should the hash send them all its way. */
		while (ring <= fd->nslots)
			ring <<= 1;
		for (unsigned i = 0; i < fd->nw; i++)
			if (dp_worker_init(&fd->w[i], p, conf, ring, err) < 0)
				goto fail;
	}
	for (size_t i = 0; i < fd->nslots; i++)
		fd->free[fd->nfree++] = &fd->slots[fd->nslots - 1 - i];
	if (conf->hop_trace) { /* each slot's own, for as long as the feeder lives */
		fd->traces = calloc(fd->nslots, sizeof(*fd->traces));
		if (!fd->traces) {
			nws_err_set(err, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < fd->nslots; i++)
			fd->slots[i].out.trace = &fd->traces[i];
	}
	if (raw) {
		fd->raw = calloc(fd->nslots, sizeof(*fd->raw));
		if (!fd->raw) {
			nws_err_set(err, "out of memory");
			goto fail;
		}
	}
	return 0;
fail:
	feed_free(fd);
	return -1;
}

int feed_launch(struct feeder *fd, struct nws_err *err)
{
	if (!fd->inline_engine) {
		unsigned i = 0, lc;

		RTE_LCORE_FOREACH_WORKER(lc) {
			if (i == fd->nw)
				break;
			if (dp_worker_launch(&fd->w[i++], lc, err) < 0)
				return -1;
		}
	}
	return 0;
}

void feed_stop(struct feeder *fd, size_t nnics, bool age_out)
{
	for (unsigned i = 0; i < fd->nw; i++)
		dp_worker_stop(&fd->w[i]);
	for (unsigned i = 0; age_out && i < fd->nw; i++)
		dp_engine_age_out(&fd->w[i].eng, fd->clock);
	/* The summary adds up the workers' own counters into the first one's. */
	for (unsigned i = 1; i < fd->nw; i++)
		dp_counters_add(&fd->w[0].eng.c, &fd->w[i].eng.c, fd->w[0].eng.path->t->nrules, nnics);
}

void feed_free(struct feeder *fd)
{
	for (unsigned i = 0; fd->w && i < fd->nw; i++) {
		dp_worker_stop(&fd->w[i]);
		dp_worker_free(&fd->w[i]);
	}
	for (size_t i = 0; fd->raw && i < fd->nslots; i++)
		free(fd->raw[i].data);
	free(fd->raw);
	free(fd->w);
	free(fd->slots);
	free(fd->traces);
	free(fd->free);
	memset(fd, 0, sizeof(*fd));
}
