#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "dp_crc.h"
#include "dp_path.h"
#include "dp_verify.h"

/*
 * The address table: (network, address) -> NIC and IP configuration, network -1 standing for any
 * (the first NIC that has the address). Open addressing at most a quarter full, so the common
 * question, an address no NIC has (the internet), is answered by one empty slot.
 */
struct dp_addr_slot {
	uint64_t w0;     /* network (32 bits) | family << 32 | 1 << 40 (0: free slot) */
	uint64_t hi, lo; /* the address */
	uint32_t nic, ipcfg;
};

static inline uint64_t addr_w0(int vnet, const struct nws_ip *ip)
{
	return (uint64_t)(uint32_t)vnet | (uint64_t)ip->fam << 32 | 1ull << 40;
}

static inline uint32_t addr_hash(uint64_t w0, const struct nws_ip *ip)
{
	uint32_t h = dp_crc_8byte(w0, 0);

	h = dp_crc_8byte((uint64_t)(ip->v >> 64), h);
	return dp_crc_8byte((uint64_t)ip->v, h);
}

/* The slot of (vnet, ip): the one holding it, or the free one where it would go. */
static struct dp_addr_slot *addr_slot(const struct dp_path *p, int vnet, const struct nws_ip *ip)
{
	uint64_t w0 = addr_w0(vnet, ip), hi = (uint64_t)(ip->v >> 64), lo = (uint64_t)ip->v;
	uint32_t i = addr_hash(w0, ip) & p->addr_mask;

	/* The table always has free slots, so this ends. */
	for (;; i = (i + 1) & p->addr_mask) {
		struct dp_addr_slot *s = &p->addr[i];

		if (!s->w0 || (s->w0 == w0 && s->hi == hi && s->lo == lo))
			return s;
	}
}

int dp_path_build(struct dp_path *p, const struct topo *t, const struct nsg_model *nsg, const struct route_model *rm,
		  const struct dp_acl *acl, const struct dp_routes *routes, struct nws_err *err)
{
	size_t naddr = 0, nslots = 16;

	memset(p, 0, sizeof(*p));
	*p = (struct dp_path){ .t = t, .nsg = nsg, .rm = rm, .acl = acl, .routes = routes };
	for (size_t n = 0; n < t->nnics; n++)
		naddr += t->nics[n].nipcfgs;
	/* Two keys an address. */
	while (nslots < naddr * 8)
		nslots <<= 1;
	p->addr = calloc(nslots, sizeof(*p->addr));
	p->addr_mask = (uint32_t)nslots - 1;
	p->vnet = calloc(t->nvnets ? t->nvnets : 1, sizeof(*p->vnet));
	if (!p->addr || !p->vnet)
		goto oom;
	for (size_t n = 0; n < t->nnics; n++)
		for (size_t i = 0; i < t->nics[n].nipcfgs; i++) {
			const struct topo_ipcfg *c = &t->nics[n].ipcfgs[i];
			int vnets[2] = { t->subnets[c->subnet].vnet, -1 };

			for (int k = 0; k < 2; k++) {
				struct dp_addr_slot *s = addr_slot(p, vnets[k], &c->ip);

				/* Within a network the last NIC named wins; across networks the first. */
				if (s->w0 && k == 1)
					continue;
				*s = (struct dp_addr_slot){ .w0 = addr_w0(vnets[k], &c->ip), .hi = (uint64_t)(c->ip.v >> 64),
							    .lo = (uint64_t)c->ip.v, .nic = (uint32_t)n, .ipcfg = (uint32_t)i };
			}
		}
	for (size_t v = 0; v < t->nvnets; v++) {
		const struct topo_vnet *vn = &t->vnets[v];

		p->vnet[v].gateway_vnet = vn->gateway ? (int)v : -1;
		for (size_t i = 0; i < vn->npeerings && p->vnet[v].gateway_vnet < 0; i++)
			if (vn->peerings[i].use_remote_gateways)
				p->vnet[v].gateway_vnet = vn->peerings[i].remote;
		for (size_t i = 0; vn->gateway && i < vn->gateway->nlocalnets; i++)
			for (size_t j = 0; j < vn->gateway->localnets[i].pfx.n; j++)
				if (nws_aset_add_prefix(&p->vnet[v].onprem, &vn->gateway->localnets[i].pfx.p[j]) < 0)
					goto oom;
		nws_aset_normalise(&p->vnet[v].onprem);
	}
	return 0;
oom:
	dp_path_free(p);
	return nws_err_set(err, "out of memory building the address table");
}

