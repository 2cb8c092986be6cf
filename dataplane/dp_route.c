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

/* An active route and what a lookup answers for it: its index in active[]. */
struct flat_route {
	const struct route_entry *e;
	int32_t answer;
};

static int by_start_then_len(const void *a, const void *b)
{
	const struct route_entry *x = ((const struct flat_route *)a)->e, *y = ((const struct flat_route *)b)->e;

	if (x->prefix.ip.v != y->prefix.ip.v)
		return x->prefix.ip.v < y->prefix.ip.v ? -1 : 1;
	return (x->prefix.len > y->prefix.len) - (x->prefix.len < y->prefix.len);
}

/* A range starting at s answered by r: merged into the range before when that answers the same. */
static void flat_cut(struct dp_flat *f, nws_u128 s, int32_t r)
{
	if (f->n && f->start[f->n - 1] == s) {
		f->route[f->n - 1] = r; /* a longer prefix starting where a shorter one does */
		if (f->n > 1 && f->route[f->n - 2] == r)
			f->n--;
		return;
	}
	if (f->n && f->route[f->n - 1] == r)
		return;
	f->start[f->n] = s;
	f->route[f->n++] = r;
}

/*
 * Active prefixes nest or are disjoint, so one sweep in address order, holding the prefixes that
 * cover the current address on a stack, cuts the space into ranges: a prefix opens a range
 * answered by it, and where it ends the range goes back to the prefix under it.
 */
static int flat_build(struct dp_flat *f, const struct flat_route *r, size_t n, int fam)
{
	const struct flat_route **stack = malloc((n ? n : 1) * sizeof(*stack));
	size_t top = 0;
	nws_u128 all = nws_mask(fam, nws_fam_bits(fam));

	f->n = 0;
	f->start = malloc((2 * n + 1) * sizeof(*f->start));
	f->route = malloc((2 * n + 1) * sizeof(*f->route));
	if (!stack || !f->start || !f->route) {
		free(stack);
		return -1;
	}
	flat_cut(f, 0, -1);
	for (size_t i = 0; i <= n; i++) {
		/* Close the prefixes that end before this one starts (all of them after the last). */
		while (top) {
			const struct route_entry *o = stack[top - 1]->e;
			nws_u128 end = o->prefix.ip.v | (~nws_mask(fam, o->prefix.len) & all);

			if (i < n && end >= r[i].e->prefix.ip.v)
				break;
			top--;
			if (end != all)
				flat_cut(f, end + 1, top ? stack[top - 1]->answer : -1);
		}
		if (i == n)
			break;
		flat_cut(f, r[i].e->prefix.ip.v, r[i].answer);
		stack[top++] = &r[i];
	}
	free(stack);
	return 0;
}

static int32_t flat_find(const struct dp_flat *f, nws_u128 a)
{
	size_t lo = 0, hi = f->n; /* the last start <= a: start[0] is 0, so there is one */

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (f->start[mid] <= a)
			lo = mid;
		else
			hi = mid;
	}
	return f->route[lo];
}

/* Both families' flat tables from the active routes; a miss goes to the /0 route, as in rte_lpm. */
static int flat_tables(struct dp_rtab *tb)
{
	struct flat_route *r = malloc((tb->nactive ? tb->nactive : 1) * sizeof(*r));
	int rc = 0;

	if (!r)
		return -1;
	for (int fi = 0; fi < 2 && rc == 0; fi++) {
		int fam = fi ? NWS_AF6 : NWS_AF4;
		size_t n = 0;

		for (size_t i = 0; i < tb->nactive; i++)
			if (tb->active[i]->prefix.ip.fam == fam)
				r[n++] = (struct flat_route){ tb->active[i], (int32_t)i };
		qsort(r, n, sizeof(*r), by_start_then_len);
		rc = flat_build(&tb->flat[fi], r, n, fam);
	}
	free(r);
	return rc;
}

int dp_rtab_build(struct dp_rtab *tb, const struct route_table *rt, bool lpm, struct nws_err *err)
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
	tb->lpm = lpm;
	if (!lpm) {
		if (flat_tables(tb) < 0) {
			dp_rtab_free(tb);
			return nws_err_set(err, "out of memory");
		}
		return 0;
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
	for (int f = 0; f < 2; f++) {
		free(tb->flat[f].start);
		free(tb->flat[f].route);
	}
	free(tb->active);
	memset(tb, 0, sizeof(*tb));
}

static void flat_lookup(const struct dp_rtab *tb, const struct nws_ip *dst, struct route_hop *hop, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int fi = dst[i].fam == NWS_AF4 ? 0 : 1;
		int32_t a = flat_find(&tb->flat[fi], dst[i].v);

		if (a >= 0)
			route_hop_from(tb->active[a], &hop[i]);
		else
			hop_miss(tb, fi, &hop[i]);
	}
}

void dp_rtab_lookup(const struct dp_rtab *tb, const struct nws_ip *dst, struct route_hop *hop, size_t n)
{
	uint32_t ip4[DP_ROUTE_BURST], nh4[DP_ROUTE_BURST];
	uint8_t ip6[DP_ROUTE_BURST][16];
	int32_t nh6[DP_ROUTE_BURST];
	uint8_t idx4[DP_ROUTE_BURST], idx6[DP_ROUTE_BURST];
	unsigned n4 = 0, n6 = 0;

	if (!tb->lpm) {
		flat_lookup(tb, dst, hop, n);
		return;
	}
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

static int size_desc(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x < y) - (x > y);
}

static size_t active_count(const struct route_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += t->e[i].state == ROUTE_ACTIVE;
	return n;
}

int dp_routes_build(struct dp_routes *r, const struct route_model *m, size_t lpm_tables, struct nws_err *err)
{
	size_t ns = m->t->nsubnets;
	size_t lpm_min = 0;

	memset(r, 0, sizeof(*r));
	r->tab = calloc(ns ? ns : 1, sizeof(*r->tab));
	r->subnet_tab = calloc(ns ? ns : 1, sizeof(*r->subnet_tab));
	if (!r->tab || !r->subnet_tab) {
		dp_routes_free(r);
		return nws_err_set(err, "out of memory");
	}
	/* The lpm_tables-th largest table's size: tables at least that large go to rte_lpm. */
	if (lpm_tables && ns) {
		size_t *sorted = malloc(ns * sizeof(*sorted));

		if (!sorted) {
			dp_routes_free(r);
			return nws_err_set(err, "out of memory");
		}
		for (size_t s = 0; s < ns; s++)
			sorted[s] = active_count(&m->subnet[s]);
		qsort(sorted, ns, sizeof(*sorted), size_desc);
		lpm_min = sorted[(lpm_tables < ns ? lpm_tables : ns) - 1];
		free(sorted);
	}
	size_t nlpm = 0;

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
		bool lpm = lpm_tables && nlpm < lpm_tables && active_count(&m->subnet[s]) >= lpm_min;

		if (dp_rtab_build(&r->tab[r->ntab], &m->subnet[s], lpm, err) < 0) {
			nws_err_prefix(err, "subnet '%s': ", m->t->subnets[s].name);
			dp_routes_free(r);
			return -1;
		}
		nlpm += lpm;
		r->subnet_tab[s] = (int)r->ntab++;
	}
	r->nlpm = nlpm;
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
