#include <stdlib.h>
#include <string.h>

#include "nsg.h"

static int plist_add(struct nws_arena *a, struct topo_plist *l, size_t *cap, const struct nws_prefix *p)
{
	if (l->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct nws_prefix *np = nws_arena_array(a, nc, sizeof(*np));

		if (!np)
			return -1;
		if (l->n)
			memcpy(np, l->p, l->n * sizeof(*np));
		l->p = np;
		*cap = nc;
	}
	l->p[l->n++] = *p;
	return 0;
}

static int plist_add_all(struct nws_arena *a, struct topo_plist *l, size_t *cap, const struct topo_plist *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (plist_add(a, l, cap, &src->p[i]) < 0)
			return -1;
	return 0;
}

static int gateway_prefixes(struct nws_arena *a, struct topo_plist *l, size_t *cap, const struct topo_gateway *gw)
{
	if (!gw)
		return 0;
	for (size_t i = 0; i < gw->nlocalnets; i++)
		if (plist_add_all(a, l, cap, &gw->localnets[i].pfx) < 0)
			return -1;
	return 0;
}

/* VirtualNetwork for one vnet, as Azure's service-tag page lists its parts. */
static int build_vnet_tag(struct nsg_model *m, int v, struct topo_plist *l)
{
	const struct topo *t = m->t;
	const struct topo_vnet *vn = &t->vnets[v];
	struct nws_arena *a = &m->arena;
	size_t cap = 0;
	struct nws_prefix host = { .ip = m->host, .len = 32 };

	if (plist_add_all(a, l, &cap, &vn->space) < 0)
		return -1;
	for (size_t i = 0; i < vn->npeerings; i++) {
		const struct topo_vnet *rv = &t->vnets[vn->peerings[i].remote];

		if (plist_add_all(a, l, &cap, &rv->space) < 0)
			return -1;
		if (vn->peerings[i].use_remote_gateways && gateway_prefixes(a, l, &cap, rv->gateway) < 0)
			return -1;
	}
	if (gateway_prefixes(a, l, &cap, vn->gateway) < 0 || plist_add(a, l, &cap, &host) < 0)
		return -1;
	for (size_t s = vn->first_subnet; s < vn->first_subnet + vn->nsubnets; s++) {
		int rt = t->subnets[s].rt;

		if (rt < 0)
			continue;
		for (size_t r = 0; r < t->rts[rt].nroutes; r++)
			if (plist_add(a, l, &cap, &t->rts[rt].routes[r].prefix) < 0)
				return -1;
	}
	return 0;
}

static int aset_from(struct nws_aset *s, const struct topo_plist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (nws_aset_add_prefix(s, &l->p[i]) < 0)
			return -1;
	nws_aset_normalise(s);
	return 0;
}

static int build_expansions(struct nsg_model *m, int v)
{
	struct nws_aset *vn = &m->vnet_set[v], *inet = &m->inet_set[v], ni = { 0 }, all = { 0 }, tmp = { 0 };
	int rc = -1;

	if (aset_from(vn, &m->vnet_tag[v]) < 0)
		goto out;
	if (m->internet_tag >= 0) {
		if (aset_from(inet, &m->t->tags[m->internet_tag].pfx) < 0)
			goto out;
	} else {
		/* nwsim's Internet: everything neither VirtualNetwork nor private/special-use. */
		if (aset_from(&ni, &m->not_internet) < 0 ||
		    nws_aset_add_range(&all, NWS_AF4, 0, 0xffffffffu) < 0 ||
		    nws_aset_add_range(&all, NWS_AF6, 0, ~(nws_u128)0) < 0 ||
		    nws_aset_subtract(&all, vn, &tmp) < 0 || nws_aset_subtract(&tmp, &ni, inet) < 0)
			goto out;
	}
	rc = 0;
out:
	nws_aset_free(&ni);
	nws_aset_free(&all);
	nws_aset_free(&tmp);
	return rc;
}

static int add_inst(struct nsg_model *m, int nsg, int vnet)
{
	for (size_t i = 0; i < m->ninst; i++)
		if (m->inst[i].nsg == nsg && m->inst[i].vnet == vnet)
			return (int)i;
	m->inst[m->ninst] = (struct nsg_inst){ .nsg = nsg, .vnet = vnet };
	return (int)m->ninst++;
}

