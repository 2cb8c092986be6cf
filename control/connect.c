/*
 * nwsim test-connectivity: Network Watcher's connection troubleshoot. Real probe packets (TCP SYN,
 * or ICMP echo) are built, parsed and handed to the workers like replayed traffic; a probe that
 * is delivered to a host that answers gets its reply (SYN-ACK, echo reply) sent back the same
 * way. The hops, their issues, per-hop counters and the latencies come from what the workers
 * answered, the topology's runtime facts and its link model.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_cycles.h>

#include "app.h"
#include "connect.h"
#include "feed.h"
#include "jw.h"

/* Issue types: Azure's, and the ones nwsim adds for the conditions the seed lists. */
static const char *const hint_of[][2] = {
	{ "NetworkSecurityRule", "change or add an NSG rule of higher priority that allows this traffic" },
	{ "UserDefinedRoute", "route the destination somewhere: fix the route table of the subnet" },
	{ "GuestFirewall", "allow the traffic in the VM's own firewall" },
	{ "DnsResolution", "add the name to the topology's dns, or check its spelling" },
	{ "CPU", "the VM is busy: scale it up or find what uses the CPU" },
	{ "Memory", "the VM is short of memory: scale it up or find what uses it" },
	{ "NoListenerOnDestination", "start a server on the destination port, or probe the port it listens on" },
	{ "SocketBind", "pick another source port: this one is already in use on the source VM" },
	{ "ApplianceNotForwarding", "turn IP forwarding on in the appliance's guest (and on its NIC)" },
	{ "ArpEntryMissing", "the ExpressRoute circuit has no ARP entry for the next hop: check the peering's addresses" },
	{ "VmStopped", "start the VM" }, /* a stopped appliance; a stopped destination is Unreachable without an issue */
	{ "AgentStopped", "start the source VM: a stopped VM sends no probes" },
	{ "ForwardedTrafficBlocked", "allow forwarded traffic on the virtual network peering" },
	{ "RoutingLoop", "the routes send the packet in a circle: fix the route tables" },
	{ "Platform", "the destination cannot be reached from this network" },
	{ "RouteMissing", "the route for the destination sends it nowhere (None): route it, or remove the route" },
	{ "HttpStatusCode", "the web server answered a status the check does not count as valid: fix the server or --valid-status-codes" },
};

const char *conn_hint(const char *type)
{
	for (size_t i = 0; i < sizeof(hint_of) / sizeof(hint_of[0]); i++)
		if (!strcmp(hint_of[i][0], type))
			return hint_of[i][1];
	return "";
}

/* A stable identifier for a hop, shaped like the GUIDs Azure gives them. */
static void hop_guid(char out[37], const char *resource, const struct nws_ip *ip, int kind)
{
	uint64_t h = 1469598103934665603ull, g;

	for (const char *p = resource; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	for (int i = 0; i < 16; i++)
		h = (h ^ (uint8_t)(ip->v >> (8 * i))) * 1099511628211ull;
	h = (h ^ (uint64_t)kind) * 1099511628211ull;
	g = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull;
	snprintf(out, 37, "%08x-%04x-4%03x-8%03x-%012" PRIx64, (unsigned)(h >> 32), (unsigned)(h >> 16) & 0xffff,
		 (unsigned)h & 0xfff, (unsigned)(g >> 52), (uint64_t)(g & 0xffffffffffffull));
}

const char *conn_issue_label(const struct conn_issue_rec *x)
{
	const char *rule = strstr(x->value, "/securityRules/");

	return rule && x->value[0] == '/' ? rule + strlen("/securityRules/") : x->value;
}

/* An issue with up to two context pairs (k1 NULL: none, k2 NULL: one). */
static void issue_ctx(struct conn_hop *h, const char *origin, const char *severity, const char *type, const char *k1,
		      const char *v1, const char *k2, const char *v2)
{
	for (int i = 0; i < h->nissues; i++)
		if (!strcmp(h->issues[i].type, type) && !strcmp(h->issues[i].origin, origin) &&
		    !strcmp(h->issues[i].value, k1 ? v1 : ""))
			return;
	if (h->nissues == CONN_MAX_ISSUES)
		return;
	struct conn_issue_rec *x = &h->issues[h->nissues++];

	x->origin = origin;
	x->severity = severity;
	x->type = type;
	snprintf(x->key, sizeof(x->key), "%s", k1 ? k1 : "");
	snprintf(x->value, sizeof(x->value), "%s", k1 ? v1 : "");
	snprintf(x->key2, sizeof(x->key2), "%s", k1 && k2 ? k2 : "");
	snprintf(x->value2, sizeof(x->value2), "%s", k1 && k2 ? v2 : "");
}

void conn_issue(struct conn_hop *h, const char *origin, const char *severity, const char *type, const char *key,
		const char *value)
{
	issue_ctx(h, origin, severity, type, key, value, NULL, NULL);
}

/* The hop of the response for (kind, resource, address), added when new. */
static int hop_get(struct conn_result *cr, const char *type, const char *resource, const struct nws_ip *ip)
{
	for (int i = 0; i < cr->nhops; i++)
		if (!strcmp(cr->hops[i].type, type) && !strcmp(cr->hops[i].resource, resource) &&
		    nws_ip_eq(&cr->hops[i].ip, ip))
			return i;
	if (cr->nhops == CONN_MAX_HOPS)
		return cr->nhops - 1;
	struct conn_hop *h = &cr->hops[cr->nhops];

	memset(h, 0, sizeof(*h));
	snprintf(h->type, sizeof(h->type), "%s", type);
	snprintf(h->resource, sizeof(h->resource), "%s", resource);
	h->ip = *ip;
	h->has_ip = ip->fam != 0;
	h->nic = h->gw_vnet = -1;
	hop_guid(h->id, resource, ip, (int)strlen(type));
	return cr->nhops++;
}

/* The link from hop a to hop b (added when new, with its type and resource); -1 when a has no room. */
static int link_get(struct conn_result *cr, int a, int b, const char *type, const char *resource)
{
	struct conn_hop *h = &cr->hops[a], *n = &cr->hops[b];

	for (int i = 0; i < h->nlinks; i++)
		if (h->links[i].next == b)
			return i;
	if (h->nlinks == CONN_MAX_NEXT || n->nprev == CONN_MAX_NEXT)
		return -1;
	struct conn_link *l = &h->links[h->nlinks];

	memset(l, 0, sizeof(*l));
	l->next = b;
	l->type = type;
	snprintf(l->resource, sizeof(l->resource), "%s", resource);
	n->prev[n->nprev] = a;
	n->prev_link[n->nprev++] = h->nlinks;
	return h->nlinks++;
}

/* First matching guest firewall rule, else the direction's default. */
bool conn_guest_allows(const struct topo_vm *vm, enum az_dir dir, int proto, uint16_t local_port,
		       const struct nws_ip *remote, const char **rule)
{
	*rule = NULL;
	if (!vm->fw.present)
		return true;
	for (size_t i = 0; i < vm->fw.nrules; i++) {
		const struct topo_fw_rule *r = &vm->fw.rules[i];
		bool port_ok = r->local.any, addr_ok = r->remote.n == 0;

		if (r->dir != dir || (r->proto != AZ_PROTO_ANY && r->proto != proto))
			continue;
		for (size_t k = 0; !port_ok && k < r->local.n; k++)
			port_ok = local_port >= r->local.r[k].lo && local_port <= r->local.r[k].hi;
		for (size_t k = 0; !addr_ok && k < r->remote.n; k++)
			addr_ok = nws_prefix_contains(&r->remote.p[k], remote);
		if (port_ok && addr_ok) {
			*rule = r->name;
			return r->allow;
		}
	}
	return vm->fw.allow[dir];
}

static bool sock_has(const struct topo_sock *s, size_t n, int proto, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].proto == proto && s[i].port == port)
			return true;
	return false;
}

