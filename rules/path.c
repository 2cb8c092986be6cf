#include <string.h>

#include "path.h"

const char *const path_drop_name[PATH_DROP_COUNT] = {
#define X(e, s) s,
	PATH_DROP_REASONS(X)
#undef X
};

int path_find_nic(const struct topo *t, int vnet, const struct nws_ip *ip, int *ipcfg)
{
	for (size_t n = 0; n < t->nnics; n++)
		for (size_t i = 0; i < t->nics[n].nipcfgs; i++) {
			const struct topo_ipcfg *c = &t->nics[n].ipcfgs[i];

			if (nws_ip_eq(&c->ip, ip) && (vnet < 0 || t->subnets[c->subnet].vnet == vnet)) {
				*ipcfg = (int)i;
				return (int)n;
			}
		}
	return -1;
}

static bool gateway_has(const struct topo_gateway *gw, const struct nws_ip *ip)
{
	for (size_t i = 0; gw && i < gw->nlocalnets; i++)
		if (topo_plist_contains(&gw->localnets[i].pfx, ip))
			return true;
	return false;
}

/* The gateway a network's traffic uses: its own, or a peer's it is allowed to use. */
static int gateway_vnet(const struct topo *t, int v)
{
	if (t->vnets[v].gateway)
		return v;
	for (size_t i = 0; i < t->vnets[v].npeerings; i++)
		if (t->vnets[v].peerings[i].use_remote_gateways)
			return t->vnets[v].peerings[i].remote;
	return -1;
}

static const struct topo_peering *peering(const struct topo *t, int from, int to)
{
	for (size_t i = 0; i < t->vnets[from].npeerings; i++)
		if (t->vnets[from].peerings[i].remote == to)
			return &t->vnets[from].peerings[i];
	return NULL;
}

static int vm_of(const struct topo *t, int nic)
{
	return t->nics[nic].vm;
}

static struct path_hop *add_hop(struct path_result *r, enum path_hop_kind kind, int nic, int ipcfg)
{
	struct path_hop *h = &r->hops[r->nhops++];

	memset(h, 0, sizeof(*h));
	h->kind = kind;
	h->nic = nic;
	h->ipcfg = ipcfg;
	h->vnet = -1;
	return h;
}

static void drop(struct path_result *r, enum path_drop why)
{
	r->delivered = false;
	r->reason = why;
	r->drop_hop = r->nhops - 1;
}

static void deliver(struct path_result *r, enum path_end end)
{
	r->delivered = true;
	r->end = end;
}

/* NSGs of one NIC in one direction; false when they deny. */
static bool nsg_pass(const struct path_env *e, struct path_hop *h, enum az_dir dir, const struct nws_flow *f,
		     bool skip)
{
	struct nsg_verdict *v = dir == AZ_INBOUND ? &h->nsg_in : &h->nsg_out;

	if (skip)
		return true;
	nsg_ref_verify(e->nsg, h->nic, h->ipcfg, dir, f, v);
	if (dir == AZ_INBOUND)
		h->has_in = true;
	else
		h->has_out = true;
	return v->access == AZ_ALLOW;
}

/* The last hop: a VM of the topology receives the packet. */
static void arrive(const struct path_env *e, int nic, int ipcfg, const struct nws_flow *f, bool skip,
		   struct path_result *r)
{
	struct path_hop *h = add_hop(r, PATH_HOP_DESTINATION, nic, ipcfg);

	if (!e->t->vms[vm_of(e->t, nic)].running)
		return drop(r, PATH_DROP_VM_STOPPED);
	if (!nsg_pass(e, h, AZ_INBOUND, f, skip))
		return drop(r, PATH_DROP_NSG_INBOUND);
	deliver(r, PATH_END_VM);
}

/* A NIC of network vnet or of a network peered with it that owns ip. */
static int find_near(const struct topo *t, int vnet, const struct nws_ip *ip, int *ipcfg, int *in_vnet)
{
	int n = path_find_nic(t, vnet, ip, ipcfg);

	*in_vnet = vnet;
	for (size_t i = 0; n < 0 && i < t->vnets[vnet].npeerings; i++) {
		*in_vnet = t->vnets[vnet].peerings[i].remote;
		n = path_find_nic(t, *in_vnet, ip, ipcfg);
	}
	return n;
}

