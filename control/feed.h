/*
 * Hands packets to the worker lcores and takes their answers back (replay and run share it). A
 * packet travels in a slot: the reader fills it, a worker answers it in place, the reader's
 * `answered` callback consumes the answer and the slot is reused. With no worker lcore the reader
 * runs the engine itself (`inline_engine`).
 */
#ifndef FEED_H
#define FEED_H

#include "dp_worker.h"

#define MAX_WORKERS 64
#define SLOTS_PER_WORKER 4096

/* A slot's packet as captured (replay's capture writers). */
struct feed_raw {
	uint8_t *data;
	uint32_t cap, caplen, len;
	uint16_t linktype;
	uint64_t ts_ns;
};

/*
 * Hands packets to the workers and takes their answers back. A packet travels in a slot: the
 * reader fills it, a worker answers it in place, the reader writes the outputs and reuses it.
 * With no worker lcore the reader runs the engine itself (`inline_engine`).
 */
struct feeder {
	struct dp_worker *w;
	unsigned nw;
	bool inline_engine;
	struct dp_slot *slots;
	struct dp_trace *traces; /* the slots' hop traces, when the engines have hop_trace */
	size_t nslots;
	struct dp_slot **free;
	size_t nfree;
	struct dp_slot *pend[MAX_WORKERS][DP_PATH_BURST];
	unsigned npend[MAX_WORKERS];
	uint64_t sent[MAX_WORKERS], done[MAX_WORKERS];
	/* Called with each answered packet before its slot is reused, and before each burst is sent. */
	void (*answered)(void *ctx, struct dp_slot *s);
	void (*pace)(void *ctx, unsigned n);
	void *ctx;
	/* replay: the raw packet of each slot, kept only while a capture writer needs it. */
	struct feed_raw *raw;
	/*
	 * The reader's clock: the latest timestamp handed over so far. Each packet goes out stamped
	 * with it, so a worker's clock is the same as it would be with every packet, whatever share
	 * of them the worker gets (flows age alike with any number of workers).
	 */
	uint64_t clock;
};

/*
 * nworkers worker lcores (0: the engine runs on the reading lcore), each with an engine made as
 * conf says; raw: keep each slot's raw packet (capture writers).
 */
int feed_init(struct feeder *fd, const struct dp_path *p, unsigned nworkers, const struct dp_engine_conf *conf, bool raw,
	      struct nws_err *err);
/* Start the workers on EAL's worker lcores. */
int feed_launch(struct feeder *fd, struct nws_err *err);
/*
 * Stop the workers and add their counters up into fd->w[0].eng.c; age_out: the flows idle at
 * the reader's clock leave the tables first (the end of a replay: see dp_engine_age_out).
 */
void feed_stop(struct feeder *fd, size_t nnics, bool age_out);
void feed_free(struct feeder *fd);

/* A free slot, waiting for answers while every slot is in flight. */
struct dp_slot *feed_get_slot(struct feeder *fd);
/* Hand a filled slot to its worker (sent 64 at a time). */
void feed_submit(struct feeder *fd, struct dp_slot *s);
/* Send what waits now, even less than a burst (ports: packets must not wait for company). */
void feed_kick(struct feeder *fd);
/* Take back what the workers have answered so far. */
void feed_drain(struct feeder *fd);
/* Send everything pending and wait for every answer. */
void feed_finish(struct feeder *fd);

#endif