/* ---- probe packets ------------------------------------------------------------------------ */

static uint16_t csum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An Ethernet frame for a probe: TCP with flags, or ICMP/ICMPv6 echo (reply). */
size_t conn_frame(uint8_t *buf, const struct nws_flow *f, uint8_t tcp_flags, bool echo_reply, uint16_t seq)
{
	bool v6 = f->src.fam == NWS_AF6;
	uint8_t *ip = buf + 14, *l4 = ip + (v6 ? 40 : 20);
	size_t l4len;

	memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	put16(buf + 12, v6 ? 0x86dd : 0x0800);
	if (f->proto == AZ_PROTO_TCP) {
		l4len = 20;
		memset(l4, 0, l4len);
		put16(l4, f->sport);
		put16(l4 + 2, f->dport);
		put16(l4 + 4, seq);
		l4[12] = 0x50;
		l4[13] = tcp_flags;
		put16(l4 + 14, 64240);
	} else if (f->proto == AZ_PROTO_UDP) {
		l4len = 8 + 32;
		memset(l4, 0, l4len);
		put16(l4, f->sport);
		put16(l4 + 2, f->dport);
		put16(l4 + 4, (uint16_t)l4len);
		memcpy(l4 + 8, "nwsim connection troubleshoot!!", 32);
	} else if (f->proto != AZ_PROTO_ICMP && f->proto != AZ_PROTO_ICMPV6) {
		l4len = 32; /* another protocol: an opaque payload */
		memcpy(l4, "nwsim connection troubleshoot!!", 32);
	} else {
		l4len = 8 + 32;
		memset(l4, 0, l4len);
		l4[0] = v6 ? (echo_reply ? 129 : 128) : (echo_reply ? 0 : 8);
		put16(l4 + 4, 0x6e77); /* "nw" */
		put16(l4 + 6, seq);
		memcpy(l4 + 8, "nwsim connection troubleshoot!!", 32);
		if (!v6)
			put16(l4 + 2, csum16(l4, l4len, 0));
	}
	if (v6) {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4len);
		ip[6] = f->proto;
		ip[7] = 64;
		nws_ip_bytes(&f->src, ip + 8);
		nws_ip_bytes(&f->dst, ip + 24);
	} else {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4len));
		put16(ip + 4, seq);
		ip[8] = 64;
		ip[9] = f->proto;
		nws_ip_bytes(&f->src, ip + 12);
		nws_ip_bytes(&f->dst, ip + 16);
		put16(ip + 10, csum16(ip, 20, 0));
	}
	return 14 + (size_t)(l4 - ip) + l4len;
}

/* ---- the check ------------------------------------------------------------------------------ */

/* The Azure hops a walked probe visits, in order (at most CONN_MAX_HOPS), with the link kind into each. */
struct vhop {
	int hop;             /* index into the response's hops */
	enum topo_link link; /* the link that led here (its latency model) */
	const char *link_type;
	char link_res[512];
	int path_hop; /* index into path_result hops, or -1 for hops nwsim inserts */
	int in_link;  /* the link into it, in the previous hop's links; -1 none */
};