void dp_path_free(struct dp_path *p)
{
	if (!p)
		return;
	free(p->addr);
	for (size_t v = 0; p->vnet && p->t && v < p->t->nvnets; v++)
		nws_aset_free(&p->vnet[v].onprem);
	free(p->vnet);
	memset(p, 0, sizeof(*p));
}

static int find_nic(const struct dp_path *p, int vnet, const struct nws_ip *ip, int *ipcfg)
{
	const struct dp_addr_slot *s = addr_slot(p, vnet, ip);

	*ipcfg = -1;
	if (!s->w0)
		return -1;
	*ipcfg = (int)s->ipcfg;
	return (int)s->nic;
}

static int find_near(const struct dp_path *p, int vnet, const struct nws_ip *ip, int *ipcfg, int *in_vnet)
{
	const struct topo_vnet *vn = &p->t->vnets[vnet];
	int n = find_nic(p, vnet, ip, ipcfg);

	*in_vnet = vnet;
	for (size_t i = 0; n < 0 && i < vn->npeerings; i++) {
		*in_vnet = vn->peerings[i].remote;
		n = find_nic(p, *in_vnet, ip, ipcfg);
	}
	return n;
}

static bool allows_forwarded(const struct topo *t, int from, int to)
{
	for (size_t i = 0; i < t->vnets[from].npeerings; i++)
		if (t->vnets[from].peerings[i].remote == to)
			return t->vnets[from].peerings[i].allow_forwarded;
	return false;
}

_Static_assert(2 * PATH_MAX_HOPS <= 16, "a walk's NSG points fit its 16 bits of marks");

/* What each packet of the burst waits for. */
enum phase { PH_NSG_OUT, PH_NSG_IN, PH_ROUTE, PH_DONE };

struct walk {
	enum phase phase;
	int subnet;
	bool forwarded, skip;
	uint16_t marks; /* where NSGs were met (see dp_path_walk_marks) */
};

static struct path_hop *hop_add(struct path_result *r, enum path_hop_kind kind, int nic, int ipcfg)
{
	struct path_hop *h = &r->hops[r->nhops++];

	/* nsg_in and nsg_out are read only under has_in and has_out: clearing ~100 bytes a hop costs. */
	h->kind = kind;
	h->nic = nic;
	h->ipcfg = ipcfg;
	h->vnet = -1;
	h->route = NULL;
	h->has_in = h->has_out = false;
	return h;
}

static void done_drop(struct walk *w, struct path_result *r, enum path_drop why)
{
	r->delivered = false;
	r->reason = why;
	r->drop_hop = r->nhops - 1;
	w->phase = PH_DONE;
}

static void done_deliver(struct walk *w, struct path_result *r, enum path_end end)
{
	r->delivered = true;
	r->end = end;
	w->phase = PH_DONE;
}

/* A VM receives the packet: its inbound NSGs are next. */
static void to_vm(const struct dp_path *p, struct walk *w, struct path_result *r, enum path_hop_kind kind, int nic,
		  int ipcfg)
{
	hop_add(r, kind, nic, ipcfg);
	if (!p->t->vms[p->t->nics[nic].vm].running)
		return done_drop(w, r, PATH_DROP_VM_STOPPED);
	w->phase = PH_NSG_IN;
}

