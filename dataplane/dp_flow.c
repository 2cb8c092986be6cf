#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "dp_flow.h"

static uint32_t flow_hash_fn(const void *key, uint32_t len, uint32_t init);

int dp_flow_init(struct dp_flow_table *ft, uint32_t capacity, uint64_t idle_ns, struct nws_err *err)
{
	static unsigned seq;
	char name[RTE_HASH_NAMESIZE];

	memset(ft, 0, sizeof(*ft));
	snprintf(name, sizeof(name), "flows-%u", seq++);
	struct rte_hash_parameters p = {
		.name = name, .entries = capacity, .key_len = sizeof(struct dp_flow_key), .hash_func = flow_hash_fn,
		.socket_id = SOCKET_ID_ANY,
	};

	ft->h = rte_hash_create(&p);
	ft->e = rte_zmalloc("flow-entries", sizeof(*ft->e) * capacity, 64);
	ft->info = rte_zmalloc("flow-info", sizeof(*ft->info) * capacity, 64);
	ft->paths.cap = DP_FLOW_PATHS;
	ft->paths.p = rte_zmalloc("flow-paths", sizeof(*ft->paths.p) * ft->paths.cap, 64);
	ft->paths.slot = rte_zmalloc("flow-path-slots", sizeof(*ft->paths.slot) * 2 * ft->paths.cap, 64);
	ft->cap = capacity;
	ft->idle_ns = idle_ns;
	if (!ft->h || !ft->e || !ft->info || !ft->paths.p || !ft->paths.slot) {
		dp_flow_free(ft);
		return nws_err_set(err, "flow table of %u entries: %s", capacity, rte_strerror(rte_errno));
	}
	return 0;
}

void dp_flow_free(struct dp_flow_table *ft)
{
	if (!ft)
		return;
	rte_hash_free(ft->h);
	rte_free(ft->e);
	rte_free(ft->info);
	rte_free(ft->paths.p);
	rte_free(ft->paths.slot);
	memset(ft, 0, sizeof(*ft));
}

void dp_flow_key(struct dp_flow_key *k, const struct nws_flow *f, bool *lo_is_src)
{
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
	uint64_t *w = (uint64_t *)(void *)k;

	w[0] = (uint64_t)f->src.fam | (uint64_t)f->proto << 8 | (uint64_t)plo << 16 | (uint64_t)phi << 32;
	w[1] = (uint64_t)lo->v;
	w[2] = (uint64_t)(lo->v >> 64);
	w[3] = (uint64_t)hi->v;
	w[4] = (uint64_t)(hi->v >> 64);
	w[5] = 0;
}

uint32_t dp_flow_hash(const struct dp_flow_key *k)
{
	const uint64_t *w = (const uint64_t *)(const void *)k;
	/* Two CRC chains side by side: a chain of five waits on each step's latency. */
	uint32_t a = rte_hash_crc_8byte(w[0], 0), b = rte_hash_crc_8byte(w[1], 0x9e3779b9u);

	a = rte_hash_crc_8byte(w[2], a);
	b = rte_hash_crc_8byte(w[3], b);
	a = rte_hash_crc_8byte(w[4], a);
	return a ^ (b << 16 | b >> 16);
}

/* rte_hash's own hash function (for calls without a precomputed hash): the same. */
static uint32_t flow_hash_fn(const void *key, uint32_t len, uint32_t init)
{
	(void)len;
	(void)init;
	return dp_flow_hash(key);
}

void dp_flow_lookup_bulk(const struct dp_flow_table *ft, const struct dp_flow_key *const *k, uint32_t *hash,
			 unsigned n, int32_t *pos)
{
	if (n && rte_hash_lookup_with_hash_bulk(ft->h, (const void **)(uintptr_t)k, hash, n, pos) < 0)
		for (unsigned i = 0; i < n; i++)
			pos[i] = rte_hash_lookup_with_hash(ft->h, k[i], hash[i]);
	for (unsigned i = 0; i < n; i++)
		if (pos[i] < 0)
			pos[i] = -1;
}