int nsg_model_build(struct nsg_model *m, const struct topo *t, struct nws_err *err)
{
	struct nws_arena *a = &m->arena;
	size_t cap = 0;

	memset(m, 0, sizeof(*m));
	m->t = t;
	m->internet_tag = -1;
	nws_ip_parse(AZ_HOST_IP, &m->host);
	nws_ip_parse(AZ_IMDS_IP, &m->imds);
	m->inst = nws_arena_array(a, t->nsubnets + t->nnics, sizeof(*m->inst));
	m->subnet_inst = nws_arena_array(a, t->nsubnets, sizeof(int));
	m->nic_inst = nws_arena_array(a, t->nnics, sizeof(int));
	m->vnet_tag = nws_arena_array(a, t->nvnets, sizeof(*m->vnet_tag));
	m->vnet_set = calloc(t->nvnets ? t->nvnets : 1, sizeof(*m->vnet_set));
	m->inet_set = calloc(t->nvnets ? t->nvnets : 1, sizeof(*m->inet_set));
	m->asg_set = calloc(t->nasgs ? t->nasgs : 1, sizeof(*m->asg_set));
	if (!m->inst || !m->subnet_inst || !m->nic_inst || !m->vnet_tag || !m->vnet_set || !m->inet_set || !m->asg_set)
		goto oom;
	for (size_t c = 0; c < t->nnics; c++)
		for (size_t i = 0; i < t->nics[c].nipcfgs; i++) {
			const struct topo_ipcfg *cfg = &t->nics[c].ipcfgs[i];

			for (size_t k = 0; k < cfg->nasgs; k++)
				if (nws_aset_add_range(&m->asg_set[cfg->asgs[k]], cfg->ip.fam, cfg->ip.v, cfg->ip.v) < 0)
					goto oom;
		}
	for (size_t k = 0; k < t->nasgs; k++)
		nws_aset_normalise(&m->asg_set[k]);
	for (size_t s = 0; s < t->nsubnets; s++)
		m->subnet_inst[s] = t->subnets[s].nsg < 0 ? -1 : add_inst(m, t->subnets[s].nsg, t->subnets[s].vnet);
	for (size_t n = 0; n < t->nnics; n++)
		m->nic_inst[n] = t->nics[n].nsg < 0 ? -1 : add_inst(m, t->nics[n].nsg, topo_nic_vnet(t, (int)n));

	for (const char *const *s = az_not_internet; *s; s++) {
		struct nws_prefix p;

		nws_prefix_parse(*s, &p);
		if (plist_add(a, &m->not_internet, &cap, &p) < 0)
			goto oom;
	}
	cap = 0;
	struct nws_prefix host = { .ip = m->host, .len = 32 };

	struct nws_prefix alb6;

	/* AzureLoadBalancer for IPv6: the address Azure's probes come from (docs/semantics.md). */
	nws_prefix_parse("fe80::1234:5678:9abc/128", &alb6);
	if (plist_add(a, &m->alb, &cap, &host) < 0 || plist_add(a, &m->alb, &cap, &alb6) < 0)
		goto oom;
	for (size_t i = 0; i < t->ntags; i++) {
		if (t->tags[i].builtin == AZ_TAG_AZURELOADBALANCER)
			m->alb = t->tags[i].pfx;
		if (t->tags[i].builtin == AZ_TAG_INTERNET)
			m->internet_tag = (int)i;
	}
	for (size_t v = 0; v < t->nvnets; v++)
		if (build_vnet_tag(m, (int)v, &m->vnet_tag[v]) < 0 || build_expansions(m, (int)v) < 0)
			goto oom;
	return 0;
oom:
	nsg_model_free(m);
	return nws_err_set(err, "%s: out of memory while building NSG tables", t->file);
}

void nsg_model_free(struct nsg_model *m)
{
	if (!m)
		return;
	for (size_t v = 0; m->t && v < m->t->nvnets; v++) {
		if (m->vnet_set)
			nws_aset_free(&m->vnet_set[v]);
		if (m->inet_set)
			nws_aset_free(&m->inet_set[v]);
	}
	for (size_t k = 0; m->t && m->asg_set && k < m->t->nasgs; k++)
		nws_aset_free(&m->asg_set[k]);
	free(m->vnet_set);
	free(m->inet_set);
	free(m->asg_set);
	nws_arena_free(&m->arena);
	memset(m, 0, sizeof(*m));
}