/* An NSG answer (or a skipped evaluation) moves the packet on. */
static void after_nsg(const struct dp_path *p, struct walk *w, struct path_result *r, const struct nsg_verdict *v)
{
	struct path_hop *h = &r->hops[r->nhops - 1];
	const struct topo *t = p->t;

	if (w->phase == PH_NSG_OUT) {
		if (v) {
			h->nsg_out = *v;
			h->has_out = true;
			if (v->access != AZ_ALLOW)
				return done_drop(w, r, PATH_DROP_NSG_OUTBOUND);
		}
		w->subnet = t->nics[h->nic].ipcfgs[h->ipcfg].subnet;
		w->forwarded = h->kind == PATH_HOP_APPLIANCE;
		w->phase = PH_ROUTE;
		return;
	}
	if (v) {
		h->nsg_in = *v;
		h->has_in = true;
		if (v->access != AZ_ALLOW)
			return done_drop(w, r, PATH_DROP_NSG_INBOUND);
	}
	if (h->kind == PATH_HOP_DESTINATION)
		return done_deliver(w, r, PATH_END_VM);
	/* An appliance: it must forward, then its outbound NSGs judge the packet. */
	if (!t->nics[h->nic].ip_forwarding || t->vms[t->nics[h->nic].vm].forwarding == 0)
		return done_drop(w, r, PATH_DROP_APPLIANCE_NOT_FORWARDING);
	w->phase = PH_NSG_OUT;
}

static void after_route(const struct dp_path *p, struct walk *w, struct path_result *r, const struct nws_flow *f,
			const struct route_hop *rh)
{
	const struct topo *t = p->t;
	struct path_hop *cur = &r->hops[r->nhops - 1];
	int vnet = t->subnets[w->subnet].vnet, nic, ipcfg, dvnet;

	/* As path.c's route_from: multicast and broadcast are dropped before any route. */
	if (nws_ip_is_group(&f->dst))
		return done_drop(w, r, PATH_DROP_MULTICAST);
	cur->route = rh->route;
	if (!rh->route)
		return done_drop(w, r, PATH_DROP_NO_ROUTE);
	if (p->at) /* one NIC's view: the packet left it onto this route */
		return rh->type == AZ_NH_NONE ? done_drop(w, r, PATH_DROP_ROUTE_NONE) : done_deliver(w, r, PATH_END_NETWORK);
	switch (rh->type) {
	case AZ_NH_NONE:
		return done_drop(w, r, PATH_DROP_ROUTE_NONE);
	case AZ_NH_INTERNET:
		hop_add(r, PATH_HOP_INTERNET, -1, -1);
		return done_deliver(w, r, PATH_END_INTERNET);
	case AZ_NH_VNETLOCAL:
		nic = find_nic(p, vnet, &f->dst, &ipcfg);
		if (nic < 0)
			return done_drop(w, r, PATH_DROP_UNKNOWN_DESTINATION);
		return to_vm(p, w, r, PATH_HOP_DESTINATION, nic, ipcfg);
	case AZ_NH_VNETPEERING:
		nic = find_near(p, vnet, &f->dst, &ipcfg, &dvnet);
		if (nic < 0 || dvnet == vnet)
			return done_drop(w, r, PATH_DROP_UNKNOWN_DESTINATION);
		if (w->forwarded && !allows_forwarded(t, dvnet, vnet))
			return done_drop(w, r, PATH_DROP_FORWARDED_TRAFFIC_BLOCKED);
		return to_vm(p, w, r, PATH_HOP_DESTINATION, nic, ipcfg);
	case AZ_NH_VNETGATEWAY: {
		int gv = p->vnet[vnet].gateway_vnet;
		struct path_hop *g = hop_add(r, PATH_HOP_GATEWAY, -1, -1);

		g->vnet = gv;
		if (gv < 0 || !nws_aset_contains(&p->vnet[gv].onprem, &f->dst))
			return done_drop(w, r, PATH_DROP_GATEWAY_NO_ROUTE);
		return done_deliver(w, r, PATH_END_ON_PREMISES);
	}
	case AZ_NH_VIRTUALAPPLIANCE:
		break;
	default:
		return done_drop(w, r, PATH_DROP_NO_ROUTE);
	}
	nic = find_near(p, vnet, &rh->ip, &ipcfg, &dvnet);
	if (nic < 0)
		return done_drop(w, r, PATH_DROP_APPLIANCE_MISSING);
	if (nws_ip_eq(&rh->ip, &f->dst))
		return to_vm(p, w, r, PATH_HOP_DESTINATION, nic, ipcfg);
	if (r->nhops >= PATH_MAX_HOPS - 1) {
		hop_add(r, PATH_HOP_APPLIANCE, nic, ipcfg);
		return done_drop(w, r, PATH_DROP_ROUTING_LOOP);
	}
	to_vm(p, w, r, PATH_HOP_APPLIANCE, nic, ipcfg);
}