struct probe {
	struct nws_flow f;
	int dest_host;    /* index into topo hosts, or -1 */
	uint64_t tsc_in[2], tsc_out[2]; /* forward [0], reply [1]: handed over, answered */
	uint64_t eng_in[2];             /* when the engine took it: the hops' stamps count from here */
	struct path_result r[2];
	struct path_result routed; /* the forward leg's routed path: no NSG stops it */
	uint64_t hop_tsc[2][PATH_MAX_HOPS]; /* when the engine took each hop (its trace's stamps) */
	bool done[2], sent_reply;
	bool end_ok; /* the routed path's end accepts it (guest firewall, listener) */
	struct vhop v[CONN_MAX_HOPS]; /* the forward leg's hops in the response */
	int nv;
};

struct run_ctx {
	struct probe *p;
	unsigned answered;
};

static void on_answer(void *ctx, struct dp_slot *s)
{
	struct run_ctx *rc = ctx;
	struct probe *p = &rc->p[s->no >> 1];
	int leg = (int)(s->no & 1);

	p->tsc_out[leg] = rte_rdtsc();
	p->eng_in[leg] = s->out.tsc_in;
	p->r[leg] = s->out.trace->r;
	memcpy(p->hop_tsc[leg], s->out.trace->tsc, sizeof(p->hop_tsc[leg]));
	p->done[leg] = true;
	rc->answered++;
}

/* Hand the probes' packets of one leg to the workers and wait for every answer. */
static int send_leg(struct feeder *fd, struct run_ctx *rc, const bool *want, unsigned n, int leg, uint64_t t0_ns,
		    struct nws_err *err)
{
	unsigned expect = rc->answered;

	for (unsigned i = 0; i < n; i++) {
		if (!want[i])
			continue;
		struct probe *p = &rc->p[i];
		struct nws_flow f = p->f;
		uint8_t frame[128];

		if (leg) {
			f.src = p->f.dst;
			f.dst = p->f.src;
			f.sport = p->f.dport;
			f.dport = p->f.sport;
		}
		size_t len = conn_frame(frame, &f, leg ? DP_TCP_SYN | DP_TCP_ACK : DP_TCP_SYN, leg == 1, (uint16_t)i);
		struct dp_slot *s = feed_get_slot(fd);

		s->no = (uint64_t)i << 1 | (uint64_t)leg;
		s->file = 0;
		s->item.wire_len = (uint32_t)len;
		/* One probe a second, the reply a millisecond later: flows age as they would. */
		s->item.ts_ns = t0_ns + (uint64_t)i * 1000000000ull + (uint64_t)leg * 1000000ull;
		if (dp_parse(DP_LINK_ETHERNET, frame, (uint32_t)len, &s->item.pkt, &s->item.unparsed) < 0)
			return nws_err_set(err, "test-connectivity: a probe packet did not parse (%s)",
					   dp_unparsed_name[s->item.unparsed]);
		s->item.unparsed = -1;
		p->tsc_in[leg] = rte_rdtsc();
		feed_submit(fd, s);
		expect++;
	}
	feed_kick(fd);
	while (rc->answered < expect) {
		feed_drain(fd);
		if (fd->inline_engine)
			break;
	}
	return 0;
}

/* splitmix64: the seeded jitter. */
static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double link_ms(const struct topo *t, enum topo_link k, uint64_t *rng)
{
	double u = (double)(mix(rng) >> 11) / 9007199254740992.0; /* [0, 1) */

	return t->latency.mean[k] + (2 * u - 1) * t->latency.jitter[k];
}

/* The peering's id from network a to network b. */
static void peering_res(const struct topo *t, int a, int b, char *res, size_t len)
{
	const char *pname = t->vnets[b].name;

	for (size_t k = 0; k < t->vnets[a].npeerings; k++)
		if (t->vnets[a].peerings[k].remote == b)
			pname = t->vnets[a].peerings[k].name;
	snprintf(res, len, "%s/virtualNetworkPeerings/%s", t->vnets[a].id, pname);
}

static void ipcfg_res(const struct topo *t, int nic, int ipcfg, char *res, size_t len)
{
	snprintf(res, len, "%s/ipConfigurations/%s", t->nics[nic].id, t->nics[nic].ipcfgs[ipcfg].name);
}

/* One hop of the response for a walked NIC hop: its type, resource, and the link that led to it. */
static void nic_hop(const struct app *app, struct conn_result *cr, const struct conn_query *q, const struct path_hop *x,
		    int prev_vnet, struct vhop *v)
{
	const struct topo *t = app->t;
	const struct topo_nic *nic = &t->nics[x->nic];
	int vnet = t->subnets[nic->ipcfgs[x->ipcfg].subnet].vnet;
	char res[512];
	const char *type;

	if (x->kind == PATH_HOP_SOURCE) {
		type = "Source";
		snprintf(res, sizeof(res), "%s", nic->vm >= 0 ? t->vms[nic->vm].id : nic->id);
	} else {
		type = x->kind == PATH_HOP_APPLIANCE ? "VirtualAppliance" : q->dst_is_vm ? "VirtualMachine" : "VirtualNetwork";
		ipcfg_res(t, x->nic, x->ipcfg, res, sizeof(res));
	}
	v->hop = hop_get(cr, type, res, &nic->ipcfgs[x->ipcfg].ip);
	cr->hops[v->hop].nic = x->nic;
	v->link = TOPO_LINK_VNET_LOCAL;
	v->link_type = "VirtualNetwork";
	snprintf(v->link_res, sizeof(v->link_res), "%s", t->vnets[vnet].id);
	if (prev_vnet >= 0 && vnet != prev_vnet) {
		v->link = TOPO_LINK_PEERING;
		v->link_type = "VirtualNetworkPeering";
		peering_res(t, prev_vnet, vnet, v->link_res, sizeof(v->link_res));
	}
}

