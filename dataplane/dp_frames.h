/*
 * The benchmark's source: a worker's traffic preloaded as frames, packed in the order sent, each
 * on a line of its own, and received into a ring of mbufs one burst at a time, as from a NIC (a
 * million distinct mbufs, each read once a pass, would measure how fast memory streams 256 bytes
 * a packet). Passes repeat the frames, each later than the flows' idle time, so every pass's
 * flows are new. Its sink counts the packets and each burst's cycles (per-packet latency).
 */
#ifndef DP_FRAMES_H
#define DP_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_engine.h"
#include "nws_err.h"

#define DP_FRAMES_ROOM 128   /* the largest frame a bench packet takes, rounded up to cache lines */
#define DP_FRAMES_RING 512   /* the mbufs a worker cycles through (128 KB with their headers) */
#define DP_FRAMES_LAT (64 * 8) /* latency buckets: log2 of the cycles, 8 steps each */

struct rte_mbuf;
struct rte_mempool;

struct dp_frames {
	/* The traffic. */
	uint8_t *frame;   /* the frames, in order */
	bool frame_rte;   /* frame is rte_malloc's (hugepages), else aligned_alloc's */
	uint64_t *off;    /* where each starts */
	uint16_t *len;    /* their lengths */
	uint64_t *ts;     /* each packet's time within a pass */
	size_t n, cap;
	struct rte_mbuf *ring[DP_FRAMES_RING];
	/* The run: packets a burst, stop at target packets or at the deadline (0: none). */
	unsigned burst;
	uint64_t target, deadline_tsc, pass_ns;
	/* Where it is. */
	size_t at;
	unsigned next_mbuf;
	uint64_t base_ns, last_tsc;
	struct dp_item items[DP_PATH_BURST];
	struct dp_outcome outs[DP_PATH_BURST];
	struct dp_item *it[DP_PATH_BURST]; /* the places above, as the loop takes them */
	struct dp_outcome *out[DP_PATH_BURST];
	/* What it measured. */
	uint64_t packets, cycles;
	uint64_t lat[DP_FRAMES_LAT]; /* packets by their burst's cycles */
};

/* Room for cap frames (hugepages where there are) and a ring of mbufs from pool. */
int dp_frames_init(struct dp_frames *fr, size_t cap, struct rte_mempool *pool, struct nws_err *err);
void dp_frames_free(struct dp_frames *fr);
/* The next frame of the traffic, sent at ts_ns within a pass (at most cap, DP_FRAMES_ROOM bytes). */
void dp_frames_add(struct dp_frames *fr, const uint8_t *frame, size_t len, uint64_t ts_ns);
/* The engine through the frames, pass after pass, until target packets or the deadline. */
void dp_frames_run(struct dp_engine *e, struct dp_frames *fr);
/* A latency bucket's middle, in cycles. */
uint64_t dp_frames_lat_value(unsigned bucket);

#endif
