#include <stdlib.h>
#include <string.h>

#include "route.h"

const char *const route_source_name[ROUTE_SRC_COUNT] = { "Default", "VirtualNetworkGateway", "User" };
const char *const route_state_name[2] = { "Active", "Invalid" };

/* Azure's reserved ranges that get a None system route. */
static const char *const reserved_none[] = { "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10" };
/*
 * More None system routes that real effective route tables list (a 2023 answer; no doc names
 * them: docs/semantics.md). Unlike the four above, a user default route does not remove them.
 */
static const char *const listed_none[] = {
	"25.48.0.0/12", "25.4.0.0/14", "198.18.0.0/15", "157.59.0.0/16", "25.33.0.0/16", "40.109.0.0/16",
	"104.147.0.0/16", "104.146.0.0/17", "40.108.0.0/17", "23.103.0.0/18", "25.41.0.0/20", "20.35.252.0/22",
};

struct rlist {
	struct route_entry *e;
	size_t n, cap;
};

static int rl_add(struct rlist *l, const struct route_entry *r)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 32;
		struct route_entry *ne = realloc(l->e, nc * sizeof(*ne));

		if (!ne)
			return -1;
		l->e = ne;
		l->cap = nc;
	}
	l->e[l->n++] = *r;
	return 0;
}

static int add_sys(struct rlist *l, const struct nws_prefix *p, enum az_nexthop type, enum route_source src,
		   const struct nws_ip *ip)
{
	struct route_entry r = { .prefix = *p, .type = type, .source = src, .rt = -1 };

	if (ip) {
		r.has_ip = true;
		r.ip = *ip;
	}
	return rl_add(l, &r);
}

static bool same_prefix(const struct nws_prefix *a, const struct nws_prefix *b)
{
	return a->len == b->len && nws_ip_eq(&a->ip, &b->ip);
}

static bool covers(const struct nws_prefix *outer, const struct nws_prefix *inner)
{
	return outer->len <= inner->len && nws_prefix_contains(outer, &inner->ip);
}

/* Gateway prefixes (with the address routes through it report) learned by a subnet's network. */
static int gateway_routes(const struct topo *t, int v, struct rlist *l)
{
	const struct topo_vnet *vn = &t->vnets[v];
	const struct topo_gateway *gws[16];
	int ngw = 0;

	if (vn->gateway)
		gws[ngw++] = vn->gateway;
	for (size_t i = 0; i < vn->npeerings && ngw < 16; i++)
		if (vn->peerings[i].use_remote_gateways && t->vnets[vn->peerings[i].remote].gateway)
			gws[ngw++] = t->vnets[vn->peerings[i].remote].gateway;
	for (int g = 0; g < ngw; g++)
		for (size_t k = 0; k < gws[g]->nlocalnets; k++)
			for (size_t j = 0; j < gws[g]->localnets[k].pfx.n; j++)
				if (add_sys(l, &gws[g]->localnets[k].pfx.p[j], AZ_NH_VNETGATEWAY, ROUTE_SRC_GATEWAY,
					    gws[g]->has_public_ip ? &gws[g]->public_ip : NULL) < 0)
					return -1;
	return 0;
}

/* The address a VirtualNetworkGateway user route reports: the gateway this network reaches. */
static const struct topo_gateway *reachable_gateway(const struct topo *t, int v)
{
	const struct topo_vnet *vn = &t->vnets[v];

	if (vn->gateway)
		return vn->gateway;
	for (size_t i = 0; i < vn->npeerings; i++)
		if (vn->peerings[i].use_remote_gateways)
			return t->vnets[vn->peerings[i].remote].gateway;
	return NULL;
}