/* Whether a routed walk stopped before it placed its destination (the response adds it). */
static bool stopped_short(const struct path_result *r)
{
	return !r->delivered && r->hops[r->drop_hop].kind != PATH_HOP_DESTINATION &&
	       (r->reason == PATH_DROP_ROUTE_NONE || r->reason == PATH_DROP_NO_ROUTE || r->reason == PATH_DROP_UNKNOWN_DESTINATION ||
		r->reason == PATH_DROP_OUTSIDE_TOPOLOGY || r->reason == PATH_DROP_GATEWAY_NO_ROUTE);
}

/* The destination a walk did not reach: its NIC's configuration when it has one, else Unknown. */
static void unreached_hop(const struct app *app, struct conn_result *cr, const struct conn_query *q, const struct probe *p,
			  struct vhop *v)
{
	const struct topo *t = app->t;
	int ipcfg, nic = path_find_nic(t, -1, &p->f.dst, &ipcfg);
	char res[512] = "Unknown";

	if (nic >= 0)
		ipcfg_res(t, nic, ipcfg, res, sizeof(res));
	v->hop = hop_get(cr, nic < 0 ? "Destination" : q->dst_is_vm ? "VirtualMachine" : "VirtualNetwork", res, &p->f.dst);
	cr->hops[v->hop].nic = nic;
	v->link = TOPO_LINK_VNET_LOCAL;
	v->link_type = "VirtualNetwork";
	v->link_res[0] = 0;
	v->path_hop = -1;
}

/* The response's hops and links for walk r: peerings are links, not hops. Returns how many. */
static int visit(const struct app *app, struct conn_result *cr, const struct conn_query *q, const struct probe *p,
		 const struct path_result *r, struct vhop *v)
{
	const struct topo *t = app->t;
	int n = 0, prev_vnet = -1, gw_vnet = -1;

	for (int h = 0; h < r->nhops && n < CONN_MAX_HOPS - 2; h++) {
		const struct path_hop *x = &r->hops[h];
		struct vhop *y = &v[n++];
		int vnet = -1;

		y->path_hop = h;
		switch (x->kind) {
		case PATH_HOP_SOURCE:
		case PATH_HOP_APPLIANCE:
		case PATH_HOP_DESTINATION:
			nic_hop(app, cr, q, x, prev_vnet, y);
			vnet = t->subnets[t->nics[x->nic].ipcfgs[x->ipcfg].subnet].vnet;
			break;
		case PATH_HOP_GATEWAY: {
			const struct topo_gateway *g = t->vnets[x->vnet].gateway;
			char res[512];

			snprintf(res, sizeof(res), "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworkGateways/%s",
				 AZ_SUBSCRIPTION, AZ_RESOURCE_GROUP, g ? g->name : "gateway");
			y->hop = hop_get(cr, "VirtualNetworkGateway", res, g && g->has_public_ip ? &g->public_ip : &(struct nws_ip){ 0 });
			y->link = TOPO_LINK_GATEWAY;
			y->link_type = "VirtualNetworkGateway";
			snprintf(y->link_res, sizeof(y->link_res), "%s", res);
			cr->hops[y->hop].gw_vnet = gw_vnet = vnet = x->vnet;
			break;
		}
		case PATH_HOP_INTERNET:
			y->hop = hop_get(cr, "Internet", "", &p->f.dst);
			y->link = TOPO_LINK_INTERNET;
			y->link_type = "Internet";
			y->link_res[0] = 0;
			break;
		}
		if (vnet >= 0)
			prev_vnet = vnet;
	}
	if (r->delivered && r->end == PATH_END_ON_PREMISES && n < CONN_MAX_HOPS) {
		struct vhop *y = &v[n++];

		y->hop = hop_get(cr, "OnPremises", "OnPremises", &p->f.dst);
		y->link = TOPO_LINK_GATEWAY;
		y->link_type = "VirtualNetworkGateway";
		snprintf(y->link_res, sizeof(y->link_res), "%s", cr->hops[v[n - 2].hop].resource);
		y->path_hop = -1;
		cr->hops[y->hop].gw_vnet = gw_vnet; /* beyond the gateway it left by */
	}
	if (stopped_short(r) && n < CONN_MAX_HOPS)
		unreached_hop(app, cr, q, p, &v[n++]);
	v[0].in_link = -1;
	for (int i = 0; i + 1 < n; i++)
		v[i + 1].in_link = link_get(cr, v[i].hop, v[i + 1].hop, v[i + 1].link_type, v[i + 1].link_res);
	return n;
}

/* An NSG's refusal, as Azure names the rule: a user rule's full ARM id, DefaultRule_NAME for a default one. */
static void nsg_issue(const struct app *app, struct conn_hop *h, const struct nsg_verdict *nv, const char *origin)
{
	const struct topo *t = app->t;
	char buf[512];

	if (nv->rule && nv->rule->is_default)
		snprintf(buf, sizeof(buf), "DefaultRule_%s", nv->rule->name);
	else if (nv->rule && nv->inst >= 0)
		snprintf(buf, sizeof(buf), "%s/securityRules/%s", t->nsgs[app->m.inst[nv->inst].nsg].id, nv->rule->name);
	else
		snprintf(buf, sizeof(buf), "%s", "-");
	conn_issue(h, origin, "Error", "NetworkSecurityRule", "RuleName", buf);
}

