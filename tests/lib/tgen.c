#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tgen.h"
#include "tutil.h"

struct sb {
	char *s;
	size_t n, cap;
};

static void sb(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb(struct sb *b, const char *fmt, ...)
{
	va_list ap;

	for (;;) {
		va_start(ap, fmt);
		int k = vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (k >= 0 && (size_t)k < b->cap - b->n) {
			b->n += (size_t)k;
			return;
		}
		b->cap = b->cap ? b->cap * 2 : 1 << 16;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
}

#define NVNET 3

/* Addresses drawn so that rules, topology and queries overlap often. */
static void rand_v4(uint64_t *r, char *out)
{
	switch (tu_below(r, 6)) {
	case 0: /* a virtual network */
		sprintf(out, "10.%u.%u.%u", tu_below(r, NVNET), tu_below(r, 4), tu_below(r, 256));
		break;
	case 1: /* on-premises, behind the gateway */
		sprintf(out, "192.168.%u.%u", tu_below(r, 4), tu_below(r, 256));
		break;
	case 2: /* platform addresses and their neighbours */
		sprintf(out, "%s", tu_below(r, 2) ? "168.63.129.16" : (tu_below(r, 2) ? "169.254.169.254" : "168.63.129.17"));
		break;
	case 3: /* private ranges outside the virtual networks */
		sprintf(out, "%u.%u.%u.%u", tu_below(r, 2) ? 172 : 100, 16 + tu_below(r, 64), tu_below(r, 256),
			tu_below(r, 256));
		break;
	default: /* public */
		sprintf(out, "%u.%u.%u.%u", 1 + tu_below(r, 223), tu_below(r, 256), tu_below(r, 256), tu_below(r, 256));
		break;
	}
}

static void rand_v6(uint64_t *r, char *out)
{
	switch (tu_below(r, 4)) {
	case 0:
		sprintf(out, "fd00:%x::%x:%x", tu_below(r, NVNET), tu_below(r, 4), tu_below(r, 65536));
		break;
	case 1:
		sprintf(out, "fd00:%x:0:%x::%x", tu_below(r, NVNET), tu_below(r, 4), tu_below(r, 65536));
		break;
	case 2:
		sprintf(out, "2001:db8:%x::%x", tu_below(r, 16), tu_below(r, 65536));
		break;
	default:
		sprintf(out, "%x:%x::%x", 0x2000 + tu_below(r, 0x2000), tu_below(r, 65536), tu_below(r, 65536));
		break;
	}
}

/* A prefix string in canonical form (host bits cleared), v6 when v6. */
static void rand_prefix(uint64_t *r, bool v6, char *out)
{
	char a[64];
	struct nws_prefix p;
	unsigned len;

	if (v6) {
		rand_v6(r, a);
		len = tu_below(r, 3) == 0 ? 128 : 16 + tu_below(r, 113);
	} else {
		rand_v4(r, a);
		len = tu_below(r, 3) == 0 ? 32 : 8 + tu_below(r, 25);
	}
	sprintf(a + strlen(a), "/%u", len);
	nws_prefix_parse(a, &p);
	nws_prefix_str(&p, out);
}

static const char *const tags[] = { "VirtualNetwork", "Internet", "AzureLoadBalancer", "Storage", "Sql" };

/* *v6: -1 until a side of the rule holds prefixes; then both sides keep that family, as Azure requires. */
static void side(struct sb *b, uint64_t *r, const struct tgen_opts *o, const char *which, int nasgs, int *v6)
{
	unsigned k = tu_below(r, 100);
	char p[64];

	if ((int)k < o->tag_pct) {
		sb(b, "\"%sAddressPrefix\": \"%s\"", which, tags[tu_below(r, 5)]);
	} else if (k < 40) {
		sb(b, "\"%sAddressPrefix\": \"*\"", which);
	} else if (k < 70) {
		bool six = tu_below(r, 4) == 0;

		if (*v6 < 0)
			*v6 = six;
		rand_prefix(r, *v6, p);
		sb(b, "\"%sAddressPrefix\": \"%s\"", which, p);
	} else if (k < 88) {
		bool six = tu_below(r, 4) == 0;
		unsigned n = 2 + tu_below(r, 3);

		if (*v6 < 0)
			*v6 = six;
		sb(b, "\"%sAddressPrefixes\": [", which);
		for (unsigned i = 0; i < n; i++) {
			rand_prefix(r, *v6, p);
			sb(b, "%s\"%s\"", i ? ", " : "", p);
		}
		sb(b, "]");
	} else {
		unsigned n = 1 + tu_below(r, 2);

		sb(b, "\"%sApplicationSecurityGroups\": [", which);
		for (unsigned i = 0; i < n; i++)
			sb(b, "%s\"asg%u\"", i ? ", " : "", tu_below(r, (uint32_t)nasgs));
		sb(b, "]");
	}
}

static void port_text(uint64_t *r, char *out)
{
	static const unsigned common[] = { 0, 1, 22, 53, 80, 443, 1023, 1024, 3389, 8080, 65535 };
	unsigned a = tu_below(r, 2) ? common[tu_below(r, 11)] : tu_below(r, 65536);

	if (tu_below(r, 3) == 0) {
		unsigned w = tu_below(r, 4) == 0 ? tu_below(r, 65536) : tu_below(r, 2000);
		unsigned hi = a + w > 65535 ? 65535 : a + w;

		sprintf(out, "%u-%u", a, hi);
	} else {
		sprintf(out, "%u", a);
	}
}

static void ports(struct sb *b, uint64_t *r, const char *which)
{
	unsigned k = tu_below(r, 100);
	char p[32];

	if (k < 45) {
		sb(b, "\"%sPortRange\": \"*\"", which);
	} else if (k < 85) {
		port_text(r, p);
		sb(b, "\"%sPortRange\": \"%s\"", which, p);
	} else {
		unsigned n = 2 + tu_below(r, 3);

		sb(b, "\"%sPortRanges\": [", which);
		for (unsigned i = 0; i < n; i++) {
			port_text(r, p);
			sb(b, "%s\"%s\"", i ? ", " : "", p);
		}
		sb(b, "]");
	}
}

static void shuffle(uint64_t *r, int *a, int n)
{
	for (int i = n - 1; i > 0; i--) {
		int j = (int)tu_below(r, (uint32_t)i + 1), t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

char *tgen_topology(uint64_t *r, const struct tgen_opts *o)
{
	static const char *const protos[] = { "Tcp", "Udp", "Icmp", "Esp", "Ah", "*" };
	struct sb b = { 0 };
	char p[64];
	const int nasgs = 4;
	static int prio[AZ_PRIORITY_MAX - AZ_PRIORITY_MIN + 1];

	sb(&b, "{\"serviceTags\": {\"Storage\": [");
	for (int i = 0; i < 4; i++) {
		rand_prefix(r, i == 3, p);
		sb(&b, "%s\"%s\"", i ? ", " : "", p);
	}
	sb(&b, "], \"Sql\": [");
	rand_prefix(r, false, p);
	sb(&b, "\"%s\"]", p);
	if (tu_below(r, 5) == 0) {
		rand_prefix(r, false, p);
		sb(&b, ", \"AzureLoadBalancer\": [\"%s\"]", p);
	}
	if (tu_below(r, 8) == 0) {
		rand_prefix(r, false, p);
		sb(&b, ", \"Internet\": [\"%s\", \"8.0.0.0/7\"]", p);
	}
	sb(&b, "},\n\"applicationSecurityGroups\": [\"asg0\", \"asg1\", \"asg2\", \"asg3\"],\n");
	sb(&b, "\"routeTables\": [{\"name\": \"rt0\", \"routes\": [");
	unsigned nr = tu_below(r, 8);
	char seen[8][64];

	for (unsigned i = 0; i < nr; i++) {
		static const char *const types[] = { "None", "VirtualAppliance", "VnetLocal", "Internet", "VirtualNetworkGateway" };
		const char *type = types[tu_below(r, 5)];
		char hop[80] = "";

		/* Mostly the networks' own ranges, so routes meet the traffic; sometimes anything. */
		switch (tu_below(r, 6)) {
		case 0:
			strcpy(p, "0.0.0.0/0");
			break;
		case 1:
			sprintf(p, "10.%u.0.0/16", tu_below(r, NVNET));
			break;
		case 2:
			sprintf(p, "10.%u.%u.0/24", tu_below(r, NVNET), tu_below(r, 4));
			break;
		case 3:
			sprintf(p, "192.168.%u.0/24", tu_below(r, 4));
			break;
		default:
			rand_prefix(r, tu_below(r, 4) == 0, p);
			break;
		}
		bool dup = false;

		/* One route per prefix in a table, as Azure requires. */
		for (unsigned j = 0; j < i; j++)
			dup |= !strcmp(seen[j], p);
		strcpy(seen[i], dup ? "" : p);
		if (dup)
			continue;
		/* Appliances are NICs of the generated VMs (10.V.S.4/5), or an address nobody has. */
		if (!strcmp(type, "VirtualAppliance"))
			snprintf(hop, sizeof(hop), ", \"nextHopIpAddress\": \"10.%u.%u.%u\"", tu_below(r, NVNET), tu_below(r, 4),
				 4 + tu_below(r, 3));
		sb(&b, "%s{\"name\": \"u%u\", \"addressPrefix\": \"%s\", \"nextHopType\": \"%s\"%s}",
		   b.s[b.n - 1] == '[' ? "" : ", ", i, p, type, hop);
	}
	sb(&b, "]}],\n\"networkSecurityGroups\": [");
	for (int g = 0; g < o->nnsgs; g++) {
		int n = (int)tu_below(r, (uint32_t)o->max_rules + 1);
		int cursor[AZ_NDIR] = { 0, 0 };
		static int prio2[AZ_NDIR][AZ_PRIORITY_MAX - AZ_PRIORITY_MIN + 1];

		for (int d = 0; d < AZ_NDIR; d++) {
			for (int i = 0; i <= AZ_PRIORITY_MAX - AZ_PRIORITY_MIN; i++)
				prio2[d][i] = AZ_PRIORITY_MIN + i;
			shuffle(r, prio2[d], AZ_PRIORITY_MAX - AZ_PRIORITY_MIN + 1);
		}
		sb(&b, "%s{\"name\": \"nsg%d\", \"securityRules\": [\n", g ? ",\n" : "", g);
		for (int i = 0; i < n; i++) {
			int d = (int)tu_below(r, 2);

			sb(&b, "%s{\"name\": \"r%d\", \"priority\": %d, \"direction\": \"%s\", \"access\": \"%s\", \"protocol\": \"%s\", ",
			   i ? ",\n" : "", i, prio2[d][cursor[d]++], az_dir_name[d], tu_below(r, 10) < 4 ? "Deny" : "Allow",
			   protos[tu_below(r, 6)]);
			int v6 = -1;

			side(&b, r, o, "source", nasgs, &v6);
			sb(&b, ", ");
			ports(&b, r, "source");
			sb(&b, ", ");
			side(&b, r, o, "destination", nasgs, &v6);
			sb(&b, ", ");
			ports(&b, r, "destination");
			sb(&b, "}");
		}
		sb(&b, "]}");
	}
	(void)prio;
	sb(&b, "],\n\"virtualNetworks\": [");
	for (int v = 0; v < NVNET; v++) {
		sb(&b, "%s{\"name\": \"vnet%d\", \"addressSpace\": [\"10.%d.0.0/16\", \"fd00:%x::/48\"], \"subnets\": [", v ? ",\n" : "", v,
		   v, v);
		for (int s = 0; s < 4; s++) {
			sb(&b, "%s{\"name\": \"s%d\", \"addressPrefixes\": [\"10.%d.%d.0/24\", \"fd00:%x:0:%x::/64\"]", s ? ", " : "", s, v, s,
			   v, s);
			if (tu_below(r, 4))
				sb(&b, ", \"networkSecurityGroup\": \"nsg%u\"", tu_below(r, (uint32_t)o->nnsgs));
			if (tu_below(r, 2) == 0)
				sb(&b, ", \"routeTable\": \"rt0\"");
			sb(&b, "}");
		}
		sb(&b, "]");
		if (v == 0)
			sb(&b, ", \"peerings\": [{\"name\": \"p01\", \"remoteVirtualNetwork\": \"vnet1\", \"useRemoteGateways\": %s, \"allowForwardedTraffic\": %s}]",
			   tu_below(r, 2) ? "true" : "false", tu_below(r, 2) ? "true" : "false");
		if (v == 1)
			sb(&b, ", \"peerings\": [{\"name\": \"p10\", \"remoteVirtualNetwork\": \"vnet0\", \"allowGatewayTransit\": true, \"allowForwardedTraffic\": %s}],"
			       " \"gateway\": {\"name\": \"gw1\", \"type\": \"Vpn\", \"localNetworks\": [{\"name\": \"onprem\","
			       " \"addressPrefixes\": [\"192.168.%u.0/24\", \"192.168.2.0/23\"]}]}",
			   tu_below(r, 2) ? "true" : "false", tu_below(r, 2));
		sb(&b, "}");
	}
	sb(&b, "],\n\"virtualMachines\": [");
	int vmno = 0;

	for (int v = 0; v < NVNET; v++)
		for (int s = 0; s < 4; s++)
			for (int k = 0; k < 2; k++, vmno++) {
				sb(&b, "%s{\"name\": \"vm%d\", \"running\": %s, %s\"networkInterfaces\": [{\"name\": \"nic%d\", \"enableIpForwarding\": %s",
				   vmno ? ",\n" : "", vmno, tu_below(r, 12) ? "true" : "false",
				   tu_below(r, 8) ? "" : "\"forwarding\": false, ", vmno, tu_below(r, 3) ? "true" : "false");
				if (tu_below(r, 2))
					sb(&b, ", \"networkSecurityGroup\": \"nsg%u\"", tu_below(r, (uint32_t)o->nnsgs));
				sb(&b, ", \"ipConfigurations\": [{\"name\": \"c0\", \"subnet\": \"vnet%d/s%d\", \"privateIpAddress\": \"10.%d.%d.%d\"",
				   v, s, v, s, 4 + k);
				/* ASGs live in vnet0 only: Azure keeps an ASG within one virtual network. */
				if (v == 0 && tu_below(r, 2))
					sb(&b, ", \"applicationSecurityGroups\": [\"asg%u\"]", tu_below(r, (uint32_t)nasgs));
				sb(&b, "}");
				if ((int)tu_below(r, 100) < o->v6_pct) {
					sb(&b, ", {\"name\": \"c1\", \"subnet\": \"vnet%d/s%d\", \"privateIpAddress\": \"fd00:%x:0:%x::%x\"", v, s, v, s,
					   4 + k);
					if (v == 0 && tu_below(r, 2))
						sb(&b, ", \"applicationSecurityGroups\": [\"asg%u\", \"asg%u\"]", tu_below(r, (uint32_t)nasgs),
						   tu_below(r, (uint32_t)nasgs));
					sb(&b, "}");
				}
				sb(&b, "]}]}");
			}
	sb(&b, "]}\n");
	return b.s;
}

void tgen_query(uint64_t *r, const struct topo *t, struct nsg_query *q)
{
	static const uint8_t protos[] = { AZ_PROTO_TCP, AZ_PROTO_UDP, AZ_PROTO_TCP, AZ_PROTO_UDP, 1, 50, 51, 47 };
	char a[64];
	struct nws_ip remote;

	memset(q, 0, sizeof(*q));
	q->nic = (int)tu_below(r, (uint32_t)t->nnics);
	q->ipcfg = (int)tu_below(r, (uint32_t)t->nics[q->nic].nipcfgs);
	q->dir = (enum az_dir)tu_below(r, 2);
	const struct nws_ip *local = &t->nics[q->nic].ipcfgs[q->ipcfg].ip;
	bool v6 = local->fam == NWS_AF6;

	if (tu_below(r, 5) == 0) {
		/* Another NIC's address of the same family: ASGs and VirtualNetwork. */
		const struct topo_nic *o = &t->nics[tu_below(r, (uint32_t)t->nnics)];

		remote = o->ipcfgs[o->nipcfgs > 1 && v6 ? 1 : 0].ip;
		if (remote.fam != local->fam)
			remote = *local;
	} else {
		if (v6)
			rand_v6(r, a);
		else
			rand_v4(r, a);
		nws_ip_parse(a, &remote);
	}
	q->flow.proto = protos[tu_below(r, sizeof(protos))];
	if (v6 && q->flow.proto == 1)
		q->flow.proto = AZ_PROTO_ICMPV6;
	q->flow.has_ports = q->flow.proto == AZ_PROTO_TCP || q->flow.proto == AZ_PROTO_UDP;
	char pt[32];
	uint16_t lp = 0, rp = 0;

	if (q->flow.has_ports) {
		port_text(r, pt);
		lp = (uint16_t)atoi(pt) + (uint16_t)tu_below(r, 2);
		port_text(r, pt);
		rp = (uint16_t)atoi(pt) - (uint16_t)tu_below(r, 2);
	}
	if (q->dir == AZ_INBOUND) {
		q->flow.src = remote;
		q->flow.dst = *local;
		q->flow.sport = rp;
		q->flow.dport = lp;
	} else {
		q->flow.src = *local;
		q->flow.dst = remote;
		q->flow.sport = lp;
		q->flow.dport = rp;
	}
}

void tgen_endpoint(uint64_t *r, const struct topo *t, uint8_t fam, struct nws_ip *ip)
{
	char a[64];

	switch (tu_below(r, 6)) {
	case 0:
	case 1:
	case 2: { /* a NIC's address, often of the right family */
		const struct topo_nic *n = &t->nics[tu_below(r, (uint32_t)t->nnics)];

		*ip = n->ipcfgs[tu_below(r, (uint32_t)n->nipcfgs)].ip;
		if (ip->fam == fam)
			return;
		break;
	}
	case 3:
		snprintf(a, sizeof(a), "192.168.%u.%u", tu_below(r, 4), tu_below(r, 256));
		nws_ip_parse(a, ip);
		if (fam == NWS_AF4)
			return;
		break;
	case 4: /* now and then a multicast group or the broadcast address, which nothing routes */
		if (tu_below(r, 8) == 0) {
			static const char *const v4[] = { "224.0.0.251", "239.255.255.250", "255.255.255.255" };
			static const char *const v6[] = { "ff02::fb", "ff0e::1:3" };

			nws_ip_parse(fam == NWS_AF4 ? v4[tu_below(r, 3)] : v6[tu_below(r, 2)], ip);
			return;
		}
		break;
	default:
		break;
	}
	if (fam == NWS_AF4)
		snprintf(a, sizeof(a), "%u.%u.%u.%u", tu_below(r, 2) ? 10 : 1 + tu_below(r, 223), tu_below(r, 4),
			 tu_below(r, 4), tu_below(r, 8));
	else
		snprintf(a, sizeof(a), "fd00:%x:0:%x::%x", tu_below(r, 3), tu_below(r, 4), tu_below(r, 8));
	nws_ip_parse(a, ip);
}
