/*
 * The stateful part of NSGs: a flow table, one per worker, so that the packets of a flow that was
 * admitted (in either direction) pass without rule evaluation, as Azure's flow records do.
 * Entries expire after an idle time measured on packet timestamps.
 */
#ifndef DP_FLOW_H
#define DP_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "nsg.h"

struct rte_hash;

/* Both directions of a flow map to one key: the lower (address, port) end first. */
struct dp_flow_key {
	uint8_t fam, proto;
	uint16_t port_lo, port_hi;
	uint8_t pad[2];
	uint8_t ip_lo[16], ip_hi[16];
};

/* An NSG that admitted the flow, for flow logs: which instance, at which NIC, which way, which rule. */
struct dp_flow_nsg {
	int32_t inst, nic;
	uint8_t dir; /* enum az_dir */
	const struct topo_rule *rule;
};

#define DP_FLOW_NSG_MAX 8

/*
 * A flow's path in one direction, once known: later packets of an admitted flow take the same
 * hops (no NSG is evaluated for them), so they are answered from here without a walk.
 */
struct dp_flow_path {
	uint8_t valid, nhops, delivered, code, drop_hop, origin; /* code: enum path_end or path_drop */
	struct {
		int16_t nic, vnet;
		uint8_t kind, ipcfg;
		const struct route_entry *route;
	} hop[8];
};

struct dp_flow_entry {
	uint64_t first_ns, last_ns;
	uint64_t packets[2], bytes[2]; /* [0] initiator to responder, [1] back */
	bool init_lo;                  /* the initiator is the key's lower end */
	bool ended;                    /* a TCP FIN or RST was seen */
	uint8_t nnsg;
	struct dp_flow_nsg nsg[DP_FLOW_NSG_MAX];
	struct nws_flow init;          /* the first packet's 5-tuple */
	struct dp_flow_path path[2];   /* per direction */
};

/* Owned by one worker lcore: never shared, so no locks. */
struct dp_flow_table {
	struct rte_hash *h;
	struct dp_flow_entry *e;
	uint32_t cap;
	uint64_t idle_ns;
	uint64_t evicted;  /* flows that expired or were pushed out when full */
};

#define DP_FLOW_IDLE_S 240 /* nwsim's choice: Azure documents no NSG flow idle time */
#define DP_FLOW_DEFAULT_CAPACITY (1u << 19)

int dp_flow_init(struct dp_flow_table *ft, uint32_t capacity, uint64_t idle_ns, struct nws_err *err);
void dp_flow_free(struct dp_flow_table *ft);
void dp_flow_key(struct dp_flow_key *k, const struct nws_flow *f, bool *lo_is_src);

/*
 * The admitted flow this packet belongs to, or NULL. *dir is 0 when the packet goes the way the
 * flow started, 1 when it goes back.
 */
struct dp_flow_entry *dp_flow_find(struct dp_flow_table *ft, const struct dp_flow_key *k, bool lo_is_src,
				   uint64_t now_ns, int *dir);
/* Record a flow admitted by this packet (the initiator's direction). NULL when the table is full. */
struct dp_flow_entry *dp_flow_admit(struct dp_flow_table *ft, const struct dp_flow_key *k, bool lo_is_src,
				    uint64_t now_ns);

#endif