/* The issue a dropped walk leaves, on the hop that dropped it (reply: the probe's answer coming back). */
static void drop_issue(const struct app *app, struct conn_hop *h, const struct path_result *r, bool reply)
{
	const struct topo *t = app->t;
	const struct path_hop *x = &r->hops[r->drop_hop];
	/* On the reply, the link out of a hop is the forward path's link into it. */
	const char *out = reply ? "Inbound" : "Outbound", *in = reply ? "Outbound" : "Inbound";

	switch (r->reason) {
	case PATH_DROP_NSG_OUTBOUND:
	case PATH_DROP_NSG_INBOUND:
		nsg_issue(app, h, r->reason == PATH_DROP_NSG_INBOUND ? &x->nsg_in : &x->nsg_out,
			  r->reason == PATH_DROP_NSG_INBOUND ? in : out);
		break;
	case PATH_DROP_ROUTE_NONE:
		/* As Azure reports a route to None: missing here, and the route's own error on the way out. */
		conn_issue(h, "Local", "Error", "RouteMissing", NULL, NULL);
		issue_ctx(h, out, "Error", "UserDefinedRoute", "RouteType",
			  x->route && x->route->source == ROUTE_SRC_USER ? "User" : "System", "ErrorMessage",
			  "NextHop Type None, NextHop IP ");
		break;
	case PATH_DROP_NO_ROUTE:
		conn_issue(h, "Local", "Error", "RouteMissing", NULL, NULL);
		break;
	case PATH_DROP_APPLIANCE_NOT_FORWARDING:
	case PATH_DROP_APPLIANCE_MISSING:
		conn_issue(h, "Local", "Error", r->reason == PATH_DROP_APPLIANCE_MISSING ? "Platform" : "ApplianceNotForwarding",
			   "Reason", r->reason == PATH_DROP_APPLIANCE_MISSING ? "no virtual appliance at the route's next hop address"
									 : "the appliance does not forward");
		break;
	case PATH_DROP_VM_STOPPED:
		/* Azure answers a stopped destination Unreachable with no issue; a stopped appliance keeps one. */
		if (x->kind == PATH_HOP_DESTINATION)
			h->vm_stopped = true;
		else
			conn_issue(h, "Local", "Error", "VmStopped", "VirtualMachine",
				   x->nic >= 0 && t->nics[x->nic].vm >= 0 ? t->vms[t->nics[x->nic].vm].name : "-");
		break;
	case PATH_DROP_FORWARDED_TRAFFIC_BLOCKED:
		conn_issue(h, in, "Error", "ForwardedTrafficBlocked", "Reason", "the peering does not allow forwarded traffic");
		break;
	case PATH_DROP_ROUTING_LOOP:
		conn_issue(h, out, "Error", "RoutingLoop", "Reason", "the packet came back to a hop it had left");
		break;
	default:
		conn_issue(h, out, "Error", "Platform", "Reason", path_drop_name[r->reason]);
		break;
	}
}

/* The response's hop for hop k of the forward leg (the last one when k has none of its own). */
static struct conn_hop *fwd_hop(struct conn_result *cr, const struct probe *p, int k)
{
	int at = p->nv - 1;

	for (int i = 0; i < p->nv; i++)
		if (p->v[i].path_hop == k)
			at = i;
	return &cr->hops[p->v[at].hop];
}

/* The forward hop where the reply was dropped: the same NIC, gateway or internet; else the source's. */
static struct conn_hop *reply_hop(struct conn_result *cr, const struct probe *p, int src_hop)
{
	const struct path_hop *x = &p->r[1].hops[p->r[1].drop_hop];

	for (int k = 0; k < p->r[0].nhops; k++) {
		const struct path_hop *y = &p->r[0].hops[k];

		if ((x->nic >= 0 && y->nic == x->nic) ||
		    (x->kind == PATH_HOP_GATEWAY && y->kind == PATH_HOP_GATEWAY && y->vnet == x->vnet) ||
		    (x->kind == PATH_HOP_INTERNET && y->kind == PATH_HOP_INTERNET))
			return fwd_hop(cr, p, k);
	}
	return &cr->hops[src_hop];
}

/* The response hop (index into p->v) of an ExpressRoute gateway with an ARP table that lacks the destination, or -1. */
static int arp_missing(const struct topo *t, const struct probe *p)
{
	const struct path_result *r = &p->r[0];

	if (!r->delivered || r->end != PATH_END_ON_PREMISES)
		return -1;
	for (int k = 0; k < r->nhops; k++) {
		const struct topo_gateway *gw = r->hops[k].kind == PATH_HOP_GATEWAY ? t->vnets[r->hops[k].vnet].gateway : NULL;
		bool found = false;

		if (!gw || gw->vpn || gw->narp == 0)
			continue;
		for (size_t a = 0; a < gw->narp; a++)
			found |= nws_ip_eq(&gw->arp[a], &p->f.dst);
		for (int i = 0; !found && i < p->nv; i++)
			if (p->v[i].path_hop == k)
				return i;
	}
	return -1;
}

static void vm_warnings(const struct topo *t, struct conn_hop *h, int nic)
{
	char buf[32];

	if (nic < 0 || t->nics[nic].vm < 0)
		return;
	const struct topo_vm *vm = &t->vms[t->nics[nic].vm];

	if (vm->cpu_pct >= CONN_HIGH_PERCENT) {
		snprintf(buf, sizeof(buf), "%g", vm->cpu_pct);
		conn_issue(h, "Local", "Warning", "CPU", "CpuPercent", buf);
	}
	if (vm->mem_pct >= CONN_HIGH_PERCENT) {
		snprintf(buf, sizeof(buf), "%g", vm->mem_pct);
		conn_issue(h, "Local", "Warning", "Memory", "MemoryPercent", buf);
	}
}

