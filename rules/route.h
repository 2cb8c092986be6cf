/*
 * Azure's routing: the effective route table of each subnet (system, peering, gateway and
 * user-defined routes, with the selection that marks overridden ones Invalid), and the linear
 * reference next-hop lookup that is the oracle for the compiled rte_lpm tables.
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stdbool.h>

#include "topo.h"

enum route_source { ROUTE_SRC_DEFAULT, ROUTE_SRC_GATEWAY, ROUTE_SRC_USER, ROUTE_SRC_COUNT };
enum route_state { ROUTE_ACTIVE, ROUTE_INVALID };

struct route_entry {
	struct nws_prefix prefix;
	enum az_nexthop type;
	bool has_ip;
	struct nws_ip ip;
	enum route_source source;
	enum route_state state;
	const char *name; /* the user-defined route's name; NULL for the others */
	int rt;           /* route table of a user-defined route, else -1 */
};

/* One subnet's effective routes, every route listed, winners Active. Owned by struct route_model. */
struct route_table {
	struct route_entry *e;
	size_t n;
	bool disable_bgp;
	int shared_with; /* an earlier subnet with the same active routes, or -1 (see dp_route) */
};

/* Built once from a topology by route_model_build; read-only afterwards. */
struct route_model {
	const struct topo *t;
	struct route_table *subnet; /* per subnet */
	struct nws_arena arena;
};

/* The answer of next hop. */
struct route_hop {
	enum az_nexthop type;
	bool has_ip;
	struct nws_ip ip;
	int rt;                          /* route table id to report, or -1 for "System Route" */
	const struct route_entry *route; /* the deciding route; NULL when none matched */
};

extern const char *const route_source_name[ROUTE_SRC_COUNT];
extern const char *const route_state_name[2];

int route_model_build(struct route_model *m, const struct topo *t, struct nws_err *err);
void route_model_free(struct route_model *m);

/*
 * Effective routes of one subnet, given explicitly: the routes are taken as listed, and the
 * selection (states, removals) is applied. Used by route_model_build and by tests that build
 * tables of their own. Entries are copied into arena.
 */
int route_table_select(struct nws_arena *a, const struct route_entry *in, size_t n, struct route_table *out);

/*
 * Reference next hop: a linear scan over every listed route (Invalid included) that leaves out
 * BGP routes inside the network's own or a peered range, then applies longest prefix first and
 * User > the network's and peerings' system routes > BGP > other system routes, without
 * trusting the states.
 */
void route_ref_lookup(const struct route_table *tb, const struct nws_ip *dst, struct route_hop *hop);
/* The hop a route gives. */
void route_hop_from(const struct route_entry *r, struct route_hop *hop);

#endif
