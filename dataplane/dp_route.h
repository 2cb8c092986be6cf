/*
 * Effective route tables compiled into rte_lpm (IPv4) and rte_lpm6 (IPv6): one pair per distinct
 * table, shared by the subnets whose active routes are the same.
 */
#ifndef DP_ROUTE_H
#define DP_ROUTE_H

#include "route.h"

struct rte_lpm;
struct rte_lpm6;

struct dp_rtab {
	struct rte_lpm *lpm4;               /* NULL when the table has no IPv4 route */
	struct rte_lpm6 *lpm6;
	const struct route_entry **active;  /* LPM next hop value -> the route */
	size_t nactive;
	/* rte_lpm takes depths 1..32 (1..128): a /0 route answers the lookups that miss. */
	const struct route_entry *deflt[2];
};

/* Built by dp_routes_build on the control thread; read-only afterwards, shared by all lcores. */
struct dp_routes {
	struct dp_rtab *tab;
	size_t ntab;
	int *subnet_tab; /* subnet -> index into tab */
};

/* A next hop question for the burst lookup. */
struct dp_route_query {
	int subnet;
	struct nws_ip dst;
};

int dp_rtab_build(struct dp_rtab *tb, const struct route_table *rt, struct nws_err *err);
void dp_rtab_free(struct dp_rtab *tb);
/* Bulk lookup in one table: IPv4 and IPv6 destinations may be mixed; n at most DP_ROUTE_BURST. */
void dp_rtab_lookup(const struct dp_rtab *tb, const struct nws_ip *dst, struct route_hop *hop, size_t n);

int dp_routes_build(struct dp_routes *r, const struct route_model *m, struct nws_err *err);
void dp_routes_free(struct dp_routes *r);
/* Any n; each burst is looked up with one bulk call per table and family it touches. */
void dp_routes_lookup(const struct dp_routes *r, const struct dp_route_query *q, struct route_hop *hop, size_t n);

/* Start fetching what a later lookup of dst in subnet's table will read (IPv4: its tbl24 entry). */
void dp_routes_prefetch(const struct dp_routes *r, int subnet, const struct nws_ip *dst);

#define DP_ROUTE_BURST 64

#endif
