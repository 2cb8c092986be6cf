/*
 * Effective route tables compiled for longest-prefix lookup: one per distinct table, shared by the
 * subnets whose active routes are the same; the largest in rte_lpm (IPv4) and rte_lpm6 (IPv6),
 * the others flat (see DP_ROUTE_LPM_TABLES).
 */
#ifndef DP_ROUTE_H
#define DP_ROUTE_H

#include "route.h"

struct rte_lpm;
struct rte_lpm6;

/*
 * One family of a table flattened: the address space cut into ranges, each answered by one route.
 * start[] ascends from 0; the range of k runs to start[k + 1] - 1; route[k] indexes active[], or
 * is -1 where no route covers it. A lookup is a binary search: no fixed cost per table.
 */
struct dp_flat {
	nws_u128 *start;
	int32_t *route;
	size_t n;
};

struct dp_rtab {
	bool lpm;                           /* compiled into rte_lpm/rte_lpm6; else flat */
	struct rte_lpm *lpm4;               /* NULL when the table has no IPv4 route */
	struct rte_lpm6 *lpm6;
	struct dp_flat flat[2];             /* IPv4, IPv6 */
	const struct route_entry **active;  /* LPM next hop value -> the route */
	size_t nactive;
	/* rte_lpm takes depths 1..32 (1..128): a /0 route answers the lookups that miss. */
	const struct route_entry *deflt[2];
};

/*
 * An rte_lpm (and rte_lpm6) costs 64 MiB and more whatever it holds; a flat table costs what its
 * routes need, and its lookup, a binary search, takes a step more for each doubling of its size.
 * The largest tables are compiled into rte_lpm, at most this many (a quarter of the 1 GiB nwsim
 * gives DPDK without hugepages); the others are flat. A
 * thousand subnets with their own route tables then need megabytes, not 64 GiB.
 */
#define DP_ROUTE_LPM_TABLES 4

/* Built by dp_routes_build on the control thread; read-only afterwards, shared by all lcores. */
struct dp_routes {
	struct dp_rtab *tab;
	size_t ntab, nlpm; /* distinct tables; of them in rte_lpm */
	int *subnet_tab; /* subnet -> index into tab */
};

/* A next hop question for the burst lookup. */
struct dp_route_query {
	int subnet;
	struct nws_ip dst;
};

/* lpm: into rte_lpm/rte_lpm6, else flat. */
int dp_rtab_build(struct dp_rtab *tb, const struct route_table *rt, bool lpm, struct nws_err *err);
void dp_rtab_free(struct dp_rtab *tb);
/* Bulk lookup in one table: IPv4 and IPv6 destinations may be mixed; n at most DP_ROUTE_BURST. */
void dp_rtab_lookup(const struct dp_rtab *tb, const struct nws_ip *dst, struct route_hop *hop, size_t n);

/* At most lpm_tables of the distinct tables (the largest) in rte_lpm: DP_ROUTE_LPM_TABLES. */
int dp_routes_build(struct dp_routes *r, const struct route_model *m, size_t lpm_tables, struct nws_err *err);
void dp_routes_free(struct dp_routes *r);
/* Any n; each burst is looked up with one bulk call per table and family it touches. */
void dp_routes_lookup(const struct dp_routes *r, const struct dp_route_query *q, struct route_hop *hop, size_t n);

/* Start fetching what a later lookup of dst in subnet's table will read (IPv4: its tbl24 entry). */
void dp_routes_prefetch(const struct dp_routes *r, int subnet, const struct nws_ip *dst);

#define DP_ROUTE_BURST 64

#endif