int nsg_levels(const struct nsg_model *m, int nic, int ipcfg, enum az_dir dir, int inst[2], enum nsg_level lvl[2])
{
	int sub = m->subnet_inst[m->t->nics[nic].ipcfgs[ipcfg].subnet];
	int own = m->nic_inst[nic];
	bool in = dir == AZ_INBOUND;
	/* Selected, not read from a table built on the stack: the compiled path calls this per packet. */
	int order[2] = { in ? sub : own, in ? own : sub };
	enum nsg_level names[2] = { in ? NSG_LEVEL_SUBNET : NSG_LEVEL_NIC, in ? NSG_LEVEL_NIC : NSG_LEVEL_SUBNET };
	int n = 0;

	for (int i = 0; i < 2; i++)
		if (order[i] >= 0) {
			inst[n] = order[i];
			if (lvl)
				lvl[n] = names[i];
			n++;
		}
	return n;
}

int nsg_platform(const struct nsg_model *m, enum az_dir dir, const struct nws_flow *f)
{
	if (dir != AZ_OUTBOUND)
		return -1;
	if (nws_ip_eq(&f->dst, &m->host))
		return 0;
	if (nws_ip_eq(&f->dst, &m->imds))
		return 1;
	return -1;
}

static bool tag_contains(const struct nsg_model *m, int vnet, int tag, const struct nws_ip *ip)
{
	switch (tag) {
	case AZ_TAG_VIRTUALNETWORK:
		return topo_plist_contains(&m->vnet_tag[vnet], ip);
	case AZ_TAG_AZURELOADBALANCER:
		return topo_plist_contains(&m->alb, ip);
	case AZ_TAG_INTERNET:
		if (m->internet_tag >= 0)
			return topo_plist_contains(&m->t->tags[m->internet_tag].pfx, ip);
		return !topo_plist_contains(&m->vnet_tag[vnet], ip) && !topo_plist_contains(&m->not_internet, ip);
	default:
		return topo_plist_contains(&m->t->tags[tag - AZ_TAG_BUILTIN_COUNT].pfx, ip);
	}
}

static bool in_asgs(const struct topo *t, const int *asgs, size_t n, const struct nws_ip *ip)
{
	for (size_t c = 0; c < t->nnics; c++)
		for (size_t i = 0; i < t->nics[c].nipcfgs; i++) {
			const struct topo_ipcfg *cfg = &t->nics[c].ipcfgs[i];

			if (!nws_ip_eq(&cfg->ip, ip))
				continue;
			for (size_t a = 0; a < cfg->nasgs; a++)
				for (size_t k = 0; k < n; k++)
					if (cfg->asgs[a] == asgs[k])
						return true;
		}
	return false;
}

static bool side_matches(const struct nsg_model *m, int vnet, const struct topo_side *s, const struct nws_ip *ip)
{
	switch (s->kind) {
	case TOPO_SIDE_ANY:
		return true;
	case TOPO_SIDE_PREFIXES:
		return topo_plist_contains(&s->pfx, ip);
	case TOPO_SIDE_TAG:
		return tag_contains(m, vnet, s->tag, ip);
	case TOPO_SIDE_ASG:
		return in_asgs(m->t, s->asgs, s->nasgs, ip);
	}
	return false;
}

static bool ports_match(const struct topo_ports *p, bool has_ports, uint16_t port)
{
	if (p->any)
		return true;
	/* A rule that names ports only ever matches packets that carry ports (docs/semantics.md). */
	if (!has_ports)
		return false;
	for (size_t i = 0; i < p->n; i++)
		if (port >= p->r[i].lo && port <= p->r[i].hi)
			return true;
	return false;
}

bool nsg_proto_matches(int rule_proto, uint8_t fam, uint8_t proto)
{
	if (rule_proto == AZ_PROTO_ANY)
		return true;
	if (rule_proto == AZ_PROTO_ICMP)
		return proto == (fam == NWS_AF4 ? AZ_PROTO_ICMP : AZ_PROTO_ICMPV6);
	return rule_proto == proto;
}

bool nsg_ref_rule_matches(const struct nsg_model *m, int vnet, const struct topo_rule *r, const struct nws_flow *f)
{
	return nsg_proto_matches(r->proto, f->src.fam, f->proto) &&
	       side_matches(m, vnet, &r->src, &f->src) && ports_match(&r->sport, f->has_ports, f->sport) &&
	       side_matches(m, vnet, &r->dst, &f->dst) && ports_match(&r->dport, f->has_ports, f->dport);
}

const struct topo_rule *nsg_ref_eval(const struct nsg_model *m, int inst, enum az_dir dir, const struct nws_flow *f)
{
	const struct topo_nsg *g = &m->t->nsgs[m->inst[inst].nsg];

	for (size_t i = 0; i < g->norder[dir]; i++)
		if (nsg_ref_rule_matches(m, m->inst[inst].vnet, g->order[dir][i], f))
			return g->order[dir][i];
	return NULL; /* unreachable: DenyAll* matches everything */
}

