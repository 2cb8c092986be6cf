#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "dp_eal.h"
#include "dp_verify.h"
#include "tutil.h"

void tu_eal(void)
{
	static bool up;
	struct nws_err err;
	struct dp_eal_opts o = { 0 };

	if (up)
		return;
	if (dp_eal_init(&o, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		abort();
	}
	up = true;
}

void tu_net_open(struct tu_net *n, const char *json)
{
	struct nws_err err = { { 0 } };

	tu_eal();
	memset(n, 0, sizeof(*n));
	n->t = topo_load_buf("test.json", json, strlen(json), &err);
	if (!n->t)
		fail_msg("topology does not load: %s", err.msg);
	if (nsg_model_build(&n->m, n->t, &err) < 0)
		fail_msg("%s", err.msg);
	if (dp_acl_build(&n->acl, &n->m, 0, NULL, &err) < 0)
		fail_msg("%s", err.msg);
}

void tu_net_close(struct tu_net *n)
{
	dp_acl_free(&n->acl);
	nsg_model_free(&n->m);
	topo_free(n->t);
}

void tu_path_open(struct tu_path *p, const char *json)
{
	struct nws_err err = { { 0 } };
	/* Every other network with flat route tables only: both kinds meet the reference. */
	static unsigned opens;
	size_t lpm_tables = opens++ & 1 ? 0 : DP_ROUTE_LPM_TABLES;

	tu_net_open(&p->net, json);
	if (route_model_build(&p->rm, p->net.t, &err) < 0 || dp_routes_build(&p->dr, &p->rm, lpm_tables, &err) < 0 ||
	    dp_path_build(&p->dp, p->net.t, &p->net.m, &p->rm, &p->net.acl, &p->dr, &err) < 0)
		fail_msg("%s", err.msg);
}

void tu_path_close(struct tu_path *p)
{
	dp_path_free(&p->dp);
	dp_routes_free(&p->dr);
	route_model_free(&p->rm);
	tu_net_close(&p->net);
}

static void endpoint(const char *s, struct nws_ip *ip, uint16_t *port)
{
	char buf[64];
	const char *colon = strrchr(s, ':');
	bool v6 = s[0] == '[';

	if (v6) {
		const char *close = strchr(s, ']');

		snprintf(buf, sizeof(buf), "%.*s", (int)(close - s - 1), s + 1);
		colon = close[1] == ':' ? close + 1 : NULL;
	} else if (colon) {
		snprintf(buf, sizeof(buf), "%.*s", (int)(colon - s), s);
	} else {
		snprintf(buf, sizeof(buf), "%s", s);
	}
	assert_int_equal(nws_ip_parse(buf, ip), 0);
	*port = colon ? (uint16_t)atoi(colon + 1) : 0;
}

struct nsg_verdict tu_verify(const struct tu_net *n, const char *vm, const char *dir, const char *proto,
			     const char *local, const char *remote)
{
	struct nsg_query q = { 0 };
	struct nsg_verdict ref, acl;
	struct nws_ip l, r;
	uint16_t lp, rp;
	int v = topo_find_vm(n->t, vm);

	assert_true(v >= 0);
	endpoint(local, &l, &lp);
	endpoint(remote, &r, &rp);
	q.ipcfg = -1;
	for (size_t i = n->t->vms[v].first_nic; i < n->t->vms[v].first_nic + n->t->vms[v].nnics && q.ipcfg < 0; i++) {
		q.nic = (int)i;
		q.ipcfg = topo_find_ipcfg(n->t, (int)i, &l);
	}
	assert_true(q.ipcfg >= 0);
	q.dir = (enum az_dir)az_dir_parse(dir);
	if (!strcasecmp(proto, "TCP"))
		q.flow.proto = AZ_PROTO_TCP;
	else if (!strcasecmp(proto, "UDP"))
		q.flow.proto = AZ_PROTO_UDP;
	else if (!strcasecmp(proto, "ICMP"))
		q.flow.proto = l.fam == NWS_AF4 ? AZ_PROTO_ICMP : AZ_PROTO_ICMPV6;
	else
		q.flow.proto = (uint8_t)atoi(proto);
	q.flow.has_ports = q.flow.proto == AZ_PROTO_TCP || q.flow.proto == AZ_PROTO_UDP;
	if (q.dir == AZ_INBOUND) {
		q.flow.src = r;
		q.flow.sport = rp;
		q.flow.dst = l;
		q.flow.dport = lp;
	} else {
		q.flow.src = l;
		q.flow.sport = lp;
		q.flow.dst = r;
		q.flow.dport = rp;
	}
	nsg_ref_verify(&n->m, q.nic, q.ipcfg, q.dir, &q.flow, &ref);
	dp_verify(&n->acl, &n->m, &q, &acl, 1);
	assert_int_equal(ref.access, acl.access);
	assert_ptr_equal(ref.rule, acl.rule);
	assert_int_equal(ref.platform, acl.platform);
	return ref;
}

const char *tu_verdict_str(const struct nsg_verdict *v, char *buf, size_t len)
{
	if (v->platform >= 0)
		snprintf(buf, len, "%s %s", az_access_name[v->access], az_platform_rule_name[v->platform]);
	else if (!v->rule)
		snprintf(buf, len, "%s -", az_access_name[v->access]);
	else
		snprintf(buf, len, "%s %s%s", az_access_name[v->access],
			 v->rule->is_default ? AZ_DEFAULT_RULE_PREFIX : AZ_USER_RULE_PREFIX, v->rule->name);
	return buf;
}

uint64_t tu_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

char *tu_slurp(const char *dir, const char *name)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("cannot read %s", path);
	fclose(f);
	return buf;
}

static bool same_route(const struct route_entry *a, const struct route_entry *b)
{
	if (!a || !b)
		return a == b;
	return a->prefix.len == b->prefix.len && nws_ip_eq(&a->prefix.ip, &b->prefix.ip) && a->type == b->type &&
	       a->source == b->source && a->rt == b->rt;
}

static bool same_verdict(const struct nsg_verdict *a, const struct nsg_verdict *b)
{
	return a->access == b->access && a->rule == b->rule && a->rule_id == b->rule_id && a->inst == b->inst &&
	       a->platform == b->platform;
}

bool tu_same_path(const struct path_result *a, const struct path_result *b, char *why, size_t len)
{
	if (a->delivered != b->delivered || a->origin != b->origin || a->nhops != b->nhops) {
		snprintf(why, len, "delivered %d/%d origin %d/%d hops %d/%d", a->delivered, b->delivered, a->origin,
			 b->origin, a->nhops, b->nhops);
		return false;
	}
	if (a->delivered ? a->end != b->end : (a->reason != b->reason || a->drop_hop != b->drop_hop)) {
		snprintf(why, len, "end/reason %s/%s", a->delivered ? "" : path_drop_name[a->reason],
			 b->delivered ? "" : path_drop_name[b->reason]);
		return false;
	}
	for (int i = 0; i < a->nhops; i++) {
		const struct path_hop *x = &a->hops[i], *y = &b->hops[i];

		if (x->kind != y->kind || x->nic != y->nic || x->ipcfg != y->ipcfg || x->vnet != y->vnet ||
		    x->has_in != y->has_in || x->has_out != y->has_out || !same_route(x->route, y->route) ||
		    (x->has_in && !same_verdict(&x->nsg_in, &y->nsg_in)) ||
		    (x->has_out && !same_verdict(&x->nsg_out, &y->nsg_out))) {
			snprintf(why, len, "hop %d differs", i);
			return false;
		}
	}
	return true;
}