static int host_at(const struct topo *t, const struct nws_ip *ip)
{
	for (size_t i = 0; i < t->nhosts; i++)
		if (nws_ip_eq(&t->hosts[i].ip, ip))
			return (int)i;
	return -1;
}

/* The destination's web server facts: the VM's or the external host's; NULL when it has none. */
static const struct topo_web *dest_web(const struct topo *t, const struct probe *p)
{
	const struct path_hop *lh = &p->r[0].hops[p->r[0].nhops - 1];

	if (p->r[0].end == PATH_END_VM)
		return &t->vms[t->nics[lh->nic].vm].web;
	return p->dest_host >= 0 ? &t->hosts[p->dest_host].web : NULL;
}

/* What the destination's web server answers for path (its query string aside): 0 when nothing says. */
static int http_status(const struct topo_web *w, const char *path)
{
	size_t len = strcspn(path, "?#");

	if (!w || !w->npaths)
		return 0;
	for (size_t i = 0; i < w->npaths; i++)
		if (strlen(w->paths[i].path) == len && !strncmp(w->paths[i].path, path, len))
			return w->paths[i].status;
	return 404; /* a web server's answer for a path it does not serve */
}

static bool http_valid(const struct conn_http *h, int status)
{
	if (!h->nvalid)
		return status >= 200 && status <= 299;
	for (unsigned i = 0; i < h->nvalid; i++)
		if (h->valid[i] == status)
			return true;
	return false;
}

/*
 * Whether the routed path's end accepts the probe (a VM's guest firewall and listener, an external
 * host's); the issue when it does not, on the last hop.
 */
static bool end_accepts(const struct app *app, struct conn_result *cr, const struct probe *p)
{
	const struct topo *t = app->t;
	const struct path_result *r = &p->routed;
	struct conn_hop *last = &cr->hops[p->v[p->nv - 1].hop];
	const struct path_hop *lh = &r->hops[r->nhops - 1];

	if (!r->delivered)
		return false;
	if (r->end == PATH_END_VM) {
		const struct topo_vm *dvm = &t->vms[t->nics[lh->nic].vm];
		const char *fw_rule;

		vm_warnings(t, last, lh->nic);
		if (!conn_guest_allows(dvm, AZ_INBOUND, p->f.proto, p->f.dport, &p->f.src, &fw_rule)) {
			conn_issue(last, "Local", "Error", "GuestFirewall", "RuleName", fw_rule ? fw_rule : "defaultInbound");
			return false;
		}
		if (p->f.proto == AZ_PROTO_TCP && dvm->nlisten && !sock_has(dvm->listen, dvm->nlisten, AZ_PROTO_TCP, p->f.dport)) {
			conn_issue(last, "Local", "Error", "NoListenerOnDestination", NULL, NULL);
			return false;
		}
		return true;
	}
	if (r->end == PATH_END_INTERNET || r->end == PATH_END_ON_PREMISES) {
		const struct topo_host *hh = p->dest_host >= 0 ? &t->hosts[p->dest_host] : NULL;

		if (!hh) {
			conn_issue(last, "Local", "Error", "NoListenerOnDestination", "Address",
				   "no externalHosts entry answers at this address");
			last->no_facts = true;
			return false;
		}
		if (p->f.proto == AZ_PROTO_TCP && !sock_has(hh->listen, hh->nlisten, AZ_PROTO_TCP, p->f.dport)) {
			conn_issue(last, "Local", "Error", "NoListenerOnDestination", NULL, NULL);
			return false;
		}
		return true;
	}
	return false; /* --at style endings do not occur here */
}

/*
 * The probe's path as its routes take it, walked without NSGs so that it goes on past a refusal;
 * the NSGs it meets on the way (every one that refuses is an issue), what stops the walk itself,
 * and whether its end accepts it: every issue on the path, as Azure lists them.
 */
static void routed_path(const struct app *app, struct conn_result *cr, const struct conn_query *q, struct probe *p)
{
	struct path_result *rp = &p->routed;
	uint16_t marks;

	dp_path_walk_marks(&app->path, &p->f, &rp, &marks, 1);
	p->nv = visit(app, cr, q, p, rp, p->v);
	for (; marks; marks &= (uint16_t)(marks - 1)) {
		int bit = __builtin_ctz(marks);
		const struct path_hop *x = &rp->hops[bit >> 1];
		struct nsg_verdict nv;

		nsg_ref_verify(&app->m, x->nic, x->ipcfg, bit & 1 ? AZ_OUTBOUND : AZ_INBOUND, &p->f, &nv);
		if (nv.access != AZ_ALLOW)
			nsg_issue(app, fwd_hop(cr, p, bit >> 1), &nv, bit & 1 ? "Outbound" : "Inbound");
	}
	if (!rp->delivered)
		drop_issue(app, fwd_hop(cr, p, rp->drop_hop), rp, false);
	p->end_ok = end_accepts(app, cr, p);
}

/*
 * How far a probe's forward leg got (its walk with NSGs is the routed path cut short) and whether
 * it is answered; the issue of an Http or Https answer that is not valid.
 */