void nsg_combine(int n, const int inst[2], const struct nsg_match *const matched[2], struct nsg_verdict *v)
{
	v->access = AZ_ALLOW;
	v->rule = NULL;
	v->rule_id = 0;
	v->inst = -1;
	v->platform = -1;
	v->nlevels = 0;
	for (int i = 0; i < n; i++) {
		v->rule = matched[i]->rule;
		v->rule_id = matched[i]->id;
		v->inst = inst[i];
		v->level_inst[v->nlevels] = inst[i];
		v->level_rule[v->nlevels++] = matched[i]->rule;
		/* No match cannot happen (DenyAll* match everything); fail closed if it ever did. */
		if (matched[i]->deny) {
			v->access = AZ_DENY;
			return;
		}
	}
}

void nsg_ref_verify(const struct nsg_model *m, int nic, int ipcfg, enum az_dir dir, const struct nws_flow *f,
		    struct nsg_verdict *v)
{
	int inst[2];
	struct nsg_match got[2];
	const struct nsg_match *matched[2] = { &got[0], &got[1] };
	int p = nsg_platform(m, dir, f);

	if (p >= 0) {
		nsg_combine(0, inst, matched, v);
		v->platform = p;
		return;
	}
	int n = nsg_levels(m, nic, ipcfg, dir, inst, NULL);

	for (int i = 0; i < n; i++)
		got[i] = nsg_match_of(nsg_ref_eval(m, inst[i], dir, f));
	nsg_combine(n, inst, matched, v);
}

static int copy_set(const struct nws_aset *src, struct nws_aset *out)
{
	for (size_t i = 0; i < src->n; i++)
		if (nws_aset_add_range(out, src->r[i].fam, src->r[i].lo, src->r[i].hi) < 0)
			return -1;
	return 0;
}

int nsg_side_set(const struct nsg_model *m, int vnet, const struct topo_side *s, struct nws_aset *out)
{
	const struct topo *t = m->t;

	switch (s->kind) {
	case TOPO_SIDE_ANY:
		if (nws_aset_add_range(out, NWS_AF4, 0, 0xffffffffu) < 0 ||
		    nws_aset_add_range(out, NWS_AF6, 0, ~(nws_u128)0) < 0)
			return -1;
		break;
	case TOPO_SIDE_PREFIXES:
		return aset_from(out, &s->pfx);
	case TOPO_SIDE_TAG:
		switch (s->tag) {
		case AZ_TAG_VIRTUALNETWORK:
			return copy_set(&m->vnet_set[vnet], out);
		case AZ_TAG_INTERNET:
			return copy_set(&m->inet_set[vnet], out);
		case AZ_TAG_AZURELOADBALANCER:
			return aset_from(out, &m->alb);
		default:
			return aset_from(out, &t->tags[s->tag - AZ_TAG_BUILTIN_COUNT].pfx);
		}
	case TOPO_SIDE_ASG:
		for (size_t k = 0; k < s->nasgs; k++) {
			const struct nws_aset *g = &m->asg_set[s->asgs[k]];

			for (size_t i = 0; i < g->n; i++)
				if (nws_aset_add_range(out, g->r[i].fam, g->r[i].lo, g->r[i].hi) < 0)
					return -1;
		}
		break;
	}
	nws_aset_normalise(out);
	return 0;
}

unsigned nsg_addr_class(const struct nsg_model *m, int vnet, const struct nws_ip *ip)
{
	return (nws_aset_contains(&m->vnet_set[vnet], ip) ? NSG_ADDR_VNET : 0) |
	       (nws_aset_contains(&m->inet_set[vnet], ip) ? NSG_ADDR_INTERNET : 0);
}

unsigned nsg_side_class(const struct topo_side *s)
{
	if (s->kind != TOPO_SIDE_TAG)
		return 0;
	return s->tag == AZ_TAG_VIRTUALNETWORK ? NSG_ADDR_VNET : s->tag == AZ_TAG_INTERNET ? NSG_ADDR_INTERNET : 0;
}

int nsg_side_prefixes(const struct nsg_model *m, int vnet, const struct topo_side *s, uint8_t fam,
		      struct nws_prefix **out, size_t *n)
{
	struct nws_aset set = { 0 };
	int rc = nsg_side_set(m, vnet, s, &set);

	if (rc == 0)
		rc = nws_aset_to_prefixes(&set, fam, out, n);
	if (rc == 0 && !*out)
		rc = (*out = malloc(sizeof(**out))) ? 0 : -1;
	nws_aset_free(&set);
	return rc;
}
