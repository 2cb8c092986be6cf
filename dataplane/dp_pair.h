/*
 * Paths by pair of endpoints. The walk without NSGs depends on the two addresses alone: where
 * the packet enters, the routes it meets, the NIC that has its destination. So does where NSGs
 * judge it on the way. A worker keeps, per pair of addresses it has seen, that walk both ways
 * (interned in its flow table's path store) and those points; a new flow between them then needs
 * its NSGs evaluated, and no walk. Owned by one worker: no locks. Two slots a hash, the newer
 * pair first: a pair put where both are taken pushes out the older of the two.
 */
#ifndef DP_PAIR_H
#define DP_PAIR_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_prefetch.h>

#include "dp_crc.h"
#include "dp_flow.h"
#include "dp_path.h"
#include "nsg.h"
#include "nws_err.h"

struct dp_pair {
	uint64_t k[5];      /* family (with a bit so that a used slot is never zero), source, destination */
	uint32_t fwd, back; /* the walks without NSGs there and back: dp_flow_path_get ids */
	uint16_t marks;     /* where NSGs judge on the way there (dp_path_walk_marks) */
} __attribute__((aligned(64)));

struct dp_pairs {
	struct dp_pair *s;
	uint32_t mask;
	uint64_t hits, misses;
};

int dp_pairs_init(struct dp_pairs *pt, uint32_t slots, struct nws_err *err);
void dp_pairs_free(struct dp_pairs *pt);
/* Forget every pair: their paths' ids go when the flow table's path store is emptied. */
void dp_pairs_flush(struct dp_pairs *pt);

/* The key of f's pair of addresses, and its hash. */
static inline uint32_t dp_pairs_key(const struct nws_flow *f, uint64_t k[5])
{
	k[0] = (uint64_t)f->src.fam | 1ull << 8;
	k[1] = (uint64_t)f->src.v;
	k[2] = (uint64_t)(f->src.v >> 64);
	k[3] = (uint64_t)f->dst.v;
	k[4] = (uint64_t)(f->dst.v >> 64);
	/* Two chains, as dp_flow_hash: one of five waits on each step. */
	uint32_t a = dp_crc_8byte(k[1], (uint32_t)k[0]), b = dp_crc_8byte(k[3], 0x9e3779b9u);

	a = dp_crc_8byte(k[2], a);
	b = dp_crc_8byte(k[4], b);
	return a ^ (b << 13 | b >> 19);
}

/* The two slots of a hash (two cache lines side by side). */
static inline struct dp_pair *dp_pairs_slots(const struct dp_pairs *pt, uint32_t hash)
{
	return &pt->s[(hash << 1) & pt->mask];
}

static inline void dp_pairs_prefetch(const struct dp_pair *s)
{
	rte_prefetch0(&s[0]);
	rte_prefetch0(&s[1]);
}

static inline bool dp_pairs_match(const struct dp_pair *s, const uint64_t k[5])
{
	return !((s->k[0] ^ k[0]) | (s->k[1] ^ k[1]) | (s->k[2] ^ k[2]) | (s->k[3] ^ k[3]) | (s->k[4] ^ k[4]));
}

/* The pair of key k in slots s, or NULL. */
static inline const struct dp_pair *dp_pairs_find(const struct dp_pair *s, const uint64_t k[5])
{
	return dp_pairs_match(&s[0], k) ? &s[0] : dp_pairs_match(&s[1], k) ? &s[1] : NULL;
}

/* Keep p in slots s, in front: the older of the two goes (a pair already in front is rewritten). */
static inline void dp_pairs_put(struct dp_pair *s, const struct dp_pair *p)
{
	if (!dp_pairs_match(&s[0], p->k))
		s[1] = s[0];
	s[0] = *p;
}

/* One new flow's first packet, to be judged with NSGs by way of its pair. */
struct dp_pair_walk {
	struct nws_flow f;
	struct path_result *r; /* where its result goes */
	uint64_t *tsc;         /* where its hops' TSC goes (a trace's), or NULL */
	bool keyed;            /* key and hash are set (else dp_pairs_judge computes them) */
	uint64_t key[5];
	uint32_t hash;
	uint32_t fwd, back; /* out: the pair's paths there and back (dp_flow_path_get ids); 0: walked as it is */
};

/*
 * n packets (at most DP_PATH_BURST) judged with NSGs into their results, as dp_path_walk would:
 * a known pair's walk without NSGs is taken from ft's path store and cut short at the first of
 * its NSG points that refuses (all points of the batch in one dp_verify); an unknown pair is
 * walked without NSGs both ways first (the way back into back_room, n results) and kept; a pair
 * that cannot be kept (too many NSG points, or the store is full) is walked with NSGs.
 */
void dp_pairs_judge(struct dp_pairs *pt, const struct dp_path *p, struct dp_flow_table *ft, struct dp_pair_walk *w,
		    unsigned n, struct path_result *back_room);

#endif
