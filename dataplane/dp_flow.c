#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "dp_crc.h"
#include "dp_eal.h"
#include "dp_flow.h"

int dp_flow_init(struct dp_flow_table *ft, uint32_t capacity, uint64_t idle_ns, struct nws_err *err)
{
	uint32_t nb = 1;

	memset(ft, 0, sizeof(*ft));
	if (capacity == 0 || capacity > (1u << 28))
		return nws_err_set(err, "flow table of %u entries: outside 1..%u", capacity, 1u << 28);
	/* At most 80% of the slots in use when the table is full: probes stay short. */
	while ((uint64_t)nb * 8 < capacity)
		nb <<= 1;
	ft->b = rte_zmalloc("flow-buckets", sizeof(*ft->b) * nb, 64);
	ft->bmask = nb - 1;
	ft->free = rte_malloc("flow-free", sizeof(*ft->free) * capacity, 64);
	ft->e = rte_zmalloc("flow-entries", sizeof(*ft->e) * capacity, 64);
	ft->info = rte_zmalloc("flow-info", sizeof(*ft->info) * capacity, 64);
	ft->paths.cap = DP_FLOW_PATHS;
	ft->paths.p = rte_zmalloc("flow-paths", sizeof(*ft->paths.p) * ft->paths.cap, 64);
	ft->paths.slot = rte_zmalloc("flow-path-slots", sizeof(*ft->paths.slot) * 2 * ft->paths.cap, 64);
	ft->cap = capacity;
	ft->idle_ns = idle_ns;
	if (!ft->b || !ft->free || !ft->e || !ft->info || !ft->paths.p || !ft->paths.slot) {
		char why[256];

		dp_flow_free(ft);
		dp_eal_memory_advice(why, sizeof(why));
		return nws_err_set(err, "flow table of %u entries: out of memory (%s)", capacity, why);
	}
	/* Popped in ascending order: a lightly used table stays in few pages. */
	for (uint32_t i = 0; i < capacity; i++)
		ft->free[i] = capacity - 1 - i;
	ft->nfree = capacity;
	return 0;
}

void dp_flow_free(struct dp_flow_table *ft)
{
	if (!ft)
		return;
	if (!dp_eal_exiting()) {
		rte_free(ft->b);
		rte_free(ft->free);
		rte_free(ft->e);
		rte_free(ft->info);
		rte_free(ft->paths.p);
		rte_free(ft->paths.slot);
	}
	memset(ft, 0, sizeof(*ft));
}

void dp_flow_key(struct dp_flow_key *k, const struct nws_flow *f, bool *lo_is_src)
{
	uint64_t *w = (uint64_t *)(void *)k;

	/*
	 * IPv4, most packets: an address lives in the low 32 bits (struct nws_ip), so address and
	 * port order as one 64-bit number, and the upper words are zero. The same key as below.
	 */
	if (f->src.fam == NWS_AF4) {
		/* Each end as (address, port) in one number: the order, and then the words, from those. */
		uint64_t s = (uint64_t)(uint32_t)f->src.v << 16 | f->sport, d = (uint64_t)(uint32_t)f->dst.v << 16 | f->dport;
		bool src_lo = s <= d;
		uint64_t lo = src_lo ? s : d, hi = src_lo ? d : s;

		*lo_is_src = src_lo;
		w[0] = (uint64_t)NWS_AF4 | (uint64_t)f->proto << 8 | (lo & 0xffff) << 16 | (hi & 0xffff) << 32;
		w[1] = lo >> 16 | hi >> 16 << 32;
		w[2] = 0;
		w[3] = 0;
		w[4] = 0;
		return;
	}
	const struct nws_ip *lo = &f->src, *hi = &f->dst;
	uint16_t plo = f->sport, phi = f->dport;

	*lo_is_src = f->src.v < f->dst.v || (f->src.v == f->dst.v && f->sport <= f->dport);
	if (!*lo_is_src) {
		lo = &f->dst;
		hi = &f->src;
		plo = f->dport;
		phi = f->sport;
	}
	/*
	 * Written a word at a time, as dp_flow_hash and dp_flow_key_eq read it: a word read back
	 * from narrower stores cannot be forwarded from the store buffer and waits for them.
	 * The layout is struct dp_flow_key's (little-endian); addresses in host order, as the flow
	 * holds them.
	 */
	w[0] = (uint64_t)f->src.fam | (uint64_t)f->proto << 8 | (uint64_t)plo << 16 | (uint64_t)phi << 32;
	w[1] = (uint64_t)lo->v;
	w[2] = (uint64_t)(lo->v >> 64);
	w[3] = (uint64_t)hi->v;
	w[4] = (uint64_t)(hi->v >> 64);
}

