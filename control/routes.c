/*
 * nwsim show-next-hop (az network watcher show-next-hop) and show-effective-route-table
 * (az network nic show-effective-route-table), answered from the compiled rte_lpm tables.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "query.h"
#include "cmds.h"
#include "jw.h"
#include "names.h"
#include "target.h"

static const char nh_usage[] =
	"usage: nwsim show-next-hop -t TOPOLOGY --vm VM [--nic NIC] --source-ip IP --dest-ip IP\n"
	"                           [-o json|table] [-v] [--progress|-q] [-- EAL-OPTIONS]\n"
	"       nwsim show-next-hop -t TOPOLOGY --batch FILE [--strict] [-o json|table]\n"
	"\n"
	"Where the effective routes of the VM's subnet send a packet from --source-ip (any address:\n"
	"the routes of the NIC with that address decide, else those of the named or primary NIC)\n"
	"to --dest-ip: the next hop type, its address, and the route table that decided ('System Route'\n"
	"for Azure's own routes). --batch reads one query per line (the options above, without -t) and\n"
	"prints one JSON line per query, with its line number; '-' reads standard input. A line that is\n"
	"not a query is answered {\"error\": ..., \"line\": N}, the others still are, and the status is\n"
	"then 3; --strict stops at the first. -t - reads the topology from standard input.\n";

static const char ert_usage[] =
	"usage: nwsim show-effective-route-table -t TOPOLOGY --nic NIC [-o json|table]\n"
	"\n"
	"The effective routes of a network interface's subnet: system routes, peerings, routes learned\n"
	"from gateways and user-defined routes, each Active or Invalid (overridden by a preferred route\n"
	"for the same prefix), in the shape of Azure's effectiveRouteTable list.\n";

struct nh_args {
	const char *vm, *nic, *src, *dst;
};

#define NH_OPTS(x)                                                                              \
	{ "--vm", 0, &(x)->vm, NULL, NULL }, { "--nic", 0, &(x)->nic, NULL, NULL },                         \
		{ "--source-ip", 0, &(x)->src, NULL, NULL }, { "--dest-ip", 0, &(x)->dst, NULL, NULL }

static int nh_build(const struct topo *t, const struct nh_args *a, struct dp_route_query *q, struct nws_err *err)
{
	struct nws_ip src;
	int vm, nic, ipcfg;

	if (!a->vm)
		return nws_err_set(err, "--vm is required");
	if (!a->src)
		return nws_err_set(err, "--source-ip is required");
	if (!a->dst)
		return nws_err_set(err, "--dest-ip is required");
	vm = target_vm(t, a->vm, err);
	if (vm < 0)
		return -1;
	if (nws_ip_parse(a->src, &src) < 0)
		return nws_err_set(err, "--source-ip: '%s' is not an IPv4 or IPv6 address", a->src);
	if (nws_ip_parse(a->dst, &q->dst) < 0)
		return nws_err_set(err, "--dest-ip: '%s' is not an IPv4 or IPv6 address", a->dst);
	if (src.fam != q->dst.fam)
		return nws_err_set(err, "--dest-ip: %s and --source-ip %s are not the same IP version", a->dst, a->src);
	/*
	 * Any source address: Azure answers from the NIC's subnet's routes whether or not the address
	 * is the VM's. One that is not stands for the named NIC, or the VM's primary one.
	 */
	const struct topo_vm *v = &t->vms[vm];
	int named = a->nic ? topo_find_nic(t, a->nic) : -1, ours = -1;

	for (size_t i = v->first_nic; i < v->first_nic + v->nnics && ours < 0; i++)
		ours = topo_find_ipcfg(t, (int)i, &src);
	if (ours < 0) {
		int pick = named >= 0 && t->nics[named].vm == vm ? named : (int)v->first_nic;

		bool family = false;

		for (size_t k = 0; k < t->nics[pick].nipcfgs && !family; k++)
			if (t->nics[pick].ipcfgs[k].ip.fam == src.fam) {
				src = t->nics[pick].ipcfgs[k].ip;
				family = true;
			}
		if (!family)
			return nws_err_set(err, "--source-ip: %s is IPv%c and network interface '%s' has no IPv%c address", a->src,
					   src.fam == NWS_AF4 ? '4' : '6', t->nics[pick].name, src.fam == NWS_AF4 ? '4' : '6');
	}
	if (target_resolve(t, vm, a->nic, "--source-ip", a->src, &src, &nic, &ipcfg, err) < 0)
		return -1;
	q->subnet = t->nics[nic].ipcfgs[ipcfg].subnet;
	return 0;
}

