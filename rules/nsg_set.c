#include "nsg_set.h"

static bool carries_ports(int proto)
{
	return proto == AZ_PROTO_TCP || proto == AZ_PROTO_UDP;
}

/* A rule's ports meet lo..hi, for a protocol that carries ports or not. */
static bool ports_meet(const struct topo_ports *p, bool ports, uint16_t lo, uint16_t hi)
{
	if (p->any)
		return true;
	if (!ports) /* a rule that names ports matches only packets that carry them */
		return false;
	for (size_t i = 0; i < p->n; i++)
		if (p->r[i].lo <= hi && lo <= p->r[i].hi)
			return true;
	return false;
}

/* A rule side meets the prefix: one of its ranges of that family overlaps it. */
static int side_meets(const struct nsg_model *m, int vnet, const struct topo_side *side, const struct nws_prefix *p)
{
	struct nws_aset a = { 0 };
	nws_u128 mask = nws_mask(p->ip.fam, p->len), lo = p->ip.v & mask, hi = lo | ~mask;
	int met = 0;

	if (p->ip.fam == NWS_AF4)
		hi &= 0xffffffffu;
	if (nsg_side_set(m, vnet, side, &a) < 0) {
		nws_aset_free(&a);
		return -1;
	}
	for (size_t i = 0; i < a.n && !met; i++)
		met = a.r[i].fam == p->ip.fam && a.r[i].lo <= hi && lo <= a.r[i].hi;
	nws_aset_free(&a);
	return met;
}

int nsg_set_rule_matches(const struct nsg_model *m, int vnet, const struct topo_rule *r, const struct nsg_flowset *s,
			 struct nsg_set_fields *fields)
{
	/* The protocols the set holds, as packets carry them; ports count only for those with ports. */
	static const int every[] = { AZ_PROTO_TCP, AZ_PROTO_UDP, AZ_PROTO_ICMP, AZ_PROTO_ESP, AZ_PROTO_AH };
	uint8_t fam = s->src.ip.fam;
	const int *protos = s->proto == AZ_PROTO_ANY ? every : &s->proto;
	size_t np = s->proto == AZ_PROTO_ANY ? sizeof(every) / sizeof(every[0]) : 1;
	struct nsg_set_fields f = { 0 };
	bool some = false;
	int src = side_meets(m, vnet, &r->src, &s->src), dst = side_meets(m, vnet, &r->dst, &s->dst);

	if (src < 0 || dst < 0)
		return -1;
	f.src = src;
	f.dst = dst;
	for (size_t i = 0; i < np; i++) {
		int p = protos[i] == AZ_PROTO_ICMP && fam == NWS_AF6 ? AZ_PROTO_ICMPV6 : protos[i];
		bool proto = nsg_proto_matches(r->proto, fam, (uint8_t)p);
		bool sp = ports_meet(&r->sport, carries_ports(p), s->sport_lo, s->sport_hi);
		bool dp = ports_meet(&r->dport, carries_ports(p), s->dport_lo, s->dport_hi);

		f.proto |= proto;
		f.sport |= sp;
		f.dport |= dp;
		/* One flow of the set must meet every field at once: the protocol and its ports together. */
		some |= proto && sp && dp;
	}
	if (fields)
		*fields = f;
	return some && f.src && f.dst;
}

const struct topo_rule *nsg_set_eval(const struct nsg_model *m, int inst, enum az_dir dir, const struct nsg_flowset *s)
{
	const struct topo_nsg *g = &m->t->nsgs[m->inst[inst].nsg];

	for (size_t i = 0; i < g->norder[dir]; i++) {
		int k = nsg_set_rule_matches(m, m->inst[inst].vnet, g->order[dir][i], s, NULL);

		if (k < 0)
			return NULL;
		if (k)
			return g->order[dir][i];
	}
	return NULL; /* unreachable: DenyAll* matches everything */
}

int nsg_set_verify(const struct nsg_model *m, int nic, int ipcfg, enum az_dir dir, const struct nsg_flowset *s,
		   struct nsg_verdict *v)
{
	int inst[2];
	struct nsg_match got[2];
	const struct nsg_match *matched[2] = { &got[0], &got[1] };
	unsigned bits = nws_fam_bits(s->dst.ip.fam);

	/* Azure's host and metadata addresses skip NSGs: only a set that is that one address. */
	if (s->dst.len == bits) {
		struct nws_flow f = { .dst = s->dst.ip };
		int p = nsg_platform(m, dir, &f);

		if (p >= 0) {
			nsg_combine(0, inst, matched, v);
			v->platform = p;
			return 0;
		}
	}
	int n = nsg_levels(m, nic, ipcfg, dir, inst, NULL);

	for (int i = 0; i < n; i++) {
		const struct topo_rule *r = nsg_set_eval(m, inst[i], dir, s);

		if (!r)
			return -1;
		got[i] = nsg_match_of(r);
	}
	nsg_combine(n, inst, matched, v);
	return 0;
}

void nsg_flowset_of(const struct nws_flow *f, struct nsg_flowset *s)
{
	unsigned bits = nws_fam_bits(f->src.fam);

	s->proto = f->proto == AZ_PROTO_ICMPV6 ? AZ_PROTO_ICMP : f->proto;
	s->src = (struct nws_prefix){ .ip = f->src, .len = (uint8_t)bits };
	s->dst = (struct nws_prefix){ .ip = f->dst, .len = (uint8_t)bits };
	s->sport_lo = s->sport_hi = f->has_ports ? f->sport : 0;
	s->dport_lo = s->dport_hi = f->has_ports ? f->dport : 0;
}
