/*
 * The benchmark's generator: the policy (random NSGs shaped like real ones, or a ClassBench filter
 * set as NSGs) and the traffic against it (flows that meet its rules, a ClassBench trace, or
 * flows that meet a loaded topology's rules). Seeded: the same options give the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* ---- the policy -------------------------------------------------------------------------------- */


static uint64_t rnd(struct bench_gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned below(struct bench_gen *g, unsigned n)
{
	return (unsigned)(rnd(g) % n);
}

/* A source prefix as a rule would name it: host bits cleared. */
static void rand_prefix(struct bench_gen *g, bool v6, char *out, size_t len)
{
	if (v6) {
		unsigned plen = 32 + below(g, 97);
		struct nws_prefix p;
		char s[64];

		snprintf(s, sizeof(s), "2001:%x:%x:%x:%x:%x:%x:%x/%u", below(g, 65536), below(g, 65536), below(g, 65536), below(g, 65536),
			 below(g, 65536), below(g, 65536), below(g, 65536), plen);
		/* nws_prefix_parse keeps the host bits; write the network back. */
		nws_prefix_parse(s, &p);
		p.ip.v &= plen ? ~(nws_u128)0 << (128 - plen) : 0;
		nws_prefix_str(&p, out);
		(void)len;
		return;
	}
	unsigned plen = 8 + below(g, 25);
	uint32_t a = (uint32_t)rnd(g);

	/* Public space, clear of the topology's own 10/8. */
	a = (a & 0x7fffffff) | 0x40000000u;
	a &= plen ? ~0u << (32 - plen) : 0;
	snprintf(out, len, "%u.%u.%u.%u/%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, plen);
}

static void rand_ports(struct bench_gen *g, bool list, char *out, size_t len)
{
	if (list) {
		unsigned n = 2 + below(g, 3), lo = 1 + below(g, 60000);
		size_t o = (size_t)snprintf(out, len, "[");

		for (unsigned i = 0; i < n; i++) {
			unsigned p = lo + below(g, 5000);

			if (p > 65000 + i)
				p = 65000 + i;

			o += (size_t)snprintf(out + o, len - o, "%s\"%u%s\"", i ? ", " : "", p, i == n - 1 ? "-65535" : "");
			lo = p;
		}
		snprintf(out + o, len - o, "]");
		return;
	}
	switch (below(g, 4)) {
	case 0:
		snprintf(out, len, "[\"*\"]");
		break;
	case 1: {
		unsigned lo = below(g, 65000);

		snprintf(out, len, "[\"%u-%u\"]", lo, lo + below(g, 500));
		break;
	}
	default:
		snprintf(out, len, "[\"%u\"]", 1 + below(g, 65535));
	}
}

char *bench_gen_topology(struct bench_gen *g)
{
	static const char *const tags[] = { "Internet", "AzureLoadBalancer", "VirtualNetwork", "Storage", "Sql" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputs("{\"serviceTags\": {\"Storage\": [\"52.239.0.0/16\", \"2603:1000::/40\"], \"Sql\": [\"104.40.0.0/13\"]},\n", f);
	fputs(" \"virtualNetworks\": [{\"name\": \"bench\", \"addressSpace\": [\"10.0.0.0/8\", \"fd00:b::/48\"],\n", f);
	fputs("  \"subnets\": [{\"name\": \"s0\", \"addressPrefixes\": [\"10.0.0.0/16\", \"fd00:b::/64\"]}]}],\n", f);
	fputs(" \"networkSecurityGroups\": [\n", f);
	for (int n = 0; n < g->nsgs; n++) {
		fprintf(f, "  {\"name\": \"nsg%d\", \"securityRules\": [\n", n);
		for (int r = 0; r < g->rules; r++) {
			char src[96], sp[128], dp[128];
			bool v6 = (int)below(g, 100) < g->v6_pct;
			static const char *const protos[] = { "Tcp", "Tcp", "Udp", "*" };

			if ((int)below(g, 100) < g->tag_pct)
				snprintf(src, sizeof(src), "\"%s\"", tags[below(g, 5)]);
			else {
				char p[80];

				rand_prefix(g, v6, p, sizeof(p));
				snprintf(src, sizeof(src), "\"%s\"", p);
			}
			if (below(g, 5) == 0)
				rand_ports(g, false, sp, sizeof(sp));
			else
				snprintf(sp, sizeof(sp), "[\"*\"]");
			rand_ports(g, (int)below(g, 100) < g->list_pct, dp, sizeof(dp));
			fprintf(f,
				"   {\"name\": \"r%d\", \"priority\": %d, \"direction\": \"%s\", \"access\": \"%s\", \"protocol\": \"%s\","
				" \"sourceAddressPrefix\": %s, \"sourcePortRanges\": %s, \"destinationAddressPrefix\": \"*\","
				" \"destinationPortRanges\": %s}%s\n",
				/* 100..4096 holds 3,997 priorities a direction: a 4,000-rule NSG spills into outbound. */
				r, 100 + r % 3997, r < 3997 ? "Inbound" : "Outbound", below(g, 3) ? "Allow" : "Deny",
				protos[below(g, 4)], src, sp, dp, r + 1 < g->rules ? "," : "");
		}
		fprintf(f, "  ]}%s\n", n + 1 < g->nsgs ? "," : "");
	}
	fputs(" ],\n \"virtualMachines\": [\n", f);
	for (int i = 0; i < g->nics; i++)
		fprintf(f,
			"  {\"name\": \"vm%d\", \"networkInterfaces\": [{\"name\": \"nic%d\", \"networkSecurityGroup\": \"nsg%d\","
			" \"ipConfigurations\": [{\"name\": \"v4\", \"subnet\": \"bench/s0\", \"privateIPAddress\": \"10.0.%d.%d\"},"
			" {\"name\": \"v6\", \"subnet\": \"bench/s0\", \"privateIPAddress\": \"fd00:b::%x\"}]}]}%s\n",
			i, i, i % g->nsgs, i / 250, 4 + i % 250, 0x100 + i, i + 1 < g->nics ? "," : "");
	fputs(" ]}\n", f);
	fclose(f);
	return buf;
}

/*
 * A ClassBench filter set as NSGs: rules in file order (first match, as priorities ascending),
 * split into NSGs of at most CB_PER_NSG rules, each on a NIC of its own. A filter's source prefix,
 * both port ranges and protocol become the rule's; its destination prefix is left out, since
 * the NSG sits on the NIC the packets go to. Every third filter denies (ClassBench has no
 * action). Filters on protocols an NSG cannot name (GRE, ...) are skipped and counted.
 */
#define CB_PER_NSG 3900

/* The NSG of the first filter the 5-tuple matches (the trace's own first-match order), or 0. */
static int cb_nsg_of(const struct bench_cb *cs, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp, uint8_t proto)
{
	for (size_t i = 0; i < cs->n; i++) {
		const struct bench_cb_filter *x = &cs->f[i];

		if ((src & x->smask) == x->src && (dst & x->dmask) == x->dst && sp >= x->splo && sp <= x->sphi && dp >= x->dplo &&
		    dp <= x->dphi && (proto & x->pmask) == x->proto)
			return x->nsg >= 0 ? x->nsg : 0;
	}
	return 0;
}

static int cb_field_range(const char *s, unsigned *lo, unsigned *hi)
{
	return sscanf(s, "%u : %u", lo, hi) == 2 && *lo <= *hi && *hi <= 65535 ? 0 : -1;
}

char *bench_gen_classbench(const char *path, struct bench_gen *g, int *skipped, struct bench_cb *cs, struct nws_err *err)
{
	FILE *in = fopen(path, "r");
	char *buf = NULL, line[512];
	size_t len = 0, lineno = 0;
	int n = 0, nsg = 0;
	FILE *f;

	if (!in) {
		nws_err_set(err, "%s: cannot read: %m", path);
		return NULL;
	}
	f = open_memstream(&buf, &len);
	if (!f) {
		fclose(in);
		nws_err_set(err, "out of memory");
		return NULL;
	}
	*skipped = 0;
	fputs("{\"virtualNetworks\": [{\"name\": \"bench\", \"addressSpace\": [\"10.0.0.0/8\"],\n"
	      "  \"subnets\": [{\"name\": \"s0\", \"addressPrefix\": \"10.0.0.0/16\"}]}],\n \"networkSecurityGroups\": [\n",
	      f);
	while (fgets(line, sizeof(line), in)) {
		char *fld[7] = { 0 }, *save = NULL, *tok = strtok_r(line, "\t\n", &save);
		unsigned splo, sphi, dplo, dphi, proto, pmask;
		struct nws_prefix pfx;
		int k = 0;

		lineno++;
		for (; tok && k < 7; tok = strtok_r(NULL, "\t\n", &save))
			fld[k++] = tok;
		if (k == 0)
			continue;
		if (k < 5 || fld[0][0] != '@' || nws_prefix_parse(fld[0] + 1, &pfx) < 0 || cb_field_range(fld[2], &splo, &sphi) < 0 ||
		    cb_field_range(fld[3], &dplo, &dphi) < 0 || sscanf(fld[4], "%x/%x", &proto, &pmask) != 2) {
			nws_err_set(err, "%s: line %zu: not a ClassBench filter (@src/len dst/len lo : hi lo : hi proto/mask ...)", path,
				    lineno);
			fclose(f);
			fclose(in);
			free(buf);
			return NULL;
		}
		const char *pn = pmask == 0 ? "*" : proto == 6 ? "Tcp" : proto == 17 ? "Udp" : proto == 1 ? "Icmp" : proto == 50 ? "Esp" : proto == 51 ? "Ah" : NULL;
		struct nws_prefix dpfx;

		if (cs->n % 1024 == 0) {
			struct bench_cb_filter *nf = realloc(cs->f, (cs->n + 1024) * sizeof(*nf));

			if (!nf) {
				nws_err_set(err, "out of memory");
				fclose(f);
				fclose(in);
				free(buf);
				return NULL;
			}
			cs->f = nf;
		}
		if (pfx.ip.fam != NWS_AF4 || nws_prefix_parse(fld[1], &dpfx) < 0 || dpfx.ip.fam != NWS_AF4) {
			nws_err_set(err, "%s: line %zu: not an IPv4 ClassBench filter", path, lineno);
			fclose(f);
			fclose(in);
			free(buf);
			return NULL;
		}
		struct bench_cb_filter *cf = &cs->f[cs->n++];

		cf->smask = pfx.len ? ~0u << (32 - pfx.len) : 0;
		cf->dmask = dpfx.len ? ~0u << (32 - dpfx.len) : 0;
		cf->src = (uint32_t)pfx.ip.v & cf->smask;
		cf->dst = (uint32_t)dpfx.ip.v & cf->dmask;
		cf->splo = (uint16_t)splo;
		cf->sphi = (uint16_t)sphi;
		cf->dplo = (uint16_t)dplo;
		cf->dphi = (uint16_t)dphi;
		cf->proto = (uint8_t)(proto & pmask);
		cf->pmask = (uint8_t)pmask;
		cf->nsg = pn ? n / CB_PER_NSG : -1;
		if (!pn) {
			(*skipped)++;
			continue;
		}
		if (n % CB_PER_NSG == 0) {
			fprintf(f, "%s  {\"name\": \"nsg%d\", \"securityRules\": [\n", nsg ? "\n  ]},\n" : "", nsg);
			nsg++;
		}
		char pb[NWS_PREFIX_STRLEN], sp[32], dp[32];

		pfx.ip.v &= pfx.len ? ~(nws_u128)0 << ((pfx.ip.fam == NWS_AF4 ? 32 : 128) - pfx.len) : 0;
		if (pfx.ip.fam == NWS_AF4)
			pfx.ip.v &= 0xffffffffu;
		snprintf(sp, sizeof(sp), splo == 0 && sphi == 65535 ? "*" : "%u-%u", splo, sphi);
		snprintf(dp, sizeof(dp), dplo == 0 && dphi == 65535 ? "*" : "%u-%u", dplo, dphi);
		fprintf(f,
			"%s   {\"name\": \"f%d\", \"priority\": %d, \"direction\": \"Inbound\", \"access\": \"%s\", \"protocol\": \"%s\","
			" \"sourceAddressPrefix\": \"%s\", \"sourcePortRange\": \"%s\", \"destinationAddressPrefix\": \"*\","
			" \"destinationPortRange\": \"%s\"}",
			n % CB_PER_NSG ? ",\n" : "", n, 100 + n % CB_PER_NSG, n % 3 == 2 ? "Deny" : "Allow", pn,
			pfx.len == 0 ? "*" : nws_prefix_str(&pfx, pb), sp, dp);
		n++;
	}
	fclose(in);
	if (n == 0) {
		fclose(f);
		free(buf);
		nws_err_set(err, "%s: no ClassBench filter an NSG can hold", path);
		return NULL;
	}
	fputs("\n  ]}\n ],\n \"virtualMachines\": [\n", f);
	for (int i = 0; i < nsg; i++)
		fprintf(f,
			"  {\"name\": \"vm%d\", \"networkInterfaces\": [{\"name\": \"nic%d\", \"networkSecurityGroup\": \"nsg%d\","
			" \"subnet\": \"bench/s0\", \"privateIpAddress\": \"10.0.0.%d\"}]}%s\n",
			i, i, i, 4 + i, i + 1 < nsg ? "," : "");
	fputs(" ]}\n", f);
	fclose(f);
	g->rules = n;
	g->nsgs = g->nics = nsg;
	return buf;
}

/* ---- the traffic ------------------------------------------------------------------------------- */

void bench_gen_flow(struct bench_gen *g, const struct topo *t, struct bench_flow *bf)
{
	int nic = (int)below(g, (unsigned)t->nnics);
	const struct topo_nsg *nsg = &t->nsgs[t->nics[nic].nsg];
	const struct topo_rule *r = &nsg->rules[below(g, (unsigned)nsg->nuser)];
	struct nws_flow *f = &bf->f;
	bool v6 = false;

	memset(bf, 0, sizeof(*bf));
	if (r->src.pfx.n && r->src.pfx.p[0].ip.fam == NWS_AF6)
		v6 = true;
	bf->nic = nic;
	bf->ipcfg = v6 ? 1 : 0;
	bf->dir = AZ_INBOUND;
	f->dst = t->nics[nic].ipcfgs[bf->ipcfg].ip;
	if (r->src.pfx.n) {
		const struct nws_prefix *p = &r->src.pfx.p[0];
		unsigned bits = (p->ip.fam == NWS_AF4 ? 32u : 128u) - (unsigned)p->len;
		nws_u128 host = ((nws_u128)rnd(g) << 64 | rnd(g));

		f->src = p->ip;
		if (bits)
			f->src.v |= bits >= 128 ? host : host & (((nws_u128)1 << bits) - 1);
	} else {
		f->src.fam = NWS_AF4;
		f->src.v = (nws_u128)((uint32_t)rnd(g) | 0x40000000u) & 0x7fffffff;
	}
	f->proto = r->proto == AZ_PROTO_UDP ? AZ_PROTO_UDP : AZ_PROTO_TCP;
	f->has_ports = true;
	f->sport = (uint16_t)(1024 + below(g, 64000));
	f->dport = r->dport.n ? (uint16_t)(r->dport.r[0].lo + below(g, (unsigned)(r->dport.r[0].hi - r->dport.r[0].lo + 1))) : 443;
}

struct bench_flow *bench_load_trace(const char *path, const struct topo *t, const struct bench_cb *cs, size_t max, size_t *n,
				     struct nws_err *err)
{
	FILE *in = fopen(path, "r");
	char line[256];
	size_t cap = 0, lineno = 0;
	struct bench_flow *v = NULL;

	*n = 0;
	if (!in) {
		nws_err_set(err, "%s: cannot read: %m", path);
		return NULL;
	}
	while (*n < max && fgets(line, sizeof(line), in)) {
		unsigned long src, dst, sp, dp, pr;

		lineno++;
		if (sscanf(line, "%lu %lu %lu %lu %lu", &src, &dst, &sp, &dp, &pr) != 5 || src > UINT32_MAX || dst > UINT32_MAX ||
		    sp > 65535 || dp > 65535 || pr > 255) {
			nws_err_set(err, "%s: line %zu: not a ClassBench trace line (src dst sport dport proto)", path, lineno);
			free(v);
			fclose(in);
			return NULL;
		}
		if (*n == cap) {
			struct bench_flow *nv = realloc(v, (cap = cap ? 2 * cap : 4096) * sizeof(*nv));

			if (!nv) {
				free(v);
				fclose(in);
				nws_err_set(err, "out of memory");
				return NULL;
			}
			v = nv;
		}
		struct bench_flow *bf = &v[(*n)++];
		struct nws_flow *f = &bf->f;
		int nic = cb_nsg_of(cs, (uint32_t)src, (uint32_t)dst, (uint16_t)sp, (uint16_t)dp, (uint8_t)pr);

		memset(bf, 0, sizeof(*bf));
		bf->nic = nic < (int)t->nnics ? nic : 0;
		bf->ipcfg = 0;
		bf->dir = AZ_INBOUND;
		f->src.fam = NWS_AF4;
		f->src.v = src;
		f->dst = t->nics[bf->nic].ipcfgs[0].ip;
		f->proto = (uint8_t)pr;
		f->has_ports = pr == AZ_PROTO_TCP || pr == AZ_PROTO_UDP;
		f->sport = f->has_ports ? (uint16_t)sp : 0;
		f->dport = f->has_ports ? (uint16_t)dp : 0;
	}
	fclose(in);
	if (*n == 0) {
		nws_err_set(err, "%s: no packets", path);
		free(v);
		return NULL;
	}
	return v;
}

/* ---- traffic for a loaded topology ----------------------------------------------------------- */

/* A random address of family fam in set; false when it has none of that family. */
static bool addr_in(struct bench_gen *g, const struct nws_aset *set, uint8_t fam, struct nws_ip *out)
{
	size_t n = 0, k;

	for (size_t i = 0; i < set->n; i++)
		n += set->r[i].fam == fam;
	if (!n)
		return false;
	k = below(g, (unsigned)n);
	for (size_t i = 0; i < set->n; i++) {
		const struct nws_range *r = &set->r[i];

		if (r->fam != fam || k--)
			continue;
		nws_u128 span = r->hi - r->lo + 1, x = (nws_u128)rnd(g) << 64 | rnd(g);

		out->fam = fam;
		out->v = r->lo + (span ? x % span : x); /* span 0: the whole IPv6 space */
		return true;
	}
	return false;
}

/* A port a rule's ranges hold, or dflt where it names none. */
static uint16_t port_in(struct bench_gen *g, const struct topo_ports *p, uint16_t dflt)
{
	if (!p || p->any || !p->n)
		return dflt;
	const struct topo_portrange *r = &p->r[below(g, (unsigned)p->n)];

	return (uint16_t)(r->lo + below(g, (unsigned)(r->hi - r->lo) + 1));
}

/*
 * A flow for a loaded topology: it meets a random user rule of an NSG that judges a random NIC
 * configuration's traffic. An inbound rule's flow comes to the configuration's address from one in
 * the rule's source; an outbound rule's goes from it to one in the rule's destination; its ports
 * are in the rule's ranges and its protocol is the rule's (TCP for any). `*` on the far side
 * stands for the internet as that network sees it. A pick with no such rule (a NIC without NSGs,
 * an NSG with none that way, a rule of the other family only) is drawn again, up to 64 times;
 * then the flow comes from the internet to the last NIC drawn, which every topology has.
 */
void bench_gen_topo_flow(struct bench_gen *g, const struct nsg_model *m, struct bench_flow *bf)
{
	const struct topo *t = m->t;
	struct nws_flow *f = &bf->f;

	for (int tries = 0;; tries++) {
		int nic = (int)below(g, (unsigned)t->nnics), ipcfg = (int)below(g, (unsigned)t->nics[nic].nipcfgs), inst[2];
		const struct topo_ipcfg *cfg = &t->nics[nic].ipcfgs[ipcfg];
		enum az_dir dir = below(g, 2) ? AZ_INBOUND : AZ_OUTBOUND;
		int nl = nsg_levels(m, nic, ipcfg, dir, inst, NULL), vnet = t->subnets[cfg->subnet].vnet;
		const struct topo_rule *r = NULL;
		bool last = tries == 64;

		if (nl > 0 && !last) {
			int in = inst[below(g, (unsigned)nl)];
			const struct topo_nsg *nsg = &t->nsgs[m->inst[in].nsg];
			size_t nu = nsg->norder[dir];

			while (nu && nsg->order[dir][nu - 1]->is_default) /* the defaults come last */
				nu--;
			if (nu) {
				r = nsg->order[dir][below(g, (unsigned)nu)];
				vnet = m->inst[in].vnet;
			}
		}
		if (!r && !last)
			continue;
		if (last)
			dir = AZ_INBOUND;
		/* The far side's addresses; `*` (and the fallback) the internet's. */
		const struct topo_side *side = !r ? NULL : dir == AZ_INBOUND ? &r->src : &r->dst;
		struct nws_aset set = { 0 };
		struct nws_ip far = { 0 };
		bool ok = side && side->kind != TOPO_SIDE_ANY ? nsg_side_set(m, vnet, side, &set) == 0 && addr_in(g, &set, cfg->ip.fam, &far)
							       : addr_in(g, &m->inet_set[vnet], cfg->ip.fam, &far);

		nws_aset_free(&set);
		if (!ok || nws_ip_eq(&far, &cfg->ip)) {
			if (!last)
				continue;
			far = cfg->ip; /* no internet address of that family: a documentation one */
			far.v = cfg->ip.fam == NWS_AF4 ? (nws_u128)0xc6336401u : (nws_u128)0x20010db8u << 96 | 1;
		}
		memset(bf, 0, sizeof(*bf));
		bf->nic = nic;
		bf->ipcfg = ipcfg;
		bf->dir = dir;
		f->src = dir == AZ_INBOUND ? far : cfg->ip;
		f->dst = dir == AZ_INBOUND ? cfg->ip : far;
		f->proto = AZ_PROTO_TCP;
		if (r && r->proto != AZ_PROTO_ANY)
			f->proto = (uint8_t)(r->proto == AZ_PROTO_ICMP && cfg->ip.fam == NWS_AF6 ? AZ_PROTO_ICMPV6 : r->proto);
		f->has_ports = f->proto == AZ_PROTO_TCP || f->proto == AZ_PROTO_UDP;
		if (f->has_ports) {
			f->sport = port_in(g, r ? &r->sport : NULL, (uint16_t)(1024 + below(g, 64000)));
			f->dport = port_in(g, r ? &r->dport : NULL, (uint16_t)(1 + below(g, 65535)));
		}
		return;
	}
}