/* Route from subnet onwards, until the packet arrives, leaves the topology or is dropped. */
static void route_from(const struct path_env *e, int subnet, const struct nws_flow *f, bool skip,
		       struct path_result *r)
{
	const struct topo *t = e->t;
	bool forwarded = false;

	for (;;) {
		struct path_hop *cur = &r->hops[r->nhops - 1];
		int vnet = t->subnets[subnet].vnet;
		struct route_hop rh;
		int ipcfg, nic, dvnet;

		/* Azure carries no multicast or broadcast: nothing routes it, within the network or out. */
		if (nws_ip_is_group(&f->dst))
			return drop(r, PATH_DROP_MULTICAST);
		route_ref_lookup(&e->rm->subnet[subnet], &f->dst, &rh);
		cur->route = rh.route;
		if (!rh.route)
			return drop(r, PATH_DROP_NO_ROUTE);
		switch (rh.type) {
		case AZ_NH_NONE:
			return drop(r, PATH_DROP_ROUTE_NONE);
		case AZ_NH_INTERNET:
			add_hop(r, PATH_HOP_INTERNET, -1, -1);
			return deliver(r, PATH_END_INTERNET);
		case AZ_NH_VNETLOCAL:
			nic = path_find_nic(t, vnet, &f->dst, &ipcfg);
			if (nic < 0)
				return drop(r, PATH_DROP_UNKNOWN_DESTINATION);
			return arrive(e, nic, ipcfg, f, skip, r);
		case AZ_NH_VNETPEERING:
			nic = find_near(t, vnet, &f->dst, &ipcfg, &dvnet);
			if (nic < 0 || dvnet == vnet)
				return drop(r, PATH_DROP_UNKNOWN_DESTINATION);
			/* What an appliance forwards into a peering passes only if the far side allows it. */
			if (forwarded && !peering(t, dvnet, vnet)->allow_forwarded)
				return drop(r, PATH_DROP_FORWARDED_TRAFFIC_BLOCKED);
			return arrive(e, nic, ipcfg, f, skip, r);
		case AZ_NH_VNETGATEWAY: {
			int gv = gateway_vnet(t, vnet);
			struct path_hop *g = add_hop(r, PATH_HOP_GATEWAY, -1, -1);

			g->vnet = gv;
			if (gv < 0 || !gateway_has(t->vnets[gv].gateway, &f->dst))
				return drop(r, PATH_DROP_GATEWAY_NO_ROUTE);
			return deliver(r, PATH_END_ON_PREMISES);
		}
		case AZ_NH_VIRTUALAPPLIANCE:
			break;
		default:
			return drop(r, PATH_DROP_NO_ROUTE);
		}
		/* A virtual appliance: a NIC of this network or a peered one with the next hop address. */
		nic = find_near(t, vnet, &rh.ip, &ipcfg, &dvnet);
		if (nic < 0)
			return drop(r, PATH_DROP_APPLIANCE_MISSING);
		if (nws_ip_eq(&rh.ip, &f->dst))
			return arrive(e, nic, ipcfg, f, skip, r); /* the appliance is the destination */
		if (r->nhops >= PATH_MAX_HOPS - 1) {
			add_hop(r, PATH_HOP_APPLIANCE, nic, ipcfg);
			return drop(r, PATH_DROP_ROUTING_LOOP);
		}
		struct path_hop *h = add_hop(r, PATH_HOP_APPLIANCE, nic, ipcfg);
		const struct topo_vm *vm = &t->vms[vm_of(t, nic)];

		if (!vm->running)
			return drop(r, PATH_DROP_VM_STOPPED);
		if (!nsg_pass(e, h, AZ_INBOUND, f, skip))
			return drop(r, PATH_DROP_NSG_INBOUND);
		/* Azure drops what a NIC without IP forwarding receives for another address. */
		if (!t->nics[nic].ip_forwarding || vm->forwarding == 0)
			return drop(r, PATH_DROP_APPLIANCE_NOT_FORWARDING);
		if (!nsg_pass(e, h, AZ_OUTBOUND, f, skip))
			return drop(r, PATH_DROP_NSG_OUTBOUND);
		subnet = t->nics[nic].ipcfgs[ipcfg].subnet;
		forwarded = true;
	}
}