static bool word_is(const char *w, const char *opt, size_t len)
{
	return !memcmp(w, opt, len + 1);
}

static bool same_text(const char *cached, const char *now)
{
	return now ? !strcmp(cached, now) : cached[0] == 0;
}

static int nh_line(void *vctx, int ntok, char **tok, void *out, struct nws_err *err)
{
	struct nh_reader *c = vctx;
	struct nh_args a = { 0 };
	const struct cli_opt opts[] = { NH_OPTS(&a), { NULL, 0, NULL, NULL, NULL } };
	struct dp_route_query *q = out;

	/* The form the docs write is read without the general option parser. */
	if (ntok == 6 && word_is(tok[0], "--vm", 4) && word_is(tok[2], "--source-ip", 11) &&
	    word_is(tok[4], "--dest-ip", 9)) {
		a.vm = tok[1];
		a.src = tok[3];
		a.dst = tok[5];
	} else if (cli_parse(ntok, tok, opts, NULL, NULL, NULL, err) < 0) {
		return -1;
	}
	if (c->subnet >= 0 && a.vm && a.src && a.dst && same_text(c->vm, a.vm) && same_text(c->nic, a.nic) &&
	    same_text(c->src, a.src)) {
		if (nws_ip_parse(a.dst, &q->dst) < 0)
			return nws_err_set(err, "--dest-ip: '%s' is not an IPv4 or IPv6 address", a.dst);
		if (c->fam != q->dst.fam)
			return nws_err_set(err, "--dest-ip: %s and --source-ip %s are not the same IP version", a.dst, a.src);
		q->subnet = c->subnet;
		return 0;
	}
	if (nh_build(c->t, &a, q, err) < 0)
		return -1;
	if (strlen(a.vm) < sizeof(c->vm) && (!a.nic || strlen(a.nic) < sizeof(c->nic)) && strlen(a.src) < sizeof(c->src)) {
		strcpy(c->vm, a.vm);
		strcpy(c->nic, a.nic ? a.nic : "");
		strcpy(c->src, a.src);
		c->fam = q->dst.fam;
		c->subnet = q->subnet;
	} else {
		c->subnet = -1;
	}
	return 0;
}

void nh_reader_init(struct nh_reader *r, const struct topo *t)
{
	memset(r, 0, sizeof(*r));
	r->t = t;
	r->subnet = -1;
}

ssize_t nh_batch_read(struct batch *b, struct nh_reader *r, struct dp_route_query *q, size_t max, bool *bad,
		      struct nws_err *err)
{
	return batch_read(b, nh_line, r, q, sizeof(*q), max, bad, err);
}

static const char *hop_table_id(const struct topo *t, const struct route_hop *h)
{
	return h->rt >= 0 ? t->rts[h->rt].id : AZ_SYSTEM_ROUTE;
}

/* One hop: a row of the table, or a JSON object without its closing brace (the caller closes it). */
static void ob_hop_fmt(struct obuf *o, const struct topo *t, const struct route_hop *h, bool table)
{
	char ip[NWS_IP_STRLEN];

	if (h->has_ip)
		nws_ip_str(&h->ip, ip);
	if (table) {
		char line[512];

		snprintf(line, sizeof(line), "%-18s  %-21s  %s\n", h->has_ip ? ip : "", names_next_hop_type(h->type),
			 hop_table_id(t, h));
		ob_str(o, line);
		return;
	}
	/* As the next-hop API answers: no nextHopIpAddress when there is none. */
	ob_str(o, "{");
	if (h->has_ip) {
		ob_str(o, "\"nextHopIpAddress\": \"");
		ob_str(o, ip);
		ob_str(o, "\", ");
	}
	ob_str(o, "\"nextHopType\": \"");
	ob_str(o, names_next_hop_type(h->type));
	ob_str(o, "\", \"routeTableId\": \"");
	ob_json_str(o, hop_table_id(t, h));
	ob_put(o, "\"", 1);
}

