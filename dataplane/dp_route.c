#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_prefetch.h>
#include <rte_lpm6.h>
#include <rte_memory.h>

#include "dp_eal.h"
#include "dp_route.h"

static unsigned lpm_seq;

/* A lookup that found no route of length 1 or more: the /0 route, or no route at all. */
static void hop_miss(const struct dp_rtab *tb, int fam_idx, struct route_hop *hop)
{
	if (tb->deflt[fam_idx]) {
		route_hop_from(tb->deflt[fam_idx], hop);
		return;
	}
	memset(hop, 0, sizeof(*hop));
	hop->type = AZ_NH_NONE;
	hop->rt = -1;
}

int dp_rtab_build(struct dp_rtab *tb, const struct route_table *rt, struct nws_err *err)
{
	size_t n4 = 0, n6 = 0, tbl8_4 = 0, tbl8_6 = 0;
	char name[RTE_LPM_NAMESIZE];

	memset(tb, 0, sizeof(*tb));
	tb->active = calloc(rt->n ? rt->n : 1, sizeof(*tb->active));
	if (!tb->active)
		return nws_err_set(err, "out of memory");
	for (size_t i = 0; i < rt->n; i++) {
		const struct route_entry *e = &rt->e[i];

		if (e->state != ROUTE_ACTIVE)
			continue;
		if (e->prefix.len == 0) {
			tb->deflt[e->prefix.ip.fam == NWS_AF4 ? 0 : 1] = e;
			continue;
		}
		tb->active[tb->nactive++] = e;
		/* tbl8 groups: one per prefix longer than /24 (IPv4), one per byte past /24 (IPv6). */
		if (e->prefix.ip.fam == NWS_AF4) {
			n4++;
			tbl8_4 += e->prefix.len > 24;
		} else {
			n6++;
			tbl8_6 += e->prefix.len > 24 ? (e->prefix.len - 24 + 7) / 8 : 0;
		}
	}
	if (n4) {
		struct rte_lpm_config cfg = { .max_rules = (uint32_t)n4, .number_tbl8s = (uint32_t)tbl8_4 + 16 };

		snprintf(name, sizeof(name), "rt4-%u", lpm_seq++);
		tb->lpm4 = rte_lpm_create(name, SOCKET_ID_ANY, &cfg);
		if (!tb->lpm4)
			goto fail;
	}
	if (n6) {
		struct rte_lpm6_config cfg = { .max_rules = (uint32_t)n6, .number_tbl8s = (uint32_t)tbl8_6 + 16 };

		snprintf(name, sizeof(name), "rt6-%u", lpm_seq++);
		tb->lpm6 = rte_lpm6_create(name, SOCKET_ID_ANY, &cfg);
		if (!tb->lpm6)
			goto fail;
	}
	for (size_t i = 0; i < tb->nactive; i++) {
		const struct nws_prefix *p = &tb->active[i]->prefix;
		int rc;

		if (p->ip.fam == NWS_AF4) {
			rc = rte_lpm_add(tb->lpm4, (uint32_t)p->ip.v, p->len, (uint32_t)i);
		} else {
			uint8_t b[16];

			nws_ip_bytes(&p->ip, b);
			rc = rte_lpm6_add(tb->lpm6, b, p->len, (uint32_t)i);
		}
		if (rc < 0) {
			char s[NWS_PREFIX_STRLEN];

			dp_rtab_free(tb);
			return nws_err_set(err, "rte_lpm: cannot add %s: %s", nws_prefix_str(p, s), strerror(-rc));
		}
	}
	return 0;
fail:
	dp_rtab_free(tb);
	return nws_err_set(err, "rte_lpm_create(%s): %s", name, rte_strerror(rte_errno));
}

void dp_rtab_free(struct dp_rtab *tb)
{
	if (!tb)
		return;
	if (!dp_eal_exiting()) {
		rte_lpm_free(tb->lpm4);
		rte_lpm6_free(tb->lpm6);
	}
	free(tb->active);
	memset(tb, 0, sizeof(*tb));
}