static int subnet_routes(const struct topo *t, size_t s, struct rlist *l)
{
	const struct topo_subnet *sn = &t->subnets[s];
	const struct topo_vnet *vn = &t->vnets[sn->vnet];
	const struct topo_rt *rt = sn->rt >= 0 ? &t->rts[sn->rt] : NULL;
	bool v6 = false;

	for (size_t i = 0; i < vn->space.n; i++) {
		if (add_sys(l, &vn->space.p[i], AZ_NH_VNETLOCAL, ROUTE_SRC_DEFAULT, NULL) < 0)
			return -1;
		v6 |= vn->space.p[i].ip.fam == NWS_AF6;
	}
	struct nws_prefix p;

	nws_prefix_parse("0.0.0.0/0", &p);
	if (add_sys(l, &p, AZ_NH_INTERNET, ROUTE_SRC_DEFAULT, NULL) < 0)
		return -1;
	/* nwsim: ::/0 to the internet only for networks with IPv6 space, as Azure lists it. */
	nws_prefix_parse("::/0", &p);
	if (v6 && add_sys(l, &p, AZ_NH_INTERNET, ROUTE_SRC_DEFAULT, NULL) < 0)
		return -1;
	const size_t nres = sizeof(reserved_none) / sizeof(reserved_none[0]);

	for (size_t k = 0; k < nres + sizeof(listed_none) / sizeof(listed_none[0]); k++) {
		bool replaced = false;

		nws_prefix_parse(k < nres ? reserved_none[k] : listed_none[k - nres], &p);
		/*
		 * An address space equal to or containing the range replaces its None route; nwsim
		 * treats a peered network's space the same way, since both are system routes.
		 */
		for (size_t i = 0; i < vn->space.n; i++)
			replaced |= covers(&vn->space.p[i], &p);
		for (size_t i = 0; i < vn->npeerings; i++) {
			const struct topo_plist *rs = &t->vnets[vn->peerings[i].remote].space;

			for (size_t j = 0; j < rs->n; j++)
				replaced |= covers(&rs->p[j], &p);
		}
		if (!replaced && add_sys(l, &p, AZ_NH_NONE, ROUTE_SRC_DEFAULT, NULL) < 0)
			return -1;
	}
	for (size_t i = 0; i < vn->npeerings; i++) {
		const struct topo_vnet *rv = &t->vnets[vn->peerings[i].remote];

		for (size_t j = 0; j < rv->space.n; j++)
			if (add_sys(l, &rv->space.p[j], AZ_NH_VNETPEERING, ROUTE_SRC_DEFAULT, NULL) < 0)
				return -1;
	}
	if (!(rt && rt->disable_bgp) && gateway_routes(t, sn->vnet, l) < 0)
		return -1;
	if (!rt)
		return 0;
	const struct topo_gateway *gw = reachable_gateway(t, sn->vnet);

	for (size_t i = 0; i < rt->nroutes; i++) {
		const struct topo_route *ur = &rt->routes[i];
		struct route_entry r = {
			.prefix = ur->prefix, .type = ur->type, .has_ip = ur->has_ip, .ip = ur->ip,
			.source = ROUTE_SRC_USER, .name = ur->name, .rt = sn->rt,
		};

		if (ur->type == AZ_NH_VNETGATEWAY && gw && gw->has_public_ip) {
			r.has_ip = true;
			r.ip = gw->public_ip;
		}
		if (rl_add(l, &r) < 0)
			return -1;
	}
	return 0;
}

static bool is_reserved_none(const struct route_entry *r)
{
	struct nws_prefix p;

	if (r->source != ROUTE_SRC_DEFAULT || r->type != AZ_NH_NONE)
		return false;
	for (size_t k = 0; k < sizeof(reserved_none) / sizeof(reserved_none[0]); k++) {
		nws_prefix_parse(reserved_none[k], &p);
		if (same_prefix(&p, &r->prefix))
			return true;
	}
	return false;
}

/* qsort has no context argument; selection runs on the control thread only. */
static const struct route_entry *sort_base;
static const bool *sort_inside; /* per route: BGP inside a network's range (never selected) */

/* A system route for the network's own ranges or a peering's: preferred over any BGP route. */
static bool network_route(const struct route_entry *r)
{
	return r->source == ROUTE_SRC_DEFAULT && (r->type == AZ_NH_VNETLOCAL || r->type == AZ_NH_VNETPEERING);
}

/* Same prefix: user, then the network's own and peered ranges, then BGP, then other system routes. */
static int preference(const struct route_entry *r)
{
	if (r->source == ROUTE_SRC_USER)
		return 3;
	if (network_route(r))
		return 2;
	return r->source == ROUTE_SRC_GATEWAY ? 1 : 0;
}

static int by_prefix_then_preference(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const struct route_entry *x = &sort_base[i], *y = &sort_base[j];

	if (x->prefix.ip.fam != y->prefix.ip.fam)
		return x->prefix.ip.fam < y->prefix.ip.fam ? -1 : 1;
	if (x->prefix.ip.v != y->prefix.ip.v)
		return x->prefix.ip.v < y->prefix.ip.v ? -1 : 1;
	if (x->prefix.len != y->prefix.len)
		return x->prefix.len < y->prefix.len ? -1 : 1;
	int px = sort_inside[i] ? -1 : preference(x), py = sort_inside[j] ? -1 : preference(y);

	if (px != py)
		return px > py ? -1 : 1; /* preferred first */
	return i < j ? -1 : (i > j);
}