/* Where the packet enters: a VM's NIC, a gateway, or the internet. */
static void start(const struct dp_path *p, struct walk *w, struct path_result *r, const struct nws_flow *f)
{
	const struct topo *t = p->t;
	int ipcfg, nic = find_nic(p, -1, &f->src, &ipcfg);

	/* Only the header: each hop is cleared as it is added, and a result is about 1 KB. */
	r->delivered = false;
	r->nhops = 0;
	r->drop_hop = 0;
	r->reason = 0;
	r->end = 0;
	if (p->at) {
		int c = topo_find_ipcfg(t, p->at_nic, &f->src);

		if (c >= 0) {
			nic = p->at_nic;
			ipcfg = c;
		} else {
			c = topo_find_ipcfg(t, p->at_nic, &f->dst);
			r->origin = PATH_FROM_INTERNET;
			if (c >= 0)
				return to_vm(p, w, r, PATH_HOP_DESTINATION, p->at_nic, c);
			hop_add(r, PATH_HOP_INTERNET, -1, -1);
			return done_drop(w, r, PATH_DROP_NOT_AT_NIC);
		}
	}
	if (nic >= 0) {
		hop_add(r, PATH_HOP_SOURCE, nic, ipcfg);
		r->origin = PATH_FROM_VM;
		if (!t->vms[t->nics[nic].vm].running)
			return done_drop(w, r, PATH_DROP_VM_STOPPED);
		w->phase = PH_NSG_OUT;
		return;
	}
	for (size_t v = 0; v < t->nvnets; v++) {
		if (!t->vnets[v].gateway || !nws_aset_contains(&p->vnet[v].onprem, &f->src))
			continue;
		struct path_hop *g = hop_add(r, PATH_HOP_GATEWAY, -1, -1);
		int dvnet;

		g->vnet = (int)v;
		r->origin = PATH_FROM_ON_PREMISES;
		nic = find_near(p, (int)v, &f->dst, &ipcfg, &dvnet);
		if (nic >= 0 && dvnet != (int)v && p->vnet[dvnet].gateway_vnet != (int)v)
			nic = -1;
		if (nic < 0)
			return done_drop(w, r, PATH_DROP_UNKNOWN_DESTINATION);
		return to_vm(p, w, r, PATH_HOP_DESTINATION, nic, ipcfg);
	}
	r->origin = PATH_FROM_INTERNET;
	hop_add(r, PATH_HOP_INTERNET, -1, -1);
	nic = find_nic(p, -1, &f->dst, &ipcfg);
	if (nic < 0)
		return done_drop(w, r, PATH_DROP_OUTSIDE_TOPOLOGY);
	to_vm(p, w, r, PATH_HOP_DESTINATION, nic, ipcfg);
}

void dp_path_walk(const struct dp_path *p, const struct nws_flow *f, const bool *skip, struct path_result *res,
		  unsigned n)
{
	struct path_result *rp[DP_PATH_BURST];

	for (unsigned i = 0; i < n; i++)
		rp[i] = &res[i];
	dp_path_walk_into(p, f, skip, rp, NULL, n);
}

/*
 * The hops taken since the last stamp get the TSC now: one read a round of the walk, not one
 * a hop (connection troubleshoot's per-hop time needs no finer grain).
 */
