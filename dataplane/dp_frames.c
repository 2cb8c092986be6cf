#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dp_frames.h"
#include "dp_loop.h"
#include "dp_port.h"

int dp_frames_init(struct dp_frames *fr, size_t cap, struct rte_mempool *pool, struct nws_err *err)
{
	memset(fr, 0, sizeof(*fr));
	/*
	 * Hugepages where there are: a worker streams through the frames, and with 4 KB pages each
	 * new page costs a page walk, which a NIC writing into mbufs never makes it pay.
	 */
	fr->frame = rte_malloc("bench-frames", (cap + 1) * DP_FRAMES_ROOM, RTE_CACHE_LINE_SIZE);
	fr->frame_rte = fr->frame != NULL;
	if (!fr->frame)
		fr->frame = aligned_alloc(RTE_CACHE_LINE_SIZE, (cap + 1) * DP_FRAMES_ROOM);
	fr->off = calloc(cap, sizeof(*fr->off));
	fr->len = calloc(cap, sizeof(*fr->len));
	fr->ts = calloc(cap, sizeof(*fr->ts));
	if (!fr->frame || !fr->off || !fr->len || !fr->ts || rte_pktmbuf_alloc_bulk(pool, fr->ring, DP_FRAMES_RING) != 0) {
		dp_frames_free(fr);
		return nws_err_set(err, "no memory for %zu packets' frames and a ring of mbufs", cap);
	}
	/* Frames right after their mbuf's header: nothing is prepended here. */
	for (unsigned j = 0; j < DP_FRAMES_RING; j++)
		fr->ring[j]->data_off = 0;
	for (unsigned i = 0; i < DP_PATH_BURST; i++) {
		fr->it[i] = &fr->items[i];
		fr->out[i] = &fr->outs[i];
	}
	fr->cap = cap;
	return 0;
}

void dp_frames_free(struct dp_frames *fr)
{
	if (fr->frame_rte)
		rte_free(fr->frame);
	else
		free(fr->frame);
	free(fr->off);
	free(fr->len);
	free(fr->ts);
	/* The ring's mbufs go back with their pool. */
	memset(fr, 0, sizeof(*fr));
}

void dp_frames_add(struct dp_frames *fr, const uint8_t *frame, size_t len, uint64_t ts_ns)
{
	/* On a line of its own, as a NIC writes it: a copy of one line reads one line. */
	size_t at = fr->n ? RTE_ALIGN_CEIL(fr->off[fr->n - 1] + fr->len[fr->n - 1], RTE_CACHE_LINE_SIZE) : 0;

	memcpy(fr->frame + at, frame, len);
	fr->off[fr->n] = at;
	fr->len[fr->n] = (uint16_t)len;
	fr->ts[fr->n++] = ts_ns;
}

static unsigned lat_bucket(uint64_t c)
{
	if (c < 8)
		return (unsigned)c;
	unsigned lg = 63 - (unsigned)__builtin_clzll(c);
	unsigned sub = (unsigned)(c >> (lg - 3)) & 7;

	return lg * 8 + sub < DP_FRAMES_LAT ? lg * 8 + sub : DP_FRAMES_LAT - 1;
}

uint64_t dp_frames_lat_value(unsigned b)
{
	if (b < 8)
		return b;
	unsigned lg = b / 8, sub = b % 8;

	return ((uint64_t)(8 + sub) << (lg - 3)) + ((uint64_t)1 << (lg - 3)) / 2;
}

static unsigned frames_take(void *ctx, struct dp_item *const **it, struct dp_outcome *const **out, bool *ended)
{
	struct dp_frames *fr = ctx;

	if (fr->packets >= fr->target || !fr->n) {
		*ended = true;
		return 0;
	}
	if (fr->at == fr->n) {
		/* The next pass later than the idle time: its flows are new again. */
		fr->at = 0;
		fr->base_ns += fr->pass_ns;
	}
	size_t i = fr->at, left = fr->n - i;
	unsigned k = left < fr->burst ? (unsigned)left : fr->burst;

	if (k > fr->target - fr->packets) /* the last burst: no more than asked for */
		k = (unsigned)(fr->target - fr->packets);
	/*
	 * Receive: the burst's frames into the ring's next mbufs, as a NIC's DMA and its driver would
	 * hand them over (the mbufs warm, the frames fresh). The frames are read in the order sent,
	 * so a prefetch two bursts ahead has them in time.
	 */
	struct rte_mbuf *mb[DP_PATH_BURST];
	/* Read once: the copies below could alias fr for all the compiler knows. */
	const uint8_t *frames = fr->frame;
	const uint64_t *off = fr->off + i, *ts = fr->ts + i;
	const uint16_t *len = fr->len + i;
	size_t ahead = 2 * (size_t)fr->burst;
	unsigned nahead = left > ahead ? (left - ahead < k ? (unsigned)(left - ahead) : k) : 0, r = fr->next_mbuf;

	for (unsigned j = 0; j < k; j++) {
		struct rte_mbuf *m = mb[j] = fr->ring[(r + j) & (DP_FRAMES_RING - 1)];
		const uint8_t *f = frames + off[j];

		if (j < nahead)
			rte_prefetch0(frames + off[j + ahead]);
		/* Whole lines whatever the length: copies the compiler unrolls. */
		if (len[j] <= 64)
			memcpy(rte_pktmbuf_mtod(m, void *), f, 64);
		else
			memcpy(rte_pktmbuf_mtod(m, void *), f, DP_FRAMES_ROOM);
		m->data_len = m->pkt_len = len[j];
	}
	fr->next_mbuf = r + k;
	fr->at = i + k;
	/*
	 * Then parsed, as a driver's burst is: a frame read back right after its wide copy waits for
	 * the stores to drain (no store forwarding), which no NIC costs.
	 */
	uint64_t base = fr->base_ns;

	for (unsigned j = 0; j < k; j++)
		dp_port_item(&fr->items[j], mb[j], base + ts[j]);
	*it = fr->it;
	*out = fr->out;
	*ended = fr->packets + k >= fr->target;
	return k;
}

static void frames_put(void *ctx, struct dp_item *const *it, struct dp_outcome *const *out, unsigned n)
{
	struct dp_frames *fr = ctx;
	/* A burst's end is the next one's start: one TSC read a burst (each costs ~25 cycles). */
	uint64_t end = rte_rdtsc(), c = end - fr->last_tsc;

	(void)it;
	(void)out;
	fr->last_tsc = end;
	fr->lat[lat_bucket(c)] += n;
	fr->packets += n;
	if (fr->deadline_tsc && (fr->at & 1023) < fr->burst && end > fr->deadline_tsc)
		fr->target = fr->packets;
}

void dp_frames_run(struct dp_engine *e, struct dp_frames *fr)
{
	const struct dp_source src = { frames_take, fr };
	const struct dp_sink snk = { frames_put, fr };
	uint64_t t0 = rte_rdtsc();

	fr->last_tsc = t0;
	dp_loop_run(e, &src, &snk);
	fr->cycles = rte_rdtsc() - t0;
}
