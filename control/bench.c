/*
 * nwsim bench: how fast NSG policies of a given size and shape are enforced. A seeded generator
 * writes a topology (NSGs of N rules shaped like real ones: prefixes, service tags, port ranges
 * and lists, some IPv6) and a traffic mix against it; the frames are preloaded, received into a
 * ring of mbufs a burst at a time, and every worker runs the full packet path on its share (parse
 * from the mbuf, flow table, NSGs both ways, routes, counters) in passes, for a packet count or a
 * time. Reports per worker and in total: Mpps, Gbit/s at the frame size, cycles per packet,
 * per-packet latency percentiles, the rule build time and the tables' memory.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>

#include "app.h"
#include "cmds.h"
#include "connect.h"
#include "dp_eal.h"
#include "dp_engine.h"
#include "dp_port.h"
#include "feed.h"
#include "jw.h"
#include "summary.h"

static const char usage_text[] =
	"usage: nwsim bench [--rules N] [--nsgs N] [--nics N] [--tags PCT] [--port-lists PCT] [--ipv6 PCT]\n"
	"                   [-t FILE | --classbench FILE [--trace FILE]]\n"
	"                   [--flows N] [--packets-per-flow N] [--concurrent N] [--packets N | --seconds S]\n"
	"                   [--workers N] [--burst N] [--alg NAME] [--frame-size BYTES] [--seed S]\n"
	"                   [-o json|table] [-- EAL]\n"
	"\n"
	"Measures the full packet path on a generated policy: --nsgs NSGs (default 1) of --rules rules\n"
	"each (default 1000; Azure allows 1000, 4000 with a raised limit), on --nics NICs (default 16);\n"
	"--tags, --port-lists and --ipv6 set the share of rules with service tags, with port lists and\n"
	"with IPv6 prefixes (defaults 10, 20, 10 percent). The traffic: --flows flows (default 20000) of\n"
	"--packets-per-flow packets both ways (default 10), --concurrent of them in flight at once, their\n"
	"packets taking turns (default 64), preloaded as frames and received by each worker into a\n"
	"ring of mbufs, in passes, every pass with new flows, for --packets packets (default 20,000,000) or\n"
	"--seconds. --workers N worker lcores (default 1; 0, the main lcore, on one CPU; the main lcore\n"
	"sleeps while workers run), --burst 1..64\n"
	"(default 32), --alg scalar|sse|avx2|avx512x16|avx512x32 (default: the fastest here). Reports Mpps, Gbit/s at\n"
	"--frame-size (default 64), cycles per packet, latency percentiles, classification (rte_acl keys a\n"
	"packet, cycles a key, share of the cycles), the share of new flows whose pair of addresses was\n"
	"known (no walk of their own), build time and table memory.\n"
	"--classbench FILE takes the policy from a ClassBench filter set instead (NSGs of up to 3,900\n"
	"rules, one per NIC; the flows meet random filters), --trace FILE the flows from a ClassBench\n"
	"trace (one flow a line, to the NIC whose NSG holds its first matching filter).\n"
	"-t FILE takes the policy from a topology of your own (topology-format.md); each flow meets a\n"
	"random user rule of an NSG on a random NIC's path, inbound or outbound, as that rule names it.\n";

/* ---- the policy -------------------------------------------------------------------------------- */

struct gen {
	uint64_t rng;
	int rules, nsgs, nics, tag_pct, list_pct, v6_pct;
};