static bool forward_answered(const struct app *app, struct conn_result *cr, const struct conn_query *q, struct probe *p)
{
	const struct topo *t = app->t;
	int arp = arp_missing(t, p), reached = 0; /* without ARP, it stops at the gateway */

	for (int k = 0; k < p->nv && (arp < 0 || k <= arp); k++) {
		int h = p->v[k].path_hop;

		if (h >= 0 ? h >= p->r[0].nhops : !p->r[0].delivered)
			break;
		reached = k + 1;
		cr->hops[p->v[k].hop].reached++;
		/* A busy appliance slows everything through it: its VM's warnings too. */
		if (h >= 0 && p->r[0].hops[h].kind == PATH_HOP_APPLIANCE)
			vm_warnings(t, &cr->hops[p->v[k].hop], p->r[0].hops[h].nic);
	}
	struct conn_hop *at = &cr->hops[p->v[reached > 0 ? reached - 1 : 0].hop];

	if (!p->r[0].delivered) {
		fwd_hop(cr, p, p->r[0].drop_hop)->dropped++;
		return false;
	}
	if (arp >= 0) {
		char b[NWS_IP_STRLEN];

		conn_issue(at, "Outbound", "Error", "ArpEntryMissing", "Address", nws_ip_str(&p->f.dst, b));
		at->dropped++;
		return false;
	}
	if (!p->end_ok) {
		at->dropped++;
		return false;
	}
	int status = q->http.on ? http_status(dest_web(t, p), q->http.path) : 0;

	if (status && !http_valid(&q->http, status)) {
		char b[16];

		snprintf(b, sizeof(b), "%d", status);
		issue_ctx(at, "Local", "Error", "HttpStatusCode", "StatusCode", b, "Path", q->http.path);
		at->dropped++;
		return false;
	}
	return true;
}

int conn_feed_init(struct feeder *fd, const struct app *app, unsigned nworkers, struct nws_err *err)
{
	/* A check sends a few probes a second: a small flow table is plenty. */
	struct dp_engine_conf ec = dp_engine_conf_full(1u << 12);

	return feed_init(fd, &app->path, nworkers, &ec, false, err);
}

int conn_run(const struct app *app, struct feeder *fd, const struct conn_query *q, struct conn_result *cr,
	     struct nws_err *err)
{
	const struct topo *t = app->t;
	const struct topo_vm *svm = &t->vms[q->src_vm];
	int snic = (int)svm->first_nic;
	const struct nws_ip *sip = &t->nics[snic].ipcfgs[q->src_cfg].ip;
	int src_hop;
	unsigned n = q->probes;
	struct probe *pr = calloc(n, sizeof(*pr));
	bool *want = calloc(n, sizeof(*want));
	struct run_ctx rc = { .p = pr };
	uint64_t rng = q->seed, hz = rte_get_tsc_hz();
	double lat_sum = 0;
	int rc2 = -1;

	memset(cr, 0, sizeof(*cr));
	cr->probes_sent = n;
	fd->answered = on_answer;
	fd->ctx = &rc;
	if (!pr || !want) {
		nws_err_set(err, "out of memory");
		goto out;
	}
	src_hop = hop_get(cr, "Source", svm->id, sip);
	cr->hops[src_hop].nic = snic;
	vm_warnings(t, &cr->hops[src_hop], snic);
	if (q->ndst == 0) {
		conn_issue(&cr->hops[src_hop], "Outbound", "Error", "DnsResolution", "FQDN", q->dst_name);
		cr->probes_failed = n;
		rc2 = 0;
		goto out;
	}
	if (!svm->running) {
		conn_issue(&cr->hops[src_hop], "Local", "Error", "AgentStopped", "VirtualMachine", svm->name);
		cr->probes_failed = n;
		rc2 = 0;
		goto out;
	}
	if (q->proto == AZ_PROTO_TCP && q->src_port && sock_has(svm->in_use, svm->nin_use, AZ_PROTO_TCP, q->src_port)) {
		char b[16];

		snprintf(b, sizeof(b), "%u", q->src_port);
		conn_issue(&cr->hops[src_hop], "Local", "Error", "SocketBind", "SourcePort", b);
		cr->probes_failed = n;
		rc2 = 0;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		struct probe *p = &pr[i];
		const char *fw_rule;

		p->f.proto = (uint8_t)(q->proto == AZ_PROTO_ICMP && q->dst[i % q->ndst].fam == NWS_AF6 ? AZ_PROTO_ICMPV6 : q->proto);
		p->f.src = *sip;
		p->f.dst = q->dst[i % q->ndst];
		p->f.has_ports = q->proto == AZ_PROTO_TCP;
		/* Without --source-port, each probe from its own ephemeral port, as a client's connects are. */
		p->f.sport = q->proto != AZ_PROTO_TCP ? 0 : q->src_port ? q->src_port : (uint16_t)(49152 + (q->seed + i) % 16384);
		p->f.dport = q->proto == AZ_PROTO_TCP ? q->dst_port : 0;
		p->dest_host = host_at(t, &p->f.dst);
		want[i] = conn_guest_allows(svm, AZ_OUTBOUND, p->f.proto, p->f.sport, &p->f.dst, &fw_rule);
		if (!want[i]) {
			conn_issue(&cr->hops[src_hop], "Local", "Error", "GuestFirewall", "RuleName", fw_rule ? fw_rule : "defaultOutbound");
			cr->hops[src_hop].reached++;
			cr->hops[src_hop].dropped++;
		}
	}
	/* Every probe's routed path, with every issue on it, whether or not the probe gets that far. */
	for (unsigned i = 0; i < n; i++)
		routed_path(app, cr, q, &pr[i]);
	if (send_leg(fd, &rc, want, n, 0, q->t0_ns, err) < 0)
		goto out;
	/* Forward legs: how far each probe got; who answers. */
	for (unsigned i = 0; i < n; i++) {
		struct probe *p = &pr[i];

		if (!want[i])
			continue;
		want[i] = false;
		if (!forward_answered(app, cr, q, p))
			continue;
		want[i] = true;
		p->sent_reply = true;
	}
	if (send_leg(fd, &rc, want, n, 1, q->t0_ns, err) < 0)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		struct probe *p = &pr[i];
		const struct vhop *v = p->v;
		int nv = p->nv;

