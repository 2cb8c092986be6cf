#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "dp_flow.h"

int dp_flow_init(struct dp_flow_table *ft, uint32_t capacity, uint64_t idle_ns, struct nws_err *err)
{
	static unsigned seq;
	char name[RTE_HASH_NAMESIZE];

	memset(ft, 0, sizeof(*ft));
	snprintf(name, sizeof(name), "flows-%u", seq++);
	struct rte_hash_parameters p = {
		.name = name, .entries = capacity, .key_len = sizeof(struct dp_flow_key), .hash_func = rte_jhash,
		.socket_id = SOCKET_ID_ANY,
	};

	ft->h = rte_hash_create(&p);
	ft->e = rte_zmalloc("flow-entries", sizeof(*ft->e) * capacity, 64);
	ft->cap = capacity;
	ft->idle_ns = idle_ns;
	if (!ft->h || !ft->e) {
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
	memset(ft, 0, sizeof(*ft));
}

static int cmp_end(const struct nws_ip *a, uint16_t pa, const struct nws_ip *b, uint16_t pb)
{
	if (a->v != b->v)
		return a->v < b->v ? -1 : 1;
	return (pa > pb) - (pa < pb);
}

void dp_flow_key(struct dp_flow_key *k, const struct nws_flow *f, bool *lo_is_src)
{
	const struct nws_ip *lo = &f->src, *hi = &f->dst;
	uint16_t plo = f->sport, phi = f->dport;

	*lo_is_src = cmp_end(&f->src, f->sport, &f->dst, f->dport) <= 0;
	if (!*lo_is_src) {
		lo = &f->dst;
		hi = &f->src;
		plo = f->dport;
		phi = f->sport;
	}
	memset(k, 0, sizeof(*k));
	k->fam = f->src.fam;
	k->proto = f->proto;
	k->port_lo = plo;
	k->port_hi = phi;
	nws_ip_bytes(lo, k->ip_lo);
	nws_ip_bytes(hi, k->ip_hi);
}

struct dp_flow_entry *dp_flow_find(struct dp_flow_table *ft, const struct dp_flow_key *k, bool lo_is_src,
				   uint64_t now_ns, int *dir)
{
	int32_t pos = rte_hash_lookup(ft->h, k);

	if (pos < 0)
		return NULL;
	struct dp_flow_entry *e = &ft->e[pos];

	if (now_ns - e->last_ns > ft->idle_ns && now_ns > e->last_ns) {
		rte_hash_del_key(ft->h, k);
		ft->evicted++;
		return NULL;
	}
	*dir = e->init_lo == lo_is_src ? 0 : 1;
	e->last_ns = now_ns > e->last_ns ? now_ns : e->last_ns;
	return e;
}

struct dp_flow_entry *dp_flow_admit(struct dp_flow_table *ft, const struct dp_flow_key *k, bool lo_is_src,
				    uint64_t now_ns)
{
	int32_t pos = rte_hash_add_key(ft->h, k);

	if (pos < 0)
		return NULL;
	struct dp_flow_entry *e = &ft->e[pos];

	/* The NSG list and paths are filled by the caller: clearing their few hundred bytes costs. */
	memset(e, 0, offsetof(struct dp_flow_entry, nnsg));
	e->nnsg = 0;
	e->path[0].valid = e->path[1].valid = 0;
	e->first_ns = e->last_ns = now_ns;
	e->init_lo = lo_is_src;
	return e;
}