static int nic_owns(const struct topo *t, int nic, const struct nws_ip *ip)
{
	return topo_find_ipcfg(t, nic, ip);
}

/* --at: only the one NIC's NSGs, and for what it sends, its subnet's route. */
static void walk_at(const struct path_env *e, const struct nws_flow *f, bool skip, struct path_result *r)
{
	const struct topo *t = e->t;
	int ipcfg = nic_owns(t, e->at_nic, &f->src);

	if (ipcfg >= 0) {
		struct path_hop *h = add_hop(r, PATH_HOP_SOURCE, e->at_nic, ipcfg);
		struct route_hop rh;

		r->origin = PATH_FROM_VM;
		if (!t->vms[vm_of(t, e->at_nic)].running)
			return drop(r, PATH_DROP_VM_STOPPED);
		if (!nsg_pass(e, h, AZ_OUTBOUND, f, skip))
			return drop(r, PATH_DROP_NSG_OUTBOUND);
		if (nws_ip_is_group(&f->dst))
			return drop(r, PATH_DROP_MULTICAST);
		route_ref_lookup(&e->rm->subnet[t->nics[e->at_nic].ipcfgs[ipcfg].subnet], &f->dst, &rh);
		h->route = rh.route;
		if (!rh.route)
			return drop(r, PATH_DROP_NO_ROUTE);
		if (rh.type == AZ_NH_NONE)
			return drop(r, PATH_DROP_ROUTE_NONE);
		return deliver(r, PATH_END_NETWORK);
	}
	/* Whatever does not come from the NIC comes from elsewhere, as far as it can tell. */
	r->origin = PATH_FROM_INTERNET;
	ipcfg = nic_owns(t, e->at_nic, &f->dst);
	if (ipcfg >= 0)
		return arrive(e, e->at_nic, ipcfg, f, skip, r);
	add_hop(r, PATH_HOP_INTERNET, -1, -1);
	drop(r, PATH_DROP_NOT_AT_NIC);
}

void path_walk(const struct path_env *e, const struct nws_flow *f, bool skip_nsg, struct path_result *r)
{
	const struct topo *t = e->t;
	int ipcfg, nic = path_find_nic(t, -1, &f->src, &ipcfg);

	memset(r, 0, sizeof(*r));
	if (e->at)
		return walk_at(e, f, skip_nsg, r);
	if (nic >= 0) {
		struct path_hop *h = add_hop(r, PATH_HOP_SOURCE, nic, ipcfg);

		r->origin = PATH_FROM_VM;
		if (!t->vms[vm_of(t, nic)].running)
			return drop(r, PATH_DROP_VM_STOPPED);
		if (!nsg_pass(e, h, AZ_OUTBOUND, f, skip_nsg))
			return drop(r, PATH_DROP_NSG_OUTBOUND);
		return route_from(e, t->nics[nic].ipcfgs[ipcfg].subnet, f, skip_nsg, r);
	}
	/* From on-premises: through a gateway whose local networks hold the source. */
	for (size_t v = 0; v < t->nvnets; v++) {
		if (!gateway_has(t->vnets[v].gateway, &f->src))
			continue;
		struct path_hop *g = add_hop(r, PATH_HOP_GATEWAY, -1, -1);
		int dvnet;

		g->vnet = (int)v;
		r->origin = PATH_FROM_ON_PREMISES;
		nic = find_near(t, (int)v, &f->dst, &ipcfg, &dvnet);
		/* A peer is reached through this gateway only when it uses it. */
		if (nic >= 0 && dvnet != (int)v && gateway_vnet(t, dvnet) != (int)v)
			nic = -1;
		if (nic < 0)
			return drop(r, PATH_DROP_UNKNOWN_DESTINATION);
		return arrive(e, nic, ipcfg, f, skip_nsg, r);
	}
	/* From the internet: to a VM's private address, as its public address is translated. */
	nic = path_find_nic(t, -1, &f->dst, &ipcfg);
	r->origin = PATH_FROM_INTERNET;
	add_hop(r, PATH_HOP_INTERNET, -1, -1);
	if (nic < 0)
		return drop(r, PATH_DROP_OUTSIDE_TOPOLOGY);
	arrive(e, nic, ipcfg, f, skip_nsg, r);
}