void dp_rtab_lookup(const struct dp_rtab *tb, const struct nws_ip *dst, struct route_hop *hop, size_t n)
{
	uint32_t ip4[DP_ROUTE_BURST], nh4[DP_ROUTE_BURST];
	uint8_t ip6[DP_ROUTE_BURST][16];
	int32_t nh6[DP_ROUTE_BURST];
	uint8_t idx4[DP_ROUTE_BURST], idx6[DP_ROUTE_BURST];
	unsigned n4 = 0, n6 = 0;

	for (size_t i = 0; i < n; i++) {
		if (dst[i].fam == NWS_AF4) {
			idx4[n4] = (uint8_t)i;
			ip4[n4++] = (uint32_t)dst[i].v;
		} else {
			idx6[n6] = (uint8_t)i;
			nws_ip_bytes(&dst[i], ip6[n6++]);
		}
	}
	if (n4 && tb->lpm4)
		rte_lpm_lookup_bulk(tb->lpm4, ip4, nh4, n4);
	else if (n4)
		memset(nh4, 0, n4 * sizeof(nh4[0]));
	if (n6 && tb->lpm6)
		rte_lpm6_lookup_bulk_func(tb->lpm6, ip6, nh6, n6);
	else if (n6)
		memset(nh6, 0xff, n6 * sizeof(nh6[0]));
	for (unsigned k = 0; k < n4; k++) {
		if (nh4[k] & RTE_LPM_LOOKUP_SUCCESS)
			route_hop_from(tb->active[nh4[k] & 0x00ffffff], &hop[idx4[k]]);
		else
			hop_miss(tb, 0, &hop[idx4[k]]);
	}
	for (unsigned k = 0; k < n6; k++) {
		if (nh6[k] >= 0)
			route_hop_from(tb->active[nh6[k]], &hop[idx6[k]]);
		else
			hop_miss(tb, 1, &hop[idx6[k]]);
	}
}

static bool same_active(const struct route_table *a, const struct route_table *b)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < a->n && a->e[i].state != ROUTE_ACTIVE)
			i++;
		while (j < b->n && b->e[j].state != ROUTE_ACTIVE)
			j++;
		if (i == a->n || j == b->n)
			return i == a->n && j == b->n;
		const struct route_entry *x = &a->e[i++], *y = &b->e[j++];

		if (x->prefix.len != y->prefix.len || !nws_ip_eq(&x->prefix.ip, &y->prefix.ip) || x->type != y->type ||
		    x->has_ip != y->has_ip || (x->has_ip && !nws_ip_eq(&x->ip, &y->ip)) || x->rt != y->rt ||
		    x->source != y->source)
			return false;
	}
}

int dp_routes_build(struct dp_routes *r, const struct route_model *m, struct nws_err *err)
{
	size_t ns = m->t->nsubnets;

	memset(r, 0, sizeof(*r));
	r->tab = calloc(ns ? ns : 1, sizeof(*r->tab));
	r->subnet_tab = calloc(ns ? ns : 1, sizeof(*r->subnet_tab));
	if (!r->tab || !r->subnet_tab) {
		dp_routes_free(r);
		return nws_err_set(err, "out of memory");
	}
	for (size_t s = 0; s < ns; s++) {
		size_t k;

		/* Subnets of one network without their own route table share one compiled table. */
		for (k = 0; k < s; k++)
			if (same_active(&m->subnet[k], &m->subnet[s]))
				break;
		if (k < s) {
			r->subnet_tab[s] = r->subnet_tab[k];
			continue;
		}
		if (dp_rtab_build(&r->tab[r->ntab], &m->subnet[s], err) < 0) {
			nws_err_prefix(err, "subnet '%s': ", m->t->subnets[s].name);
			dp_routes_free(r);
			return -1;
		}
		r->subnet_tab[s] = (int)r->ntab++;
	}
	return 0;
}

void dp_routes_free(struct dp_routes *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->tab && i < r->ntab; i++)
		dp_rtab_free(&r->tab[i]);
	free(r->tab);
	free(r->subnet_tab);
	memset(r, 0, sizeof(*r));
}

void dp_routes_prefetch(const struct dp_routes *r, int subnet, const struct nws_ip *dst)
{
	const struct rte_lpm *lpm = r->tab[r->subnet_tab[subnet]].lpm4;

	/* The first-level table is 64 MB: a lookup there is a trip to memory. */
	if (lpm && dst->fam == NWS_AF4)
		rte_prefetch0(&lpm->tbl24[(uint32_t)dst->v >> 8]);
}

void dp_routes_lookup(const struct dp_routes *r, const struct dp_route_query *q, struct route_hop *hop, size_t n)
{
	struct nws_ip dst[DP_ROUTE_BURST];
	struct route_hop tmp[DP_ROUTE_BURST];
	uint8_t pos[DP_ROUTE_BURST];

	for (size_t base = 0; base < n; base += DP_ROUTE_BURST) {
		size_t m = n - base < DP_ROUTE_BURST ? n - base : DP_ROUTE_BURST;
		uint64_t done = 0;

		/* One bulk lookup per table that the burst touches. */
		for (size_t i = 0; i < m; i++) {
			if (done & (1ull << i))
				continue;
			int tab = r->subnet_tab[q[base + i].subnet];
			size_t k = 0;

			for (size_t j = i; j < m; j++)
				if (!(done & (1ull << j)) && r->subnet_tab[q[base + j].subnet] == tab) {
					pos[k] = (uint8_t)j;
					dst[k++] = q[base + j].dst;
					done |= 1ull << j;
				}
			dp_rtab_lookup(&r->tab[tab], dst, tmp, k);
			for (size_t j = 0; j < k; j++)
				hop[base + pos[j]] = tmp[j];
		}
	}
}