uint32_t dp_flow_hash(const struct dp_flow_key *k)
{
	const uint64_t *w = (const uint64_t *)(const void *)k;
	/* Two CRC chains side by side: a chain of five waits on each step's latency. */
	uint32_t a = dp_crc_8byte(w[0], 0), b = dp_crc_8byte(w[1], DP_HASH_GOLDEN32);

	if (k->fam == NWS_AF4) /* its other words are zero */
		return a ^ (b << 16 | b >> 16);
	a = dp_crc_8byte(w[2], a);
	b = dp_crc_8byte(w[3], b);
	a = dp_crc_8byte(w[4], a);
	return a ^ (b << 16 | b >> 16);
}

/* 16 bits of the hash for the bucket's signature, never 0 (a free slot); the bucket takes its low bits. */
static inline uint16_t flow_sig(uint32_t hash)
{
	uint16_t s = (uint16_t)((hash * DP_HASH_GOLDEN32_PRIME) >> 16);

	return s ? s : 1;
}

/* The slots of bucket b holding signature s, one bit per slot (two bits with SSE2). */
#ifdef __SSE2__
#include <emmintrin.h>
#define SLOT_SHIFT 1
static inline uint32_t slots_with(const struct dp_flow_bucket *b, uint16_t s)
{
	__m128i want = _mm_set1_epi16((short)s), lo = _mm_load_si128((const __m128i *)(const void *)b->sig);
	uint32_t hi4;

	memcpy(&hi4, &b->sig[8], sizeof(hi4));
	uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi16(lo, want)),
		 mh = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi16(_mm_cvtsi32_si128((int)hi4), want)) & 0xf;

	return m | mh << 16;
}
#else
#define SLOT_SHIFT 0
static inline uint32_t slots_with(const struct dp_flow_bucket *b, uint16_t s)
{
	uint32_t m = 0;

	for (unsigned i = 0; i < DP_FLOW_BUCKET_SLOTS; i++)
		m |= (uint32_t)(b->sig[i] == s) << i;
	return m;
}
#endif

/* The lowest slot in m, which it then leaves out. */
static inline unsigned next_slot(uint32_t *m)
{
	unsigned bit = (unsigned)__builtin_ctz(*m), slot = bit >> SLOT_SHIFT;

	*m &= ~(((1u << (1u << SLOT_SHIFT)) - 1) << (slot << SLOT_SHIFT));
	return slot;
}

int32_t dp_flow_lookup(const struct dp_flow_table *ft, const struct dp_flow_key *k, uint32_t hash)
{
	uint16_t s = flow_sig(hash);
	uint32_t i = hash & ft->bmask;

	/* Bounded: after churn, every bucket could have a flow that went past it. */
	for (uint32_t n = 0; n <= ft->bmask; n++, i = (i + 1) & ft->bmask) {
		const struct dp_flow_bucket *b = &ft->b[i];

		for (uint32_t m = slots_with(b, s); m;) {
			uint32_t pos = b->pos[next_slot(&m)];

			if (dp_flow_key_eq(&ft->e[pos].key, k))
				return (int32_t)pos;
		}
		if (!b->over)
			break;
	}
	return -1;
}

