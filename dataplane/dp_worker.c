#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "dp_eal.h"
#include "dp_crc.h"
#include "dp_loop.h"
#include "dp_worker.h"

int dp_worker_init(struct dp_worker *w, const struct dp_path *p, const struct dp_engine_conf *conf, unsigned ring_size,
		   struct nws_err *err)
{
	static unsigned seq;
	char name[RTE_RING_NAMESIZE];

	memset(w, 0, sizeof(*w));
	if (dp_engine_init(&w->eng, p, conf, err) < 0)
		return -1;
	snprintf(name, sizeof(name), "w-in-%u", seq);
	w->in = rte_ring_create(name, ring_size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "w-done-%u", seq++);
	w->done = rte_ring_create(name, ring_size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!w->in || !w->done) {
		dp_worker_free(w);
		return nws_err_set(err, "worker rings: %s", rte_strerror(rte_errno));
	}
	return 0;
}

void dp_worker_free(struct dp_worker *w)
{
	if (!w)
		return;
	if (!dp_eal_exiting()) {
		rte_ring_free(w->in);
		rte_ring_free(w->done);
	}
	dp_engine_free(&w->eng);
	memset(w, 0, sizeof(*w));
}

/* The worker's source: slots from its in ring, their items and the places for their outcomes. */
static unsigned ring_take(void *ctx, struct dp_item *const **it, struct dp_outcome *const **out, bool *ended)
{
	struct dp_worker *w = ctx;
	unsigned n = rte_ring_dequeue_burst(w->in, (void **)w->held, DP_PATH_BURST, NULL);

	for (unsigned i = 0; i < n; i++) {
		rte_prefetch0(&w->held[i]->item);
		w->it[i] = &w->held[i]->item;
		w->out[i] = &w->held[i]->out;
	}
	*it = w->it;
	*out = w->out;
	/* The reader stops a worker only after the last slot is in the ring. */
	*ended = n == 0 && w->stop && rte_ring_empty(w->in);
	return n;
}

/* Its sink: the same slots back through the done ring. */
static void ring_put(void *ctx, struct dp_item *const *it, struct dp_outcome *const *out, unsigned n)
{
	struct dp_worker *w = ctx;
	unsigned k = 0;

	(void)it;
	(void)out;
	/* The done ring is as large as the number of slots, so this cannot fill. */
	while (k < n)
		k += rte_ring_enqueue_burst(w->done, (void **)w->held + k, n - k, NULL);
}

static int worker_main(void *arg)
{
	struct dp_worker *w = arg;
	const struct dp_source src = { ring_take, w };
	const struct dp_sink snk = { ring_put, w };

	dp_loop_run(&w->eng, &src, &snk);
	return 0;
}

struct slots {
	struct dp_slot **s;
	unsigned n;
	struct dp_item *it[DP_PATH_BURST];
	struct dp_outcome *out[DP_PATH_BURST];
};

static unsigned slots_take(void *ctx, struct dp_item *const **it, struct dp_outcome *const **out, bool *ended)
{
	struct slots *b = ctx;

	for (unsigned i = 0; i < b->n; i++) {
		b->it[i] = &b->s[i]->item;
		b->out[i] = &b->s[i]->out;
	}
	*it = b->it;
	*out = b->out;
	*ended = true;
	return b->n;
}

static void slots_put(void *ctx, struct dp_item *const *it, struct dp_outcome *const *out, unsigned n)
{
	(void)ctx;
	(void)it;
	(void)out;
	(void)n;
}

void dp_worker_inline(struct dp_engine *e, struct dp_slot **s, unsigned n)
{
	struct slots b = { .s = s, .n = n };
	const struct dp_source src = { slots_take, &b };
	const struct dp_sink snk = { slots_put, NULL };
	bool ended;

	dp_loop_step(e, &src, &snk, &ended);
}

int dp_worker_launch(struct dp_worker *w, unsigned lcore, struct nws_err *err)
{
	w->lcore = lcore;
	w->stop = false;
	if (rte_eal_remote_launch(worker_main, w, lcore) != 0)
		return nws_err_set(err, "cannot start a worker on lcore %u", lcore);
	w->running = true;
	return 0;
}

void dp_worker_stop(struct dp_worker *w)
{
	if (!w->running)
		return;
	w->stop = true;
	rte_eal_wait_lcore(w->lcore);
	w->running = false;
}

unsigned dp_worker_pick(const struct dp_item *it, unsigned n)
{
	if (n <= 1 || it->unparsed >= 0)
		return 0;
	const struct nws_flow *f = &it->pkt.flow;
	/* Sum and xor of the two addresses: the same whichever way the packet goes. */
	uint64_t a = (uint64_t)f->src.v ^ (uint64_t)(f->src.v >> 64), b = (uint64_t)f->dst.v ^ (uint64_t)(f->dst.v >> 64);
	uint64_t x = (a + b) * DP_HASH_GOLDEN64 ^ ((a ^ b) + f->proto);

	/* A 64-bit finaliser (splitmix64) spreads the pair evenly over the workers. */
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return (unsigned)((x ^ (x >> 31)) % n);
}