int32_t dp_flow_lookup(const struct dp_flow_table *ft, const struct dp_flow_key *k, uint32_t hash)
{
	int32_t pos = rte_hash_lookup_with_hash(ft->h, k, hash);

	return pos < 0 ? -1 : pos;
}

void dp_flow_remove(struct dp_flow_table *ft, const struct dp_flow_key *k, uint32_t hash)
{
	int32_t pos = rte_hash_del_key_with_hash(ft->h, k, hash);

	if (pos >= 0) {
		ft->expired++;
		ft->e[pos].last_ns = UINT64_MAX; /* never stale: the sweep passes a free slot by cheaply */
	}
}

struct dp_flow_entry *dp_flow_admit(struct dp_flow_table *ft, const struct dp_flow_key *k, uint32_t hash,
				    bool lo_is_src, uint64_t now_ns)
{
	int32_t pos = rte_hash_add_key_with_hash(ft->h, k, hash);

	if (pos < 0)
		return NULL;
	struct dp_flow_entry *e = &ft->e[pos];

	memset(e, 0, sizeof(*e));
	e->last_ns = now_ns;
	e->init_lo = lo_is_src;
	/* The NSG list is filled by the caller: clearing its few hundred bytes costs. */
	ft->info[pos].first_ns = now_ns;
	ft->info[pos].nnsg = 0;
	return e;
}

unsigned dp_flow_sweep(struct dp_flow_table *ft, uint64_t now_ns, unsigned budget,
		       void (*gone)(void *arg, const struct dp_flow_entry *e, const struct dp_flow_info *fi), void *arg)
{
	unsigned n = 0;

	for (unsigned i = 0; i < budget; i++) {
		uint32_t pos = ft->sweep;
		void *key;

		ft->sweep = pos + 1 < ft->cap ? pos + 1 : 0;
		struct dp_flow_entry *e = &ft->e[pos];

		if (!dp_flow_stale(ft, e, now_ns))
			continue;
		if (rte_hash_get_key_with_position(ft->h, (int32_t)pos, &key) < 0) {
			e->last_ns = UINT64_MAX;
			continue;
		}
		if (gone)
			gone(arg, e, &ft->info[pos]);
		dp_flow_remove(ft, key, dp_flow_hash(key));
		n++;
	}
	return n;
}

uint32_t dp_flow_path_intern(struct dp_flow_table *ft, const struct dp_flow_path *path)
{
	struct dp_flow_paths *ps = &ft->paths;
	size_t len = offsetof(struct dp_flow_path, hop) + (size_t)path->nhops * sizeof(path->hop[0]);
	uint32_t mask = 2 * ps->cap - 1, slot = rte_hash_crc(path, (uint32_t)len, 0) & mask, id;

	/* Flows in a row often take the same path. */
	if (ps->last && !memcmp(&ps->p[ps->last - 1], path, len))
		return ps->last;
	/* Callers zero the unused hops and padding, so equal paths have equal bytes. */
	while ((id = ps->slot[slot]) != 0) {
		if (!memcmp(&ps->p[id - 1], path, len))
			return ps->last = id;
		slot = (slot + 1) & mask;
	}
	if (ps->n == ps->cap) {
		ft->paths_full++;
		return 0;
	}
	ps->p[ps->n] = *path;
	ps->slot[slot] = ++ps->n;
	return ps->last = ps->n;
}

unsigned dp_flow_flush(struct dp_flow_table *ft,
		       void (*gone)(void *arg, const struct dp_flow_entry *e, const struct dp_flow_info *fi), void *arg)
{
	const void *key;
	void *data;
	uint32_t it = 0;
	int32_t pos;
	unsigned n = 0;

	while ((pos = rte_hash_iterate(ft->h, &key, &data, &it)) >= 0) {
		if (gone)
			gone(arg, &ft->e[pos], &ft->info[pos]);
		ft->e[pos].last_ns = UINT64_MAX;
		n++;
	}
	rte_hash_reset(ft->h);
	/* The cached paths name routes of the old topology: the store starts again. */
	memset(ft->paths.slot, 0, sizeof(*ft->paths.slot) * 2 * ft->paths.cap);
	ft->paths.n = 0;
	ft->paths.last = 0;
	return n;
}