int route_table_select(struct nws_arena *a, const struct route_entry *in, size_t n, struct route_table *out)
{
	bool user_default = false;

	/* The docs' routing example: a user route for 0.0.0.0/0 removes the reserved None routes. */
	for (size_t i = 0; i < n; i++)
		user_default |= in[i].source == ROUTE_SRC_USER && in[i].prefix.len == 0 && in[i].prefix.ip.fam == NWS_AF4;
	out->e = nws_arena_array(a, n, sizeof(*out->e));
	out->n = 0;
	if (!out->e)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (user_default && is_reserved_none(&in[i]))
			continue;
		out->e[out->n] = in[i];
		out->e[out->n].state = ROUTE_ACTIVE;
		out->n++;
	}
	/*
	 * A BGP route inside the network's own or a peered range never wins, however specific: it is
	 * out of the running before the routes of one prefix are compared. Of the rest, the user's
	 * route, then the network's own and peered ranges, then BGP, then the other system routes;
	 * the first listed wins a tie.
	 */
	size_t *ix = malloc((out->n ? out->n : 1) * sizeof(*ix));
	bool *inside = calloc(out->n ? out->n : 1, sizeof(*inside));

	if (!ix || !inside) {
		free(ix);
		free(inside);
		return -1;
	}
	for (size_t i = 0; i < out->n; i++) {
		ix[i] = i;
		for (size_t j = 0; j < out->n && out->e[i].source == ROUTE_SRC_GATEWAY && !inside[i]; j++)
			inside[i] = network_route(&out->e[j]) && covers(&out->e[j].prefix, &out->e[i].prefix);
	}
	sort_base = out->e;
	sort_inside = inside;
	qsort(ix, out->n, sizeof(*ix), by_prefix_then_preference);
	for (size_t i = 0; i < out->n; i++)
		if (inside[ix[i]] || (i && same_prefix(&out->e[ix[i]].prefix, &out->e[ix[i - 1]].prefix)))
			out->e[ix[i]].state = ROUTE_INVALID;
	free(ix);
	free(inside);
	return 0;
}

int route_model_build(struct route_model *m, const struct topo *t, struct nws_err *err)
{
	struct rlist l = { 0 };

	memset(m, 0, sizeof(*m));
	m->t = t;
	m->subnet = nws_arena_array(&m->arena, t->nsubnets, sizeof(*m->subnet));
	if (!m->subnet)
		goto oom;
	for (size_t s = 0; s < t->nsubnets; s++) {
		l.n = 0;
		if (subnet_routes(t, s, &l) < 0 || route_table_select(&m->arena, l.e, l.n, &m->subnet[s]) < 0)
			goto oom;
		m->subnet[s].disable_bgp = t->subnets[s].rt >= 0 && t->rts[t->subnets[s].rt].disable_bgp;
		m->subnet[s].shared_with = -1;
	}
	free(l.e);
	return 0;
oom:
	free(l.e);
	route_model_free(m);
	return nws_err_set(err, "%s: out of memory while building route tables", t->file);
}

void route_model_free(struct route_model *m)
{
	if (!m)
		return;
	nws_arena_free(&m->arena);
	memset(m, 0, sizeof(*m));
}

void route_hop_from(const struct route_entry *r, struct route_hop *hop)
{
	hop->route = r;
	hop->type = r->type;
	hop->has_ip = r->has_ip;
	hop->ip = r->ip;
	hop->rt = r->source == ROUTE_SRC_USER ? r->rt : -1;
}

void route_ref_lookup(const struct route_table *tb, const struct nws_ip *dst, struct route_hop *hop)
{
	const struct route_entry *best = NULL;

	for (size_t i = 0; i < tb->n; i++) {
		const struct route_entry *r = &tb->e[i];

		if (!nws_prefix_contains(&r->prefix, dst))
			continue;
		bool inside = false; /* a BGP route inside the network's own or a peered range */

		for (size_t j = 0; j < tb->n && r->source == ROUTE_SRC_GATEWAY && !inside; j++)
			inside = network_route(&tb->e[j]) && covers(&tb->e[j].prefix, &r->prefix);
		if (inside)
			continue;
		if (!best || r->prefix.len > best->prefix.len ||
		    (r->prefix.len == best->prefix.len && preference(r) > preference(best)))
			best = r;
	}
	if (!best) {
		/* No route at all (IPv6 in a network without IPv6 space): the packet is dropped. */
		memset(hop, 0, sizeof(*hop));
		hop->type = AZ_NH_NONE;
		hop->rt = -1;
		return;
	}
	route_hop_from(best, hop);
}
