/*
 * The hop-by-hop path a packet takes through the topology, walked the plain way: locate the
 * endpoints, then source NIC outbound NSGs, the route in the source subnet's table, appliances
 * (their NSGs, whether they forward, their own subnet's routes), peerings and gateways, and the
 * destination NIC's inbound NSGs. Every packet ends delivered, or dropped with exactly one
 * reason at one hop. This is the reference the compiled dataplane is tested against.
 */
#ifndef PATH_H
#define PATH_H

#include "nsg.h"
#include "route.h"

/* Why a packet was dropped: the enum, the names reports use, and the counters. */
#define PATH_DROP_REASONS(X)                                                                       \
	X(NSG_OUTBOUND, "nsg-outbound")                                                           \
	X(NSG_INBOUND, "nsg-inbound")                                                             \
	X(ROUTE_NONE, "route-none")                                                               \
	X(NO_ROUTE, "no-route")                                                                   \
	X(UNKNOWN_DESTINATION, "unknown-destination")                                             \
	X(APPLIANCE_MISSING, "appliance-missing")                                                 \
	X(APPLIANCE_NOT_FORWARDING, "appliance-not-forwarding")                                   \
	X(FORWARDED_TRAFFIC_BLOCKED, "peering-forwarded-traffic-blocked")                         \
	X(GATEWAY_NO_ROUTE, "gateway-no-route")                                                   \
	X(VM_STOPPED, "vm-stopped")                                                               \
	X(ROUTING_LOOP, "routing-loop")                                                           \
	X(OUTSIDE_TOPOLOGY, "outside-topology")                                                   \
	X(NOT_AT_NIC, "not-at-nic")                                                               \
	X(MULTICAST, "multicast-or-broadcast")

enum path_drop {
#define X(e, s) PATH_DROP_##e,
	PATH_DROP_REASONS(X)
#undef X
	PATH_DROP_COUNT,
};

extern const char *const path_drop_name[PATH_DROP_COUNT];

enum path_hop_kind { PATH_HOP_SOURCE, PATH_HOP_APPLIANCE, PATH_HOP_DESTINATION, PATH_HOP_GATEWAY, PATH_HOP_INTERNET };
/* Where a delivered packet went; NETWORK: with --at, it left the NIC onto its route. */
enum path_end { PATH_END_VM, PATH_END_INTERNET, PATH_END_ON_PREMISES, PATH_END_NETWORK, PATH_END_COUNT };

/* Where a packet enters the topology. */
enum path_origin { PATH_FROM_VM, PATH_FROM_ON_PREMISES, PATH_FROM_INTERNET };

#define PATH_MAX_HOPS 8

struct path_hop {
	enum path_hop_kind kind;
	int nic, ipcfg;                  /* PATH_HOP_SOURCE/APPLIANCE/DESTINATION */
	int vnet;                        /* PATH_HOP_GATEWAY: the network whose gateway */
	const struct route_entry *route; /* the route that left this hop; NULL at the last hop */
	struct nsg_verdict nsg_in, nsg_out;
	bool has_in, has_out;
};

struct path_result {
	bool delivered;
	enum path_end end;      /* when delivered */
	enum path_drop reason;  /* when dropped */
	int drop_hop;           /* index into hops of the hop that dropped it */
	enum path_origin origin;
	int nhops;
	struct path_hop hops[PATH_MAX_HOPS];
};

/* Read-only view the walk needs; built by the caller from the same topology. */
struct path_env {
	const struct topo *t;
	const struct nsg_model *nsg;
	const struct route_model *rm;
	/*
	 * at: judge every packet from one NIC's point of view (a capture taken on its VM): what it
	 * sends meets its outbound NSGs and its subnet's route, what it receives its inbound NSGs.
	 */
	bool at;
	int at_nic;
};

/*
 * Walk one packet. skip_nsg: the packet belongs to a flow already admitted in the other
 * direction (NSGs are stateful), so no rule is evaluated; routes still are.
 */
void path_walk(const struct path_env *e, const struct nws_flow *f, bool skip_nsg, struct path_result *r);

/* The NIC (and IP configuration) that owns ip in network vnet, or any network when vnet < 0. */
int path_find_nic(const struct topo *t, int vnet, const struct nws_ip *ip, int *ipcfg);

#endif