		if (!p->sent_reply) {
			cr->probes_failed++;
			continue;
		}
		if (!p->r[1].delivered) {
			struct conn_hop *at = reply_hop(cr, p, src_hop);

			drop_issue(app, at, &p->r[1], true);
			at->dropped++;
			cr->probes_failed++;
			continue;
		}
		/* Round trip: the links both ways and the time the workers took at each hop. */
		double ms = 0, proc = 0;

		/* The engine's own time: from taking the burst to the last hop, not the rings' waits. */
		for (int leg = 0; leg < 2; leg++) {
			uint64_t prev = p->eng_in[leg];

			for (int k = 0; k < p->r[leg].nhops; k++) {
				uint64_t at = p->hop_tsc[leg][k];

				if (at > prev)
					proc += (double)(at - prev) * 1e3 / (double)hz;
				prev = at > prev ? at : prev;
			}
		}
		for (int k = 1; k < nv; k++) {
			double one = v[k].link == TOPO_LINK_COUNT ? 0 : link_ms(t, v[k].link, &rng) + link_ms(t, v[k].link, &rng);

			if (k == nv - 1 && p->dest_host >= 0 && t->hosts[p->dest_host].latency_ms >= 0)
				one = 2 * t->hosts[p->dest_host].latency_ms;
			ms += one;
			cr->hops[v[k].hop].rtt_sum += ms;
			cr->hops[v[k].hop].rtt_n++;
			if (v[k].in_link >= 0) {
				struct conn_link *l = &cr->hops[v[k - 1].hop].links[v[k].in_link];

				l->rtt_min = l->rtt_n && l->rtt_min < one ? l->rtt_min : one;
				l->rtt_max = l->rtt_n && l->rtt_max > one ? l->rtt_max : one;
				l->rtt_sum += one;
				l->rtt_n++;
			}
		}
		ms += proc;
		cr->proc_ms += proc;
		if (cr->reachable == 0 || ms < cr->min_ms)
			cr->min_ms = ms;
		if (ms > cr->max_ms)
			cr->max_ms = ms;
		lat_sum += ms;
		cr->reachable++;
	}
	if (cr->reachable)
		cr->avg_ms = lat_sum / cr->reachable;
	rc2 = 0;
out:
	free(pr);
	free(want);
	return rc2;
}

/* The first IP configuration of a VM's first NIC in family fam (0: the primary); -1 none. */
static int vm_ipcfg(const struct topo *t, int vm, uint8_t fam)
{
	const struct topo_nic *nic = &t->nics[t->vms[vm].first_nic];

	for (size_t i = 0; i < nic->nipcfgs; i++)
		if (!fam || nic->ipcfgs[i].ip.fam == fam)
			return (int)i;
	return -1;
}

int conn_target(const struct topo *t, const char *vm, const char *host, struct conn_query *q, struct nws_err *err)
{
	const char *fam_name = q->want_fam == NWS_AF6 ? "IPv6" : "IPv4";

	q->ndst = 0;
	q->dst_is_vm = vm != NULL;
	if ((q->src_cfg = vm_ipcfg(t, q->src_vm, q->want_fam)) < 0)
		return nws_err_set(err, "--preferred-ip-version: the source VM '%s' has no %s address", t->vms[q->src_vm].name, fam_name);
	uint8_t fam = t->nics[t->vms[q->src_vm].first_nic].ipcfgs[q->src_cfg].ip.fam;

	if (vm) {
		int d = topo_find_vm(t, vm), cfg;

		if (d < 0)
			return nws_err_set(err, "--dest-resource: no virtual machine '%s' in %s", vm, t->file);
		if ((cfg = vm_ipcfg(t, d, fam)) < 0)
			return nws_err_set(err, "--dest-resource: '%s' has no %s address", vm, fam == NWS_AF6 ? "IPv6" : "IPv4");
		q->dst[q->ndst++] = t->nics[t->vms[d].first_nic].ipcfgs[cfg].ip;
		q->dst_name = vm;
		return 0;
	}
	q->dst_name = host;
	if (nws_ip_parse(host, &q->dst[0]) == 0) {
		if (q->dst[0].fam != fam)
			return nws_err_set(err, "--dest-address: '%s' is not of the source's address family (%s; --preferred-ip-version picks the source's address)",
					   host, fam == NWS_AF6 ? "IPv6" : "IPv4");
		q->ndst = 1;
		return 0;
	}
	/* A name: its addresses of the source's family (a name with none of them does not resolve). */
	for (size_t i = 0; i < t->ndns; i++)
		if (!strcasecmp(t->dns[i].name, host))
			for (size_t k = 0; k < t->dns[i].nips && q->ndst < CONN_MAX_DST; k++)
				if (t->dns[i].ips[k].fam == fam)
					q->dst[q->ndst++] = t->dns[i].ips[k];
	return 0;
}