/*
 * A hop's line depends only on the deciding route, so each route's line is formatted once and
 * copied after that. Direct-mapped on the route's address; a collision just formats again.
 */
#define HOP_CACHE 4096

struct hop_cache {
	const struct route_entry *route[HOP_CACHE];
	char *line[HOP_CACHE];
	size_t len[HOP_CACHE];
	struct obuf scratch;
};

/* One batch answer, with its line number: first in the table, last in JSON. */
static void ob_hop(struct obuf *o, struct hop_cache *hc, const struct topo *t, const struct route_hop *h, size_t lineno,
		   bool table)
{
	size_t slot = (size_t)(((uint64_t)(uintptr_t)h->route * 0x9e3779b97f4a7c15ull) >> 52) % HOP_CACHE;
	const char *text = NULL;
	size_t len = 0;

	if (table)
		ob_line_table(o, lineno);
	if (!h->route || hc->route[slot] != h->route) {
		hc->scratch.n = 0;
		ob_hop_fmt(&hc->scratch, t, h, table);
		text = hc->scratch.b;
		len = hc->scratch.n;
		char *line = h->route ? realloc(hc->line[slot], hc->scratch.n) : NULL;

		if (line) {
			memcpy(line, hc->scratch.b, hc->scratch.n);
			hc->line[slot] = line;
			hc->len[slot] = hc->scratch.n;
			hc->route[slot] = h->route;
		}
	} else {
		text = hc->line[slot];
		len = hc->len[slot];
	}
	ob_put(o, text, len);
	if (!table)
		ob_line_json(o, lineno);
}

static void table_head(bool lines)
{
	if (lines)
		printf("%-6s  ", "Line");
	printf("%-18s  %-21s  %s\n", "NextHopIpAddress", "NextHopType", "RouteTableId");
	if (lines)
		printf("------  ");
	printf("%-18s  %-21s  %s\n", "------------------", "---------------------", "------------------------------");
}

static void print_hop_json(const struct topo *t, const struct route_hop *h)
{
	struct jw w;
	char ip[NWS_IP_STRLEN];

	jw_init(&w, stdout, true);
	jw_obj(&w);
	if (h->has_ip) {
		jw_key(&w, "nextHopIpAddress");
		jw_str(&w, nws_ip_str(&h->ip, ip));
	}
	jw_key(&w, "nextHopType");
	jw_str(&w, names_next_hop_type(h->type));
	jw_key(&w, "routeTableId");
	jw_str(&w, hop_table_id(t, h));
	jw_end_obj(&w);
	jw_done(&w);
}

static int nh_batch(const struct app *app, struct batch *b, bool table, bool verbose, struct nws_err *err)
{
	struct dp_route_query *q = malloc(BATCH_BLOCK * sizeof(*q));
	struct route_hop *h = malloc(BATCH_BLOCK * sizeof(*h));
	struct obuf *o = malloc(sizeof(*o));
	struct hop_cache *hc = calloc(1, sizeof(*hc));
	struct nh_reader ctx;
	ssize_t n = -1;

	if (!q || !h || !o || !hc) {
		nws_err_set(err, "out of memory");
		goto out;
	}
	nh_reader_init(&ctx, app->t);
	o->n = 0;
	if (table)
		table_head(true);
	double t0 = batch_now();
	size_t total = 0;

	for (;;) {
		bool bad;

		n = nh_batch_read(b, &ctx, q, BATCH_BLOCK, &bad, err);
		if (n < 0)
			break;
		dp_routes_lookup(&app->routes, q, h, (size_t)n);
		for (ssize_t i = 0; i < n; i++)
			ob_hop(o, hc, app->t, &h[i], b->lines[i], table);
		total += (size_t)n;
		if (bad && batch_bad(b, o, table, err) < 0) {
			n = -1;
			break;
		}
		if (!bad && n == 0)
			break;
	}
	ob_flush(o);
	fflush(stdout);
	if (verbose && n == 0)
		batch_report("next hop lookups", total, batch_now() - t0);
	if (n == 0 && batch_end(b, err) < 0)
		n = -1;
out:
	fflush(stdout);
	for (size_t i = 0; hc && i < HOP_CACHE; i++)
		free(hc->line[i]);
	free(hc);
	free(q);
	free(h);
	free(o);
	return n < 0 ? -1 : 0;
}