static uint64_t rnd(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned below(struct gen *g, unsigned n)
{
	return (unsigned)(rnd(g) % n);
}

/* A source prefix as a rule would name it: host bits cleared. */
static void rand_prefix(struct gen *g, bool v6, char *out, size_t len)
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

static void rand_ports(struct gen *g, bool list, char *out, size_t len)
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

/* The topology as JSON text (malloc'd). */
static char *gen_topology(struct gen *g)
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

/* A filter as ClassBench wrote it (all five fields), to send a trace's packet to its NSG's NIC. */
struct cb_filter {
	uint32_t src, smask, dst, dmask;
	uint16_t splo, sphi, dplo, dphi;
	uint8_t proto, pmask;
	int nsg; /* -1: skipped */
};

struct cb_set {
	struct cb_filter *f;
	size_t n;
};

/* The NSG of the first filter the 5-tuple matches (the trace's own first-match order), or 0. */
static int cb_nsg_of(const struct cb_set *cs, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp, uint8_t proto)
{
	for (size_t i = 0; i < cs->n; i++) {
		const struct cb_filter *x = &cs->f[i];

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

static char *gen_classbench(const char *path, struct gen *g, int *skipped, struct cb_set *cs, struct nws_err *err)
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
			struct cb_filter *nf = realloc(cs->f, (cs->n + 1024) * sizeof(*nf));

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
		struct cb_filter *cf = &cs->f[cs->n++];

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

/* A flow of the traffic, and where the linear reference judges its first packet. */
struct bench_flow {
	struct nws_flow f;
	int nic, ipcfg; /* the NIC configuration whose NSGs judge it, */
	enum az_dir dir; /* and which way */
};

/* A flow that meets a random rule of its NIC's NSG: its source inside the rule's, its port in range. */
static void gen_flow(struct gen *g, const struct topo *t, struct bench_flow *bf)
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

/*
 * A ClassBench trace ("src dst sport dport proto ...", decimal, one packet a line), as flows:
 * each line a flow, to the NIC whose NSG holds the first filter it matches. Returns the flows.
 */
static struct bench_flow *load_trace(const char *path, const struct topo *t, const struct cb_set *cs, size_t max, size_t *n,
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
static bool addr_in(struct gen *g, const struct nws_aset *set, uint8_t fam, struct nws_ip *out)
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
static uint16_t port_in(struct gen *g, const struct topo_ports *p, uint16_t dflt)
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
static void gen_topo_flow(struct gen *g, const struct nsg_model *m, struct bench_flow *bf)
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

/* ---- the workers ------------------------------------------------------------------------------- */

#define LAT_BUCKETS (64 * 8)
#define BENCH_DATA_ROOM 128 /* the largest frame conn_frame writes, rounded up to cache lines */
#define BENCH_RING 512      /* a worker's receive ring: the mbufs it cycles through (128 KB) */

/*
 * A worker's traffic is preloaded as frames, packed in the order sent, and received into a ring
 * of mbufs one burst at a time, as from a NIC: a million distinct mbufs, each read once a pass,
 * would make the benchmark a measure of how fast memory streams 256 bytes a packet.
 */
struct bench_worker {
	struct dp_engine eng;
	uint8_t *frame; /* its packets' frames, in order, each on a line of its own */
	bool frame_rte; /* frame is rte_malloc's (hugepages), else aligned_alloc's */
	uint64_t *off;  /* where each starts */
	uint16_t *len;  /* their lengths */
	uint64_t *ts;   /* each packet's time within a pass */
	struct rte_mbuf *ring[BENCH_RING];
	size_t n;
	unsigned burst;
	uint64_t target, deadline_tsc; /* stop at target packets or at the deadline (0: none) */
	uint64_t pass_ns;
	/* results */
	uint64_t packets, cycles;
	uint64_t pairs_known, pairs_walked; /* new flows' walks answered from their pair's, and pairs walked first */
	struct dp_acl_tally acl; /* its classify calls */
	uint64_t lat[LAT_BUCKETS]; /* per-packet latency (its burst's cycles), log2 with 8 steps */
	unsigned lcore;
};

static unsigned lat_bucket(uint64_t c)
{
	if (c < 8)
		return (unsigned)c;
	unsigned lg = 63 - (unsigned)__builtin_clzll(c);
	unsigned sub = (unsigned)(c >> (lg - 3)) & 7;

	return lg * 8 + sub < LAT_BUCKETS ? lg * 8 + sub : LAT_BUCKETS - 1;
}

static uint64_t lat_value(unsigned b)
{
	if (b < 8)
		return b;
	unsigned lg = b / 8, sub = b % 8;

	return ((uint64_t)(8 + sub) << (lg - 3)) + ((uint64_t)1 << (lg - 3)) / 2;
}

static int bench_main(void *arg)
{
	struct bench_worker *w = arg;
	struct dp_item items[DP_PATH_BURST], *it[DP_PATH_BURST];
	static __thread struct dp_outcome outs[DP_PATH_BURST];
	struct dp_outcome *out[DP_PATH_BURST];
	uint64_t t0, base = 0, a;
	unsigned r = 0;

	dp_acl_tally_take(&w->acl); /* drop what this thread classified before the run (none so far) */
	t0 = a = rte_rdtsc();

	for (unsigned i = 0; i < DP_PATH_BURST; i++) {
		it[i] = &items[i];
		out[i] = &outs[i];
	}
	while (w->packets < w->target) {
		for (size_t i = 0; i < w->n && w->packets < w->target; i += w->burst) {
			unsigned k = w->n - i < w->burst ? (unsigned)(w->n - i) : w->burst;

			if (k > w->target - w->packets) /* the last burst: no more than asked for */
				k = (unsigned)(w->target - w->packets);
			/*
			 * Receive: the burst's frames into the ring's next mbufs, as a NIC's DMA and its
			 * driver would hand them over (the mbufs warm, the frames fresh). The frames are
			 * read in the order sent, so a prefetch two bursts ahead has them in time.
			 */
			struct rte_mbuf *mb[DP_PATH_BURST];
			/* Read once: the copies below could alias w for all the compiler knows. */
			const uint8_t *frames = w->frame;
			const uint64_t *off = w->off + i, *ts = w->ts + i;
			const uint16_t *len = w->len + i;
			size_t ahead = 2 * (size_t)w->burst, left = w->n - i;
			unsigned nahead = left > ahead ? (left - ahead < k ? (unsigned)(left - ahead) : k) : 0;

			for (unsigned j = 0; j < k; j++) {
				struct rte_mbuf *m = mb[j] = w->ring[(r + j) & (BENCH_RING - 1)];
				const uint8_t *fr = frames + off[j];

				if (j < nahead)
					rte_prefetch0(frames + off[j + ahead]);
				/* Whole lines whatever the length: copies the compiler unrolls. */
				if (len[j] <= 64)
					memcpy(rte_pktmbuf_mtod(m, void *), fr, 64);
				else
					memcpy(rte_pktmbuf_mtod(m, void *), fr, BENCH_DATA_ROOM);
				m->data_len = m->pkt_len = len[j];
			}
			r += k;
			/*
			 * Then parsed, as a driver's burst is: a frame read back right after its wide
			 * copy waits for the stores to drain (no store forwarding), which no NIC costs.
			 */
			for (unsigned j = 0; j < k; j++)
				dp_port_item(&items[j], mb[j], base + ts[j]);
			dp_engine_burst(&w->eng, it, out, k);
			/* A burst's end is the next one's start: one TSC read a burst (each costs ~25 cycles). */
			uint64_t end = rte_rdtsc(), c = end - a;

			a = end;
			w->lat[lat_bucket(c)] += k;
			w->packets += k;
			if (w->deadline_tsc && (i & 1023) < w->burst && end > w->deadline_tsc)
				w->target = w->packets;
		}
		/* The next pass later than the idle time: its flows are new again. */
		base += w->pass_ns;
	}
	w->cycles = rte_rdtsc() - t0;
	w->pairs_known = w->eng.pairs.hits;
	w->pairs_walked = w->eng.pairs.misses;
	dp_acl_tally_take(&w->acl);
	return 0;
}

static uint64_t percentile(const uint64_t *h, uint64_t total, double q)
{
	uint64_t want = (uint64_t)((double)total * q), seen = 0;

	for (unsigned b = 0; b < LAT_BUCKETS; b++) {
		seen += h[b];
		if (seen > want)
			return lat_value(b);
	}
	return lat_value(LAT_BUCKETS - 1);
}

/* ---- the command ------------------------------------------------------------------------------- */

struct bench_opts {
	const char *rules, *nsgs, *nics, *tags, *lists, *v6, *flows, *ppf, *packets, *seconds, *workers, *burst, *alg, *frame, *seed,
		*classbench, *trace, *conc;
};

int cmd_bench(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct bench_opts o = { 0 };
	const struct cli_opt opts[] = {
		{ "--rules", 0, &o.rules, NULL, NULL },     { "--nsgs", 0, &o.nsgs, NULL, NULL },       { "--nics", 0, &o.nics, NULL, NULL },
		{ "--tags", 0, &o.tags, NULL, NULL },       { "--port-lists", 0, &o.lists, NULL, NULL }, { "--ipv6", 0, &o.v6, NULL, NULL },
		{ "--flows", 0, &o.flows, NULL, NULL },     { "--packets-per-flow", 0, &o.ppf, NULL, NULL },
		{ "--packets", 0, &o.packets, NULL, NULL }, { "--seconds", 0, &o.seconds, NULL, NULL },
		{ "--workers", 0, &o.workers, NULL, NULL }, { "--burst", 0, &o.burst, NULL, NULL },     { "--alg", 0, &o.alg, NULL, NULL },
		{ "--frame-size", 0, &o.frame, NULL, NULL }, { "--seed", 0, &o.seed, NULL, NULL }, { "--classbench", 0, &o.classbench, NULL, NULL },
		{ "--trace", 0, &o.trace, NULL, NULL },     { "--concurrent", 0, &o.conc, NULL, NULL },
		{ NULL, 0, NULL, NULL, NULL },
	};
	struct nws_err err = { { 0 } };
	struct app app = { 0 };
	double rules = 1000, nsgs = 1, nics = 16, tags = 10, lists = 20, v6 = 10, flows = 20000, ppf = 10, packets = 20e6,
	       seconds = 0, workers = cli_ncpus() > 1 ? 1 : 0, burst = 32, frame = 64, seed = 1, concurrent = 64;
	static struct bench_worker W[MAX_WORKERS + 1];
	struct rte_mempool *pool = NULL;
	char *json = NULL;
	int rc = CLI_USAGE, alg = 0, skipped = 0;
	unsigned nw;
	struct cb_set cs = { 0 };
	struct bench_flow *tflows = NULL, *ref = NULL;
	size_t ntflows = 0, nref = 0;

	if (cli_parse(argc, argv, opts, &c, NULL, NULL, &err) < 0 || cli_check_output(&c, CLI_FORMATS_REPORT, &err) < 0)
		goto usage;
	if (c.help) {
		fputs(usage_text, stdout);
		return CLI_OK;
	}
	const struct cli_num nums[] = {
		{ "--rules", o.rules, 1, 4000, true, &rules },
		{ "--nsgs", o.nsgs, 1, 1000, true, &nsgs },
		{ "--nics", o.nics, 1, 60000, true, &nics },
		{ "--tags", o.tags, 0, 100, true, &tags },
		{ "--port-lists", o.lists, 0, 100, true, &lists },
		{ "--ipv6", o.v6, 0, 100, true, &v6 },
		{ "--flows", o.flows, 1, 10000000, true, &flows },
		{ "--packets-per-flow", o.ppf, 1, 1000, true, &ppf },
		{ "--packets", o.packets, 1, 1e12, true, &packets },
		{ "--seconds", o.seconds, 0.01, 3600, false, &seconds },
		{ "--workers", o.workers, 0, MAX_WORKERS, true, &workers },
		{ "--burst", o.burst, 1, DP_PATH_BURST, true, &burst },
		{ "--frame-size", o.frame, 64, 9000, true, &frame },
		{ "--seed", o.seed, 0, 1e15, true, &seed },
		{ "--concurrent", o.conc, 1, 10000000, true, &concurrent },
	};
	if (cli_numbers(nums, sizeof(nums) / sizeof(nums[0]), &err) < 0)
		goto usage;
	if (o.packets && o.seconds) {
		nws_err_set(&err, "give --packets or --seconds, not both");
		goto usage;
	}
	nw = (unsigned)workers;
	struct gen g = { .rng = (uint64_t)seed, .rules = (int)rules, .nsgs = (int)nsgs, .nics = (int)nics, .tag_pct = (int)tags,
			 .list_pct = (int)lists, .v6_pct = (int)v6 };


	if (g.nsgs > g.nics)
		g.nsgs = g.nics;
	if (o.classbench && (o.rules || o.nsgs || o.nics || o.tags || o.lists || o.v6)) {
		nws_err_set(&err, "--classbench gives the policy: drop --rules, --nsgs, --nics, --tags, --port-lists, --ipv6");
		goto usage;
	}
	if (o.trace && !o.classbench) {
		nws_err_set(&err, "--trace goes with --classbench");
		goto usage;
	}
	if (c.topology && (o.classbench || o.rules || o.nsgs || o.nics || o.tags || o.lists || o.v6)) {
		nws_err_set(&err, "-t gives the policy: drop --classbench, --rules, --nsgs, --nics, --tags, --port-lists, --ipv6");
		goto usage;
	}
	if (c.topology) {
		/* The user's own policy, through the loader every command uses. */
		if (cli_topology_args(&c, &err) < 0)
			goto usage;
		app.t = cli_load_topology(&c, &err);
		if (!app.t) {
			rc = CLI_INPUT;
			goto out;
		}
		if (!app.t->nnics) {
			nws_err_set(&err, "%s: no network interface to send the traffic to", c.topology);
			rc = CLI_INPUT;
			goto out;
		}
	} else {
		json = o.classbench ? gen_classbench(o.classbench, &g, &skipped, &cs, &err) : gen_topology(&g);
		if (!json) {
			if (!o.classbench)
				nws_err_set(&err, "out of memory");
			rc = o.classbench ? CLI_INPUT : CLI_FAIL;
			goto out;
		}
		app.t = topo_load_buf(o.classbench ? o.classbench : "generated policy", json, strlen(json), &err);
		if (!app.t) {
			rc = CLI_FAIL;
			goto out;
		}
	}
	if (nsg_model_build(&app.m, app.t, &err) < 0) {
		rc = CLI_FAIL;
		goto out;
	}
	if (route_model_build(&app.rm, app.t, &err) < 0) {
		nsg_model_free(&app.m);
		rc = CLI_FAIL;
		goto out;
	}
	app.have_model = true;
	if (cli_set_workers(&c, &nw, o.workers != NULL, &err) < 0) {
		nws_err_prefix(&err, "bench: ");
		rc = CLI_USAGE;
		goto out;
	}
	rc = app_compile(&app, &c, 0, &err); /* EAL only: the build is timed below */
	if (rc != CLI_OK)
		goto out;
	rc = CLI_FAIL;
	if (nw > rte_lcore_count() - 1) {
		nws_err_set(&err, "bench: --workers %u needs %u lcores; EAL has %u", nw, nw + 1, rte_lcore_count());
		rc = CLI_USAGE;
		goto out;
	}
	if (o.alg) {
		int algs[8], n = dp_acl_algs(algs);

		for (int i = 0; i < n; i++)
			if (!strcasecmp(dp_acl_alg_name(algs[i]), o.alg))
				alg = algs[i];
		if (!alg) {
			nws_err_set(&err, "bench: --alg: '%s' is not a classify algorithm this machine has", o.alg);
			rc = CLI_USAGE;
			goto out;
		}
	}
	struct rte_malloc_socket_stats s0, s1;
	uint64_t b0 = rte_rdtsc();

	rte_malloc_get_socket_stats((int)rte_socket_id(), &s0);
	if (dp_routes_build(&app.routes, &app.rm, DP_ROUTE_LPM_TABLES, &err) < 0)
		goto out;
	app.have_routes = true;
	if (dp_acl_build(&app.acl, &app.m, alg, NULL, &err) < 0)
		goto out;
	app.have_acl = true;
	app.acl.tally = true; /* the report's classification figures */
	if (dp_path_build(&app.path, app.t, &app.m, &app.rm, &app.acl, &app.routes, &err) < 0)
		goto out;
	app.have_path = true;
	double build_ms = (double)(rte_rdtsc() - b0) * 1e3 / (double)rte_get_tsc_hz();

	rte_malloc_get_socket_stats((int)rte_socket_id(), &s1);
	/* Traffic: each flow's packets both ways, into mbufs, dealt to workers by the symmetric hash. */
	if (o.trace) {
		tflows = load_trace(o.trace, app.t, &cs, o.flows ? (size_t)flows : SIZE_MAX, &ntflows, &err);
		if (!tflows) {
			rc = CLI_INPUT;
			goto out;
		}
		flows = (double)ntflows;
	}
	size_t nflows = (size_t)flows, per = (size_t)ppf, total = nflows * per, nslots = nw ? nw : 1,
	       conc = (size_t)concurrent;

	/* The flow tables first: the frames below take what hugepages are left. */
	/* As nwsim run forwards: the verdict and the counters, no per-packet hop record, no flow log. */
	struct dp_engine_conf ec = dp_engine_conf_full((uint32_t)(nflows * 2 > 4096 ? nflows * 2 : 4096));

	ec.hop_trace = false;
	ec.flow_info = false;
	for (size_t i = 0; i < nslots; i++)
		if (dp_engine_init(&W[i].eng, &app.path, &ec, &err) < 0)
			goto out;
	/* Frames right after their mbuf's header (no headroom: nothing is prepended here). */
	pool = rte_pktmbuf_pool_create("bench", (unsigned)(nslots * BENCH_RING) + 1024, 256, 0, BENCH_DATA_ROOM,
				       (int)rte_socket_id());
	for (size_t i = 0; i < nslots; i++) {
		/*
		 * Hugepages where there are: a worker streams through them, and with 4 KB pages each
		 * new page costs a page walk, which a NIC writing into mbufs never makes it pay.
		 */
		W[i].frame = rte_malloc("bench-frames", (total + 1) * BENCH_DATA_ROOM, RTE_CACHE_LINE_SIZE);
		W[i].frame_rte = W[i].frame != NULL;
		if (!W[i].frame)
			W[i].frame = aligned_alloc(RTE_CACHE_LINE_SIZE, (total + 1) * BENCH_DATA_ROOM);
		W[i].off = calloc(total, sizeof(*W[i].off));
		W[i].len = calloc(total, sizeof(*W[i].len));
		W[i].ts = calloc(total, sizeof(*W[i].ts));
		if (!W[i].frame || !W[i].off || !W[i].len || !W[i].ts || !pool ||
		    rte_pktmbuf_alloc_bulk(pool, W[i].ring, BENCH_RING) != 0) {
			rte_mempool_free(pool);
			pool = NULL;
			break;
		}
		for (unsigned j = 0; j < BENCH_RING; j++)
			W[i].ring[j]->data_off = 0;
	}
	if (!pool) {
		nws_err_set(&err, "bench: no memory for %zu packets' frames and a ring of mbufs", total);
		goto out;
	}
	/*
	 * --concurrent flows are in flight at once: a window of flows starts together and their
	 * packets take turns (packet k of every flow of the window, then packet k+1), as a traffic
	 * generator with that many active flows sends them. Time runs forward in the order sent.
	 */
	struct nws_flow *fl_of = calloc(nflows, sizeof(*fl_of));
	unsigned *w_of = calloc(nflows, sizeof(*w_of));

	nref = nflows < 20000 ? nflows : 20000; /* the linear reference's: the first flows */
	ref = calloc(nref, sizeof(*ref));
	if (!fl_of || !w_of || !ref) {
		free(fl_of);
		free(w_of);
		nws_err_set(&err, "bench: no memory for %zu flows", nflows);
		goto out;
	}
	for (size_t fl = 0; fl < nflows; fl++) {
		struct bench_flow bf;
		struct dp_item probe;

		if (tflows)
			bf = tflows[fl];
		else if (c.topology)
			gen_topo_flow(&g, &app.m, &bf);
		else
			gen_flow(&g, app.t, &bf);
		fl_of[fl] = bf.f;
		if (fl < nref)
			ref[fl] = bf;
		memset(&probe, 0, sizeof(probe));
		probe.unparsed = -1;
		probe.pkt.flow = fl_of[fl];
		w_of[fl] = dp_worker_pick(&probe, (unsigned)nslots);
	}
	uint64_t tick = 0;

	for (size_t w0 = 0; w0 < nflows; w0 += conc)
		for (size_t k = 0; k < per; k++)
			for (size_t fl = w0; fl < w0 + conc && fl < nflows; fl++) {
				const struct nws_flow *f = &fl_of[fl];
				struct nws_flow x = *f;
				uint8_t frame_buf[BENCH_DATA_ROOM];
				unsigned w = w_of[fl];

				if (k & 1) {
					x.src = f->dst;
					x.dst = f->src;
					x.sport = f->dport;
					x.dport = f->sport;
				}
				size_t len = conn_frame(frame_buf, &x, k == 0 ? DP_TCP_SYN : k == 1 ? DP_TCP_SYN | DP_TCP_ACK : DP_TCP_ACK, false, (uint16_t)fl);
				/* On a line of its own, as a NIC writes it: a copy of one line reads one line. */
				size_t at = W[w].n ? RTE_ALIGN_CEIL(W[w].off[W[w].n - 1] + W[w].len[W[w].n - 1],
								    RTE_CACHE_LINE_SIZE)
						   : 0;

				memcpy(W[w].frame + at, frame_buf, len);
				W[w].off[W[w].n] = at;
				W[w].len[W[w].n] = (uint16_t)len;
				W[w].ts[W[w].n++] = tick++ * 1000;
			}
	free(fl_of);
	free(w_of);
	/* Run. */
	uint64_t hz = rte_get_tsc_hz(), target = o.seconds ? UINT64_MAX : (uint64_t)packets;

	unsigned active = 0, seen = 0;

	for (unsigned i = 0; i < nslots; i++)
		active += W[i].n > 0;
	for (unsigned i = 0; i < nslots; i++) {
		W[i].burst = (unsigned)burst;
		/* The packets asked for, shared by the workers that got flows; the remainder to the first. */
		W[i].target = !W[i].n ? 0 : o.seconds ? UINT64_MAX : target / active + (seen++ == 0 ? target % active : 0);
		W[i].deadline_tsc = o.seconds ? rte_rdtsc() + (uint64_t)(seconds * (double)hz) : 0;
		W[i].pass_ns = (uint64_t)total * 1000 + (uint64_t)(DP_FLOW_IDLE_S + 60) * 1000000000ull;
	}
	if (nw == 0) {
		bench_main(&W[0]);
	} else {
		unsigned i = 0, lc;

		RTE_LCORE_FOREACH_WORKER(lc) {
			if (i == nw)
				break;
			W[i].lcore = lc;
			rte_eal_remote_launch(bench_main, &W[i], lc);
			i++;
		}
		/*
		 * The main lcore sleeps while they run, rather than spin in rte_eal_mp_wait_lcore: it
		 * may share a CPU with a worker (--lcores 0@0,1@0,2@1 runs two workers on two CPUs).
		 */
		for (bool busy = true; busy;) {
			busy = false;
			RTE_LCORE_FOREACH_WORKER(lc)
				busy |= rte_eal_get_lcore_state(lc) == RUNNING;
			if (busy)
				usleep(1000);
		}
		rte_eal_mp_wait_lcore();
	}
	/*
	 * The linear reference on the same flows: each flow's first packet through nsg_ref_verify at
	 * its NIC configuration, the way its rule judges it, rule by rule, as the tests' oracle does it.
	 */
	uint64_t r0 = rte_rdtsc(), rsum = 0;

	for (size_t i = 0; i < nref; i++) {
		struct nsg_verdict vd;

		nsg_ref_verify(&app.m, ref[i].nic, ref[i].ipcfg, ref[i].dir, &ref[i].f, &vd);
		rsum += vd.access == AZ_ALLOW;
	}
	double ref_kpps = (double)nref / ((double)(rte_rdtsc() - r0) / (double)rte_get_tsc_hz()) / 1e3;

	(void)rsum;
	/* Report. */
	struct bench_worker T = { 0 };
	uint64_t maxcyc = 0;

	for (unsigned i = 0; i < nslots; i++) {
		T.packets += W[i].packets;
		T.cycles += W[i].cycles;
		T.acl.keys += W[i].acl.keys;
		T.acl.cycles += W[i].acl.cycles;
		T.pairs_known += W[i].pairs_known;
		T.pairs_walked += W[i].pairs_walked;
		if (W[i].cycles > maxcyc)
			maxcyc = W[i].cycles;
		for (unsigned b = 0; b < LAT_BUCKETS; b++)
			T.lat[b] += W[i].lat[b];
		if (i)
			dp_counters_add(&W[0].eng.c, &W[i].eng.c, app.t->nrules, app.t->nnics);
	}
	double wire_bits = (frame + 20) * 8; /* preamble and inter-frame gap */
	struct jw jw;
	bool table = cli_table(&c);
	const struct dp_counters *k = &W[0].eng.c;
	/* The user rules: in all, and in each NSG (a loaded topology's largest). */
	int nrules = 0, per_nsg = 0;

	if (c.topology) {
		for (size_t i = 0; i < app.t->nnsgs; i++) {
			nrules += (int)app.t->nsgs[i].nuser;
			if ((int)app.t->nsgs[i].nuser > per_nsg)
				per_nsg = (int)app.t->nsgs[i].nuser;
		}
	} else if (o.classbench) {
		nrules = g.rules;
		per_nsg = (g.rules + (int)app.t->nnsgs - 1) / (int)app.t->nnsgs;
	} else {
		nrules = g.rules * (int)app.t->nnsgs;
		per_nsg = g.rules;
	}
	if (table) {
		if (c.topology)
			printf("policy: topology %s\n", c.topology);
		if (o.classbench)
			printf("policy: ClassBench %s: %d filters as NSG rules (%d skipped: protocols an NSG cannot name)\n", o.classbench,
			       g.rules, skipped);
		printf("policy: %zu NSG%s, %d rules (%zu with the defaults), %zu NICs; rte_acl %s, %zu rules; built in %.1f ms, tables %.1f MB\n",
		       app.t->nnsgs, app.t->nnsgs == 1 ? "" : "s", nrules, app.t->nrules, app.t->nnics, dp_acl_alg_name(app.acl.alg),
		       app.acl.nacl[0][0] + app.acl.nacl[0][1] + app.acl.nacl[1][0] + app.acl.nacl[1][1], build_ms,
		       (double)(s1.heap_allocsz_bytes - s0.heap_allocsz_bytes) / 1048576.0);
		printf("traffic: %zu flows x %zu packets%s%s, %zu in flight at once, %zu-byte frames; burst %u\n", nflows, per,
		       o.trace ? " from " : "", o.trace ? o.trace : "", conc < nflows ? conc : nflows, (size_t)frame, (unsigned)burst);
		printf("linear reference (nsg_ref_verify at the flows' NICs): %.1f thousand packets/s on one core\n\n", ref_kpps);
		printf("%-8s %12s %8s %9s %10s %10s %10s %10s %9s %8s %6s %7s\n", "worker", "packets", "Mpps", "Gbit/s", "cyc/pkt",
		       "p50 ns", "p99 ns", "p99.9 ns", "keys/pkt", "cyc/key", "acl %", "pair %");
	} else {
		jw_init(&jw, stdout, true);
		jw_obj(&jw);
		jw_key(&jw, "policy");
		jw_obj(&jw);
		jw_kint(&jw, "nsgs", (long long)app.t->nnsgs);
		if (c.topology)
			jw_kstr(&jw, "topology", c.topology);
		if (o.classbench) {
			jw_kstr(&jw, "classbench", o.classbench);
			jw_kint(&jw, "filtersSkipped", skipped);
		}
		jw_kint(&jw, "rulesPerNsg", per_nsg);
		jw_kint(&jw, "rules", nrules);
		jw_kint(&jw, "rulesWithDefaults", (long long)app.t->nrules);
		jw_kint(&jw, "nics", (long long)app.t->nnics);
		jw_kint(&jw, "aclRules",
			(long long)(app.acl.nacl[0][0] + app.acl.nacl[0][1] + app.acl.nacl[1][0] + app.acl.nacl[1][1]));
		jw_kstr(&jw, "algorithm", dp_acl_alg_name(app.acl.alg));
		jw_kint(&jw, "buildMicroseconds", (long long)(build_ms * 1000));
		jw_kint(&jw, "tableBytes", (long long)(s1.heap_allocsz_bytes - s0.heap_allocsz_bytes));
		jw_end_obj(&jw);
		jw_key(&jw, "traffic");
		jw_obj(&jw);
		jw_kint(&jw, "flows", (long long)nflows);
		jw_kint(&jw, "packetsPerFlow", (long long)per);
		jw_kint(&jw, "concurrentFlows", (long long)conc);
		jw_kint(&jw, "frameSize", (long long)frame);
		jw_kint(&jw, "burst", (long long)burst);
		if (o.trace)
			jw_kstr(&jw, "trace", o.trace);
		jw_end_obj(&jw);
		jw_kint(&jw, "linearReferenceKpps", (long long)ref_kpps);
		jw_key(&jw, "workers");
		jw_arr(&jw);
	}
	for (unsigned i = 0; i <= nslots; i++) {
		const struct bench_worker *x = i < nslots ? &W[i] : &T;
		/* The total's time is the slowest worker's: they ran side by side. */
		double secs = (double)(i < nslots ? x->cycles : maxcyc) / (double)hz, mpps = secs > 0 ? (double)x->packets / secs / 1e6 : 0;
		double cpp = x->packets ? (double)x->cycles / (double)x->packets : 0;
		uint64_t p50 = percentile(x->lat, x->packets, 0.5), p99 = percentile(x->lat, x->packets, 0.99),
			 p999 = percentile(x->lat, x->packets, 0.999);
		double ns = 1e9 / (double)hz;
		/* Classification's share of the worker's cycles (the total: of all workers' cycles). */
		double kpp = x->packets ? (double)x->acl.keys / (double)x->packets : 0,
		       cpk = x->acl.keys ? (double)x->acl.cycles / (double)x->acl.keys : 0,
		       share = x->cycles ? 100.0 * (double)x->acl.cycles / (double)x->cycles : 0;
		/* Of the new flows' walks, the share whose pair of addresses was known: no walk of their own. */
		uint64_t pw = x->pairs_known + x->pairs_walked;
		double pair = pw ? 100.0 * (double)x->pairs_known / (double)pw : 0;

		if (nslots == 1 && i == 1)
			break;
		if (table) {
			char name[16];

			snprintf(name, sizeof(name), i < nslots ? "%u" : "total", i);
			printf("%-8s %12" PRIu64 " %8.2f %9.2f %10.0f %10.0f %10.0f %10.0f %9.4f %8.0f %6.1f %7.1f\n", name, x->packets,
			       mpps, mpps * wire_bits / 1e3, cpp, (double)p50 * ns, (double)p99 * ns, (double)p999 * ns, kpp, cpk, share,
			       pair);
			continue;
		}
		jw_obj(&jw);
		if (i < nslots)
			jw_kint(&jw, "worker", i);
		else
			jw_kstr(&jw, "worker", "total");
		jw_kint(&jw, "packets", (long long)x->packets);
		jw_kint(&jw, "kpps", (long long)(mpps * 1e3));
		jw_kint(&jw, "mbitPerSecond", (long long)(mpps * wire_bits));
		jw_kint(&jw, "cyclesPerPacket", (long long)cpp);
		jw_kint(&jw, "p50Cycles", (long long)p50);
		jw_kint(&jw, "p99Cycles", (long long)p99);
		jw_kint(&jw, "p999Cycles", (long long)p999);
		jw_kint(&jw, "p50Ns", (long long)((double)p50 * ns));
		jw_kint(&jw, "p99Ns", (long long)((double)p99 * ns));
		jw_kint(&jw, "p999Ns", (long long)((double)p999 * ns));
		jw_kint(&jw, "classifyKeys", (long long)x->acl.keys);
		jw_kfixed(&jw, "classifyKeysPerPacket", kpp, 4);
		jw_kint(&jw, "classifyCyclesPerKey", (long long)cpk);
		jw_kfixed(&jw, "classifyPercent", share, 1);
		jw_kint(&jw, "pairsKnown", (long long)x->pairs_known);
		jw_kint(&jw, "pairsWalked", (long long)x->pairs_walked);
		jw_end_obj(&jw);
	}
	uint64_t dl = summary_sum(k->delivered, PATH_END_COUNT), dr = summary_sum(k->dropped, PATH_DROP_COUNT),
		 un = summary_sum(k->unparsed, DP_UNPARSED_COUNT);

	if (table) {
		printf("\naccounting: received %" PRIu64 " = delivered %" PRIu64 " + dropped %" PRIu64 " + unparsed %" PRIu64
		       "; %" PRIu64 " as part of admitted flows\n",
		       k->received, dl, dr, un, k->stateful);
	} else {
		jw_end_arr(&jw);
		jw_key(&jw, "accounting");
		jw_obj(&jw);
		jw_kint(&jw, "received", (long long)k->received);
		jw_kint(&jw, "delivered", (long long)dl);
		jw_kint(&jw, "dropped", (long long)dr);
		jw_kint(&jw, "unparsed", (long long)un);
		jw_kint(&jw, "stateful", (long long)k->stateful);
		jw_end_obj(&jw);
		jw_end_obj(&jw);
		jw_done(&jw);
	}
	rc = k->received == dl + dr + un ? CLI_OK : CLI_FAIL;
	if (rc != CLI_OK)
		nws_err_set(&err, "bench: accounting does not balance");
out:
	dp_eal_exit_begin();
	for (unsigned i = 0; i < MAX_WORKERS + 1; i++) {
		if (W[i].frame_rte)
			rte_free(W[i].frame);
		else
			free(W[i].frame);
		free(W[i].off);
		free(W[i].len);
		free(W[i].ts);
		if (W[i].eng.path)
			dp_engine_free(&W[i].eng);
	}
	rte_mempool_free(pool);
	free(json);
	free(cs.f);
	free(tflows);
	free(ref);
	app_close(&app);
	if (rc != CLI_OK)
		return cli_die(rc, &err);
	return rc;
usage:
	nws_err_prefix(&err, "bench: ");
	return cli_die(CLI_USAGE, &err);
}