void dp_flow_lookup_bulk(const struct dp_flow_table *ft, const struct dp_flow_key *const *k, uint32_t *hash,
			 unsigned n, int32_t *pos)
{
	/* The buckets are on their way (dp_flow_prefetch); the entries they name go out a burst at a time. */
	for (unsigned i = 0; i < n; i++) {
		const struct dp_flow_bucket *b = &ft->b[hash[i] & ft->bmask];
		uint32_t m = slots_with(b, flow_sig(hash[i]));

		pos[i] = -2; /* not settled by the home bucket's first candidate */
		if (m) {
			const struct dp_flow_entry *e = &ft->e[b->pos[next_slot(&m)]];

			rte_prefetch0(e);
			pos[i] = (int32_t)(e - ft->e);
		} else if (!b->over) {
			pos[i] = -1;
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (pos[i] == -2 || (pos[i] >= 0 && !dp_flow_key_eq(&ft->e[pos[i]].key, k[i])))
			pos[i] = dp_flow_lookup(ft, k[i], hash[i]);
}

void dp_flow_remove(struct dp_flow_table *ft, int32_t pos, uint32_t hash)
{
	uint16_t s = flow_sig(hash);
	uint32_t home = hash & ft->bmask, i = home;

	for (uint32_t n = 0; n <= ft->bmask; n++, i = (i + 1) & ft->bmask) {
		struct dp_flow_bucket *b = &ft->b[i];

		for (uint32_t m = slots_with(b, s); m;) {
			unsigned slot = next_slot(&m);

			if (b->pos[slot] != (uint32_t)pos)
				continue;
			b->sig[slot] = 0;
			/* The buckets it went past no longer have it beyond them. */
			for (uint32_t j = home; j != i; j = (j + 1) & ft->bmask)
				ft->b[j].over--;
			ft->e[pos].used = false;
			ft->free[ft->nfree++] = (uint32_t)pos;
			return;
		}
	}
}

int32_t dp_flow_next(const struct dp_flow_table *ft, uint32_t *it)
{
	for (; *it < ft->cap; (*it)++)
		if (ft->e[*it].used)
			return (int32_t)(*it)++;
	return -1;
}

struct dp_flow_entry *dp_flow_admit(struct dp_flow_table *ft, const struct dp_flow_key *k, uint32_t hash,
				    bool lo_is_src, uint64_t now_ns)
{
	if (!ft->nfree)
		return NULL;
	uint32_t pos = ft->free[--ft->nfree], i = hash & ft->bmask;
	struct dp_flow_bucket *b;
	uint32_t m;

	/* Some bucket has a free slot: the table never holds more than 80% of them. */
	while (!(m = slots_with(b = &ft->b[i], 0))) {
		b->over++;
		i = (i + 1) & ft->bmask;
	}
	unsigned slot = next_slot(&m);

	b->sig[slot] = flow_sig(hash);
	b->pos[slot] = pos;
	struct dp_flow_entry *e = &ft->e[pos];

	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->used = true;
	e->last_ns = now_ns;
	e->init_lo = lo_is_src;
	return e;
}

void dp_flow_sweep_look(struct dp_flow_table *ft, uint64_t now_ns)
{
	ft->nnoted = 0;
	for (unsigned i = 0; i < DP_FLOW_SWEEP; i++) {
		uint32_t pos = ft->sweep;
		const struct dp_flow_entry *e = &ft->e[pos];

		ft->sweep = pos + 1 < ft->cap ? pos + 1 : 0;
		if (!e->used || !dp_flow_stale(ft, e, now_ns))
			continue;
		rte_prefetch0(&ft->b[dp_flow_hash(&e->key) & ft->bmask]);
		ft->noted[ft->nnoted++] = pos;
	}
	/* The next look's entries, while this burst runs. */
	for (uint32_t i = 0, pos = ft->sweep; i < DP_FLOW_SWEEP; i++, pos = pos + 1 < ft->cap ? pos + 1 : 0)
		rte_prefetch0(&ft->e[pos]);
}

unsigned dp_flow_sweep_take(struct dp_flow_table *ft, uint64_t now_ns,
			    void (*gone)(void *arg, const struct dp_flow_entry *e, const struct dp_flow_info *fi), void *arg)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ft->nnoted; i++) {
		uint32_t pos = ft->noted[i];
		struct dp_flow_entry *e = &ft->e[pos];

		/* The burst may have touched it, or removed it and given the place to another flow. */
		if (!e->used || !dp_flow_stale(ft, e, now_ns))
			continue;
		if (gone)
			gone(arg, e, &ft->info[pos]);
		dp_flow_remove(ft, (int32_t)pos, dp_flow_hash(&e->key));
		n++;
	}
	ft->nnoted = 0;
	return n;
}