static void stamp_hops(struct path_result *const *r, uint64_t *const *tsc, unsigned n, uint8_t *stamped)
{
	uint64_t now = rte_rdtsc();

	for (unsigned i = 0; i < n; i++) {
		for (int h = stamped[i]; tsc[i] && h < r[i]->nhops; h++)
			tsc[i][h] = now;
		stamped[i] = (uint8_t)r[i]->nhops;
	}
}

static void walk(const struct dp_path *p, const struct nws_flow *f, const bool *skip, struct path_result *const *r,
		 uint64_t *const *tsc, unsigned n, uint16_t *marks)
{
	struct walk w[DP_PATH_BURST];
	struct nsg_query q[DP_PATH_BURST];
	struct nsg_verdict v[DP_PATH_BURST];
	struct dp_route_query rq[DP_PATH_BURST];
	struct route_hop rh[DP_PATH_BURST];
	uint8_t idx[DP_PATH_BURST], stamped[DP_PATH_BURST];
	unsigned active = 0;

	for (unsigned i = 0; i < n; i++) {
		w[i].skip = marks || (skip && skip[i]);
		w[i].forwarded = false;
		w[i].marks = 0;
		stamped[i] = 0;
		start(p, &w[i], r[i], &f[i]);
		active += w[i].phase != PH_DONE;
		/*
		 * A packet a VM sends will look its destination up in its subnet's routes after its
		 * NSGs: start fetching that entry of the large LPM table now.
		 */
		if (w[i].phase == PH_NSG_OUT) {
			const struct path_hop *h = &r[i]->hops[0];

			dp_routes_prefetch(p->routes, p->t->nics[h->nic].ipcfgs[h->ipcfg].subnet, &f[i].dst);
		}
	}
	if (tsc)
		stamp_hops(r, tsc, n, stamped);
	/* Every round moves each packet at least one phase on; hops are bounded, so this ends. */
	while (active) {
		unsigned k = 0;

		for (unsigned i = 0; i < n; i++) {
			if (w[i].phase != PH_NSG_OUT && w[i].phase != PH_NSG_IN)
				continue;
			if (w[i].skip) {
				w[i].marks |= (uint16_t)(1u << (2 * (r[i]->nhops - 1) + (w[i].phase == PH_NSG_OUT)));
				after_nsg(p, &w[i], r[i], NULL);
				continue;
			}
			const struct path_hop *h = &r[i]->hops[r[i]->nhops - 1];

			q[k] = (struct nsg_query){ .nic = h->nic, .ipcfg = h->ipcfg, .flow = f[i],
						   .dir = w[i].phase == PH_NSG_IN ? AZ_INBOUND : AZ_OUTBOUND };
			idx[k++] = (uint8_t)i;
		}
		if (k)
			dp_verify(p->acl, p->nsg, q, v, k);
		for (unsigned j = 0; j < k; j++)
			after_nsg(p, &w[idx[j]], r[idx[j]], &v[j]);
		k = 0;
		for (unsigned i = 0; i < n; i++)
			if (w[i].phase == PH_ROUTE) {
				rq[k] = (struct dp_route_query){ .subnet = w[i].subnet, .dst = f[i].dst };
				idx[k++] = (uint8_t)i;
			}
		if (k)
			dp_routes_lookup(p->routes, rq, rh, k);
		for (unsigned j = 0; j < k; j++)
			after_route(p, &w[idx[j]], r[idx[j]], &f[idx[j]], &rh[j]);
		if (tsc)
			stamp_hops(r, tsc, n, stamped);
		active = 0;
		for (unsigned i = 0; i < n; i++)
			active += w[i].phase != PH_DONE;
	}
	for (unsigned i = 0; marks && i < n; i++)
		marks[i] = w[i].marks;
}

void dp_path_walk_into(const struct dp_path *p, const struct nws_flow *f, const bool *skip, struct path_result *const *r,
		       uint64_t *const *tsc, unsigned n)
{
	walk(p, f, skip, r, tsc, n, NULL);
}

void dp_path_walk_marks(const struct dp_path *p, const struct nws_flow *f, struct path_result *const *r, uint16_t *marks,
			unsigned n)
{
	walk(p, f, NULL, r, NULL, n, marks);
}