static int nh_build1(const struct topo *t, const void *args, void *query, struct nws_err *err)
{
	return nh_build(t, args, query, err);
}

static void nh_answer(const struct app *app, const void *query, bool table)
{
	struct route_hop h;

	dp_routes_lookup(&app->routes, query, &h, 1);
	if (table) {
		static struct obuf o;

		table_head(false);
		ob_hop_fmt(&o, app->t, &h, true);
		ob_flush(&o);
	} else {
		print_hop_json(app->t, &h);
	}
}

int cmd_show_next_hop(int argc, char **argv)
{
	static struct nh_args a;
	static struct dp_route_query q;
	static const struct cli_opt opts[] = { NH_OPTS(&a), { NULL, 0, NULL, NULL, NULL } };
	const struct query_cmd cmd = {
		.name = "show-next-hop", .usage = nh_usage, .tables = APP_ROUTES, .opts = opts, .args = &a, .query = &q,
		.build = nh_build1, .batch = nh_batch, .answer = nh_answer,
	};

	return query_main(&cmd, argc, argv);
}

static void route_json(struct jw *w, const struct route_entry *r, bool disable_bgp)
{
	char b[NWS_PREFIX_STRLEN];

	/* As a real answer has them: a name only on user routes, hasBgpOverride, tags empty. */
	jw_obj(w);
	if (r->name) {
		jw_key(w, "name");
		jw_str(w, r->name);
	}
	jw_key(w, "disableBgpRoutePropagation");
	jw_bool(w, disable_bgp);
	jw_key(w, "source");
	jw_str(w, route_source_name[r->source]);
	jw_key(w, "state");
	jw_str(w, route_state_name[r->state]);
	jw_key(w, "hasBgpOverride");
	jw_bool(w, false);
	jw_key(w, "addressPrefix");
	jw_arr(w);
	jw_str(w, nws_prefix_str(&r->prefix, b));
	jw_end_arr(w);
	jw_key(w, "nextHopType");
	jw_str(w, az_nexthop_name[r->type]);
	jw_key(w, "nextHopIpAddress");
	jw_arr(w);
	if (r->has_ip)
		jw_str(w, nws_ip_str(&r->ip, b));
	jw_end_arr(w);
	jw_key(w, "destinationServiceTags");
	jw_arr(w);
	jw_end_arr(w);
	jw_key(w, "tagMap");
	jw_obj(w);
	jw_end_obj(w);
	jw_end_obj(w);
}

int cmd_show_effective_route_table(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct app app;
	int nic, rc = query_open_nic(&app, "show-effective-route-table", ert_usage, argc, argv, &c, &nic);

	if (rc >= 0)
		return rc;
	const struct route_table *tb = &app.rm.subnet[app.t->nics[nic].ipcfgs[0].subnet];

	if (cli_table(&c)) {
		char b[NWS_PREFIX_STRLEN], ip[NWS_IP_STRLEN];

		printf("%-21s  %-7s  %-18s  %-21s  %s\n%-21s  %-7s  %-18s  %-21s  %s\n", "Source", "State",
		       "Address Prefix", "Next Hop Type", "Next Hop IP", "---------------------", "-------",
		       "------------------", "---------------------", "-------------");
		for (size_t i = 0; i < tb->n; i++) {
			const struct route_entry *r = &tb->e[i];

			printf("%-21s  %-7s  %-18s  %-21s  %s\n", route_source_name[r->source], route_state_name[r->state],
			       nws_prefix_str(&r->prefix, b), az_nexthop_name[r->type], r->has_ip ? nws_ip_str(&r->ip, ip) : "");
		}
	} else {
		struct jw w;

		jw_init(&w, stdout, true);
		jw_obj(&w);
		jw_key(&w, "value");
		jw_arr(&w);
		for (size_t i = 0; i < tb->n; i++)
			route_json(&w, &tb->e[i], tb->disable_bgp);
		jw_end_arr(&w);
		jw_end_obj(&w);
		jw_done(&w);
	}
	app_close(&app);
	return CLI_OK;
}