/* Equal paths have equal bytes (callers zero padding); len is a multiple of 8, short enough to inline. */
static inline bool path_eq(const struct dp_flow_path *a, const struct dp_flow_path *b, size_t len)
{
	const uint64_t *x = (const uint64_t *)(const void *)a, *y = (const uint64_t *)(const void *)b;

	/*
	 * A word at a time, as the caller wrote the path: a wider load of words just stored (a
	 * vectorised loop) waits for the stores to drain. Paths that differ mostly do in the header
	 * or the first hop: stop at the first word.
	 */
	for (size_t i = 0; i < len / 8; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

_Static_assert(offsetof(struct dp_flow_path, hop) % 8 == 0 && sizeof(((struct dp_flow_path *)0)->hop[0]) % 8 == 0,
	       "a path's used bytes are whole words");

uint32_t dp_flow_path_intern(struct dp_flow_table *ft, const struct dp_flow_path *path, uint64_t fp)
{
	struct dp_flow_paths *ps = &ft->paths;
	size_t len = offsetof(struct dp_flow_path, hop) + (size_t)path->v.nhops * sizeof(path->hop[0]);
	uint32_t mask = 2 * ps->cap - 1, slot, id;

	/*
	 * Flows in a row often take the same few paths (each way to each NIC), which differ in a
	 * word or two: a fingerprint of every word picks the one to compare.
	 */
	for (unsigned i = 0; i < DP_FLOW_RECENT; i++)
		if (ps->recent_fp[i] == fp && ps->recent[i] && path_eq(&ps->p[ps->recent[i] - 1], path, len))
			return ps->recent[i];
	/* Callers write every byte of the used words (padding too), so equal paths have equal bytes. */
	slot = rte_hash_crc(path, (uint32_t)len, 0) & mask;
	while ((id = ps->slot[slot]) != 0) {
		if (path_eq(&ps->p[id - 1], path, len))
			break;
		slot = (slot + 1) & mask;
	}
	if (!id) {
		if (ps->n == ps->cap) {
			ft->paths_full++;
			return 0;
		}
		memcpy(&ps->p[ps->n], path, len); /* the rest is never read: callers write only len bytes */
		ps->slot[slot] = id = ++ps->n;
	}
	unsigned r = ps->rnext++ % DP_FLOW_RECENT;

	ps->recent_fp[r] = fp;
	ps->recent[r] = id;
	return id;
}

unsigned dp_flow_expire(struct dp_flow_table *ft, uint64_t now_ns,
			void (*gone)(void *arg, const struct dp_flow_entry *e, const struct dp_flow_info *fi), void *arg)
{
	uint32_t it = 0;
	int32_t pos;
	unsigned n = 0;

	/* Removal never moves another entry (no tombstones, no shifting): the walk stays valid. */
	while ((pos = dp_flow_next(ft, &it)) >= 0) {
		struct dp_flow_entry *e = &ft->e[pos];

		if (!dp_flow_stale(ft, e, now_ns))
			continue;
		if (gone)
			gone(arg, e, &ft->info[pos]);
		dp_flow_remove(ft, pos, dp_flow_hash(&e->key));
		n++;
	}
	ft->nnoted = 0;
	return n;
}

unsigned dp_flow_flush(struct dp_flow_table *ft,
		       void (*gone)(void *arg, const struct dp_flow_entry *e, const struct dp_flow_info *fi), void *arg)
{
	uint32_t it = 0;
	int32_t pos;
	unsigned n = 0;

	while ((pos = dp_flow_next(ft, &it)) >= 0) {
		if (gone)
			gone(arg, &ft->e[pos], &ft->info[pos]);
		ft->e[pos].used = false;
		n++;
	}
	memset(ft->b, 0, sizeof(*ft->b) * (ft->bmask + 1));
	for (uint32_t i = 0; i < ft->cap; i++)
		ft->free[i] = ft->cap - 1 - i;
	ft->nfree = ft->cap;
	ft->nnoted = 0;
	/* The cached paths name routes of the old topology: the store starts again. */
	memset(ft->paths.slot, 0, sizeof(*ft->paths.slot) * 2 * ft->paths.cap);
	ft->paths.n = 0;
	memset(ft->paths.recent, 0, sizeof(ft->paths.recent));
	return n;
}
