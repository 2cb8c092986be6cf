/*
 * The packet path on the compiled tables: the same walk as rules/path.c, but a burst at a time,
 * with NSGs answered by rte_acl (dp_verify), routes by rte_lpm (dp_routes) and addresses by
 * an address table. Packets move through rounds of "evaluate NSGs" and "look up routes" until each is
 * delivered or dropped.
 */
#ifndef DP_PATH_H
#define DP_PATH_H

#include "dp_acl.h"
#include "dp_route.h"
#include "path.h"

struct dp_addr_slot;

/* Per network facts the walk needs, flattened at build time. */
struct dp_vnet {
	int gateway_vnet;       /* whose gateway this network uses, or -1 */
	struct nws_aset onprem; /* the local networks of its own gateway */
};

/* Built by dp_path_build on the control thread; read-only afterwards, shared by all lcores. */
struct dp_path {
	const struct topo *t;
	const struct nsg_model *nsg;
	const struct route_model *rm;
	const struct dp_acl *acl;
	const struct dp_routes *routes;
	struct dp_addr_slot *addr; /* (network or -1, address) -> NIC and IP configuration */
	uint32_t addr_mask;
	struct dp_vnet *vnet;
	bool at;               /* --at: one NIC's point of view (see struct path_env) */
	int at_nic;
};

/* Burst size of dp_path_walk. */
#define DP_PATH_BURST 64

int dp_path_build(struct dp_path *p, const struct topo *t, const struct nsg_model *nsg, const struct route_model *rm,
		  const struct dp_acl *acl, const struct dp_routes *routes, struct nws_err *err);
void dp_path_free(struct dp_path *p);

/* n at most DP_PATH_BURST flows; skip[i]: flow i is return traffic of an admitted flow. */
void dp_path_walk(const struct dp_path *p, const struct nws_flow *f, const bool *skip, struct path_result *r,
		  unsigned n);
/*
 * The same, writing each result where the caller points (no copies of ~1 KB results). tsc: NULL,
 * or where each walk's hops get the TSC at the end of the round that took them (tsc[i][h]; a
 * NULL tsc[i] is not stamped).
 */
void dp_path_walk_into(const struct dp_path *p, const struct nws_flow *f, const bool *skip, struct path_result *const *r,
		       uint64_t *const *tsc, unsigned n);
/*
 * Walks without NSGs (as return traffic) that also say where the walk with them would evaluate
 * NSGs, in marks[i]: bit 2h for the inbound NSGs at hop h, bit 2h + 1 for the outbound ones, so
 * that the bits in ascending order are the walk's order. What NSGs do to a packet is to stop it
 * at one of those points or not at all: the walk with NSGs is this one cut short at its first
 * refusal.
 */
void dp_path_walk_marks(const struct dp_path *p, const struct nws_flow *f, struct path_result *const *r, uint16_t *marks,
			unsigned n);

#endif
