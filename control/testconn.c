/*
 * nwsim test-connectivity: the command line, the destination (VM, address, name, URI), the
 * workers, and the response as JSON (REST casing) or a table with hints.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "app.h"
#include "cmds.h"
#include "connect.h"
#include "dp_eal.h"
#include "feed.h"
#include "jw.h"
#include "summary.h"

static const char usage_text[] =
	"usage: nwsim test-connectivity -t TOPOLOGY --source-resource VM [--source-port N]\n"
	"                               (--dest-resource VM | --dest-address IP|FQDN|URI) [--dest-port N]\n"
	"                               [--protocol Tcp|Http|Https|Icmp] [--probes N] [--seed S] [--workers N]\n"
	"                               [--method Get] [--path /P] [--valid-status-codes LIST]\n"
	"                               [--headers KEY=VALUE]... [--preferred-ip-version IPv4|IPv6] [-o json|table]\n"
	"\n"
	"Checks a connection from a VM to a VM, a name in the topology's dns, a URI or an address, as\n"
	"Network Watcher's connection troubleshoot does. Probe packets (TCP SYN or ICMP echo) go through\n"
	"the dataplane's workers and, where they reach a host that answers, so do the replies. Prints\n"
	"connectionStatus, the latencies (when reachable), probesSent, probesFailed and every hop with\n"
	"its issues; the table adds what to change. --probes 1..100 (default 30); --seed S makes the\n"
	"latency jitter reproducible (default 1); a URI gives the port when --dest-port does not.\n"
	"Http and Https probe over TCP (port 80 or 443 unless given) and ask the path (--path, else the\n"
	"URI's, else /) of the destination's web server; its answer comes from the topology's\n"
	"httpResponses, and one outside --valid-status-codes (default 200..299) fails the probe.\n"
	"--preferred-ip-version picks the source's and the destination's addresses of that family.\n";

/* "https://host:port/path" -> host, port (the scheme's when absent) and path ("/" when absent). */
static int parse_uri(const char *s, char *host, size_t hl, unsigned *port, char *path, size_t pl)
{
	const char *p = strstr(s, "://");

	if (!p)
		return 0;
	*port = !strncasecmp(s, "https", 5) ? 443 : !strncasecmp(s, "http", 4) ? 80 : 0;
	p += 3;
	size_t n = strcspn(p, "/?#");

	snprintf(path, pl, "%s%s", p[n] == '/' ? "" : "/", p + n);
	const char *colon = NULL;

	if (*p == '[') { /* [v6]:port */
		const char *e = memchr(p, ']', n);

		if (!e)
			return -1;
		snprintf(host, hl, "%.*s", (int)(e - p - 1), p + 1);
		colon = e[1] == ':' ? e + 1 : NULL;
	} else {
		colon = memchr(p, ':', n);
		snprintf(host, hl, "%.*s", (int)(colon ? (size_t)(colon - p) : n), p);
	}
	if (colon) {
		double v;
		char num[16];

		snprintf(num, sizeof(num), "%.*s", (int)(n - (size_t)(colon + 1 - p)), colon + 1);
		if (cli_number(num, 1, 65535, true, &v) < 0)
			return -1;
		*port = (unsigned)v;
	}
	return host[0] ? 1 : -1;
}

static long long ms_int(double ms)
{
	return (long long)(ms + 0.5);
}

/* A resource id as a table shows it: its name, "NIC/configuration" for an IP configuration, "-" none. */
static const char *res_label(const char *res, char *buf, size_t len)
{
	const char *cfg = strstr(res, "/ipConfigurations/"), *nic = strstr(res, "/networkInterfaces/");
	const char *last = strrchr(res, '/');

	if (cfg && nic && nic < cfg) {
		nic += strlen("/networkInterfaces/");
		snprintf(buf, len, "%.*s/%s", (int)(cfg - nic), nic, cfg + strlen("/ipConfigurations/"));
		return buf;
	}
	snprintf(buf, len, "%s", !res[0] ? "-" : last ? last + 1 : res);
	return buf;
}

static void link_json(struct jw *w, const struct conn_result *cr, const struct conn_link *l)
{
	jw_obj(w);
	jw_kstr(w, "nextHopId", cr->hops[l->next].id);
	jw_kstr(w, "linkType", l->type);
	/* The link model's round trip across it, over the probes that came back (seeded: repeatable). */
	jw_key(w, "properties");
	jw_obj(w);
	if (l->rtt_n) {
		jw_kint(w, "roundTripTimeMin", ms_int(l->rtt_min));
		jw_kint(w, "roundTripTimeAvg", ms_int(l->rtt_sum / l->rtt_n));
		jw_kint(w, "roundTripTimeMax", ms_int(l->rtt_max));
	}
	jw_end_obj(w);
	jw_key(w, "context");
	jw_obj(w);
	jw_end_obj(w);
	jw_key(w, "issues");
	jw_arr(w);
	jw_end_arr(w);
	if (l->resource[0])
		jw_kstr(w, "resourceId", l->resource);
	jw_end_obj(w);
}

static void issue_json(struct jw *w, const struct conn_issue_rec *x)
{
	jw_obj(w);
	jw_kstr(w, "origin", x->origin);
	jw_kstr(w, "severity", x->severity);
	jw_kstr(w, "type", x->type);
	jw_key(w, "context");
	jw_arr(w);
	if (x->key[0]) {
		jw_obj(w);
		jw_kstr(w, "key", x->key);
		jw_kstr(w, "value", x->value);
		jw_end_obj(w);
	}
	if (x->key2[0]) {
		jw_obj(w);
		jw_kstr(w, "key", x->key2);
		jw_kstr(w, "value", x->value2);
		jw_end_obj(w);
	}
	jw_end_arr(w);
	jw_end_obj(w);
}

static void hop_json(struct jw *w, const struct conn_result *cr, const struct conn_hop *h)
{
	char b[NWS_IP_STRLEN];

	jw_obj(w);
	jw_kstr(w, "type", h->type);
	jw_kstr(w, "id", h->id);
	jw_kstr(w, "address", h->has_ip ? nws_ip_str(&h->ip, b) : "");
	if (h->resource[0]) /* an Internet hop has none */
		jw_kstr(w, "resourceId", h->resource);
	jw_key(w, "nextHopIds");
	jw_arr(w);
	for (int i = 0; i < h->nlinks; i++)
		jw_str(w, cr->hops[h->links[i].next].id);
	jw_end_arr(w);
	jw_key(w, "previousHopIds");
	jw_arr(w);
	for (int i = 0; i < h->nprev; i++)
		jw_str(w, cr->hops[h->prev[i]].id);
	jw_end_arr(w);
	jw_key(w, "links");
	jw_arr(w);
	for (int i = 0; i < h->nlinks; i++)
		link_json(w, cr, &h->links[i]);
	jw_end_arr(w);
	jw_key(w, "previousLinks");
	jw_arr(w);
	for (int i = 0; i < h->nprev; i++)
		link_json(w, cr, &cr->hops[h->prev[i]].links[h->prev_link[i]]);
	jw_end_arr(w);
	jw_key(w, "issues");
	jw_arr(w);
	for (int i = 0; i < h->nissues; i++)
		issue_json(w, &h->issues[i]);
	jw_end_arr(w);
	/* nwsim's own per-hop counters (not in Azure's response). */
	jw_kint(w, "probesReached", h->reached);
	jw_kint(w, "probesDropped", h->dropped);
	jw_end_obj(w);
}

static void print_json(const struct conn_result *cr)
{
	struct jw w;

	jw_init(&w, stdout, true);
	jw_obj(&w);
	jw_key(&w, "hops");
	jw_arr(&w);
	for (int i = 0; i < cr->nhops; i++)
		hop_json(&w, cr, &cr->hops[i]);
	jw_end_arr(&w);
	jw_kstr(&w, "connectionStatus", cr->reachable ? "Reachable" : "Unreachable");
	if (cr->reachable) {
		jw_kint(&w, "avgLatencyInMs", ms_int(cr->avg_ms));
		jw_kint(&w, "minLatencyInMs", ms_int(cr->min_ms));
		jw_kint(&w, "maxLatencyInMs", ms_int(cr->max_ms));
	}
	jw_kint(&w, "probesSent", cr->probes_sent);
	jw_kint(&w, "probesFailed", cr->probes_failed);
	jw_end_obj(&w);
	jw_done(&w);
}

static void print_table(const struct conn_result *cr)
{
	char b[NWS_IP_STRLEN];

	printf("connection status: %s", cr->reachable ? "Reachable" : "Unreachable");
	if (cr->reachable)
		printf("; latency min %.1f ms, avg %.1f ms, max %.1f ms", cr->min_ms, cr->avg_ms, cr->max_ms);
	printf("\nprobes sent %u, failed %u\n\n", cr->probes_sent, cr->probes_failed);
	printf("%-3s %-22s %-40s %-16s %8s %8s %9s\n", "#", "type", "resource", "address", "reached", "dropped", "rtt ms");
	for (int i = 0; i < cr->nhops; i++) {
		const struct conn_hop *h = &cr->hops[i];
		char rtt[24] = "-", res[256];

		if (h->rtt_n)
			snprintf(rtt, sizeof(rtt), "%.1f", h->rtt_sum / h->rtt_n);
		printf("%-3d %-22s %-40s %-16s %8u %8u %9s", i, h->type, res_label(h->resource, res, sizeof(res)),
		       h->has_ip ? nws_ip_str(&h->ip, b) : "-", h->reached, h->dropped, rtt);
		for (int k = 0; k < h->nlinks; k++) {
			const struct conn_link *l = &h->links[k];

			printf("%s %d (%s)", k ? "," : "  ->", l->next, l->type);
		}
		printf("\n");
		if (h->vm_stopped)
			printf("      the virtual machine is stopped (Azure reports no issue)\n      hint: start the VM\n");
		for (int k = 0; k < h->nissues; k++) {
			const struct conn_issue_rec *x = &h->issues[k];

			printf("      %s %s (%s)", x->severity, x->type, x->origin);
			if (x->key[0])
				printf(": %s=%s", x->key, x->value);
			if (x->key2[0])
				printf(", %s=%s", x->key2, x->value2);
			printf("\n      hint: %s\n", conn_hint(x->type));
		}
	}
}

static const char scan_usage[] =
	"usage: nwsim scan-ports -t TOPOLOGY --source-resource VM (--dest-resource VM | --dest-address IP|FQDN|URI)\n"
	"                        --ports LIST [--seed S] [--workers N] [-o json|table]\n"
	"\n"
	"Network Watcher's port scanner: one TCP probe to each port of LIST (ports and ranges, such as\n"
	"1-1024 or 22,80,443), through the dataplane's workers as test-connectivity sends them. Lists\n"
	"the ports that are reachable and, for the others, the hop and the issue that stops them,\n"
	"ports with the same answer grouped into ranges.\n";

/* "22,80,8000-8100": ascending, without repeats. */
static int parse_ports(const char *s, uint16_t *out, size_t *n)
{
	static bool seen[65536];
	char buf[64];

	memset(seen, 0, sizeof(seen));
	*n = 0;
	while (*s) {
		size_t len = strcspn(s, ",");
		double lo, hi;
		char *dash;

		if (len == 0 || len >= sizeof(buf))
			return -1;
		snprintf(buf, sizeof(buf), "%.*s", (int)len, s);
		dash = strchr(buf, '-');
		if (dash)
			*dash = 0;
		if (cli_number(buf, 1, 65535, true, &lo) < 0 || cli_number(dash ? dash + 1 : buf, 1, 65535, true, &hi) < 0 || lo > hi)
			return -1;
		for (unsigned p = (unsigned)lo; p <= (unsigned)hi; p++)
			seen[p] = true;
		s += len + (s[len] == ',');
	}
	for (unsigned p = 1; p < 65536; p++)
		if (seen[p])
			out[(*n)++] = (uint16_t)p;
	return *n ? 0 : -1;
}

/* What stopped one port's probe: the first Error of the path, and where. */
struct port_answer {
	bool open;
	char hop_type[24], hop_res[512], type[24], key[32], value[512];
};

static void port_answer(const struct conn_result *cr, struct port_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->open = cr->reachable > 0;
	for (int i = 0; !a->open && i < cr->nhops; i++) {
		if (cr->hops[i].vm_stopped) { /* no issue in Azure's answer; scan-ports names it */
			snprintf(a->hop_type, sizeof(a->hop_type), "%s", cr->hops[i].type);
			snprintf(a->hop_res, sizeof(a->hop_res), "%s", cr->hops[i].resource);
			snprintf(a->type, sizeof(a->type), "VmStopped");
			return;
		}
		for (int k = 0; k < cr->hops[i].nissues; k++) {
			const struct conn_issue_rec *x = &cr->hops[i].issues[k];

			if (strcmp(x->severity, "Error"))
				continue;
			snprintf(a->hop_type, sizeof(a->hop_type), "%s", cr->hops[i].type);
			snprintf(a->hop_res, sizeof(a->hop_res), "%s", cr->hops[i].resource);
			snprintf(a->type, sizeof(a->type), "%s", x->type);
			/* The port itself is the row's: leave it out so that ranges form. */
			if (strcmp(x->key, "Port")) {
				snprintf(a->key, sizeof(a->key), "%s", x->key);
				snprintf(a->value, sizeof(a->value), "%s", x->value);
			}
			return;
		}
	}
}

static bool same_answer(const struct port_answer *a, const struct port_answer *b)
{
	return a->open == b->open && !strcmp(a->hop_type, b->hop_type) && !strcmp(a->hop_res, b->hop_res) &&
	       !strcmp(a->type, b->type) && !strcmp(a->value, b->value) && !strcmp(a->key, b->key);
}

/* A run of ports with one answer. */
static void range_str(char *out, size_t len, uint16_t lo, uint16_t hi)
{
	if (lo == hi)
		snprintf(out, len, "%u", lo);
	else
		snprintf(out, len, "%u-%u", lo, hi);
}

static int scan_run(const struct app *app, struct feeder *fd, struct conn_query *q, const uint16_t *pl, size_t np,
		    const struct cli_common *c, struct nws_err *err)
{
	static struct conn_result cr;
	struct port_answer *ans = calloc(np, sizeof(*ans));
	struct jw w;
	size_t nopen = 0;
	char r[32];

	if (!ans)
		return nws_err_set(err, "out of memory");
	for (size_t i = 0; i < np; i++) {
		q->dst_port = pl[i];
		q->seed += 1;
		/* Each port's probe a second after the last: the flow table sees them as they would come. */
		q->t0_ns += 1000000000ull;
		if (conn_run(app, fd, q, &cr, err) < 0) {
			free(ans);
			return -1;
		}
		port_answer(&cr, &ans[i]);
		nopen += ans[i].open;
	}
	if (cli_table(c)) {
		printf("%zu of %zu ports reachable\n\n%-13s %-8s %s\n", nopen, np, "ports", "state", "where and why");
	} else {
		jw_init(&w, stdout, true);
		jw_obj(&w);
		jw_kint(&w, "portsScanned", (long long)np);
		jw_kint(&w, "portsReachable", (long long)nopen);
		jw_key(&w, "ports");
		jw_arr(&w);
	}
	for (size_t i = 0; i < np;) {
		size_t j = i;

		/* Group consecutive port numbers with the same answer. */
		while (j + 1 < np && pl[j + 1] == pl[j] + 1 && same_answer(&ans[i], &ans[j + 1]))
			j++;
		range_str(r, sizeof(r), pl[i], pl[j]);
		if (cli_table(c)) {
			printf("%-13s %s", r, ans[i].open ? "open" : "blocked  ");
			if (!ans[i].open) {
				char res[256];

				printf("at %s %s: %s", ans[i].hop_type, res_label(ans[i].hop_res, res, sizeof(res)), ans[i].type);
				if (ans[i].key[0])
					printf(" %s=%s", ans[i].key, ans[i].value);
			}
			printf("\n");
		} else {
			jw_obj(&w);
			jw_kstr(&w, "ports", r);
			jw_kstr(&w, "state", ans[i].open ? "Reachable" : "Unreachable");
			if (!ans[i].open) {
				jw_kstr(&w, "hopType", ans[i].hop_type);
				jw_kstr(&w, "hopResourceId", ans[i].hop_res);
				jw_kstr(&w, "issueType", ans[i].type);
				if (ans[i].key[0]) {
					jw_kstr(&w, "key", ans[i].key);
					jw_kstr(&w, "value", ans[i].value);
				}
			}
			jw_end_obj(&w);
		}
		i = j + 1;
	}
	if (!cli_table(c)) {
		jw_end_arr(&w);
		jw_end_obj(&w);
		jw_done(&w);
	}
	free(ans);
	return 0;
}

/*
 * --method, --valid-status-codes and --headers, which only an Http or Https check takes. Headers
 * are checked for their form (KEY=VALUE) and sent with nothing in the topology to answer them.
 */
static int http_options(struct conn_query *q, const char *method, const char *path, const char *codes,
			const struct cli_list *headers, struct nws_err *err)
{
	if (!q->http.on && (method || path || codes || headers->n))
		return nws_err_set(err, "--method, --path, --valid-status-codes and --headers need --protocol Http or Https");
	if (path && path[0] != '/')
		return nws_err_set(err, "--path: '%s' does not begin with /", path);
	if (method && strcasecmp(method, "Get"))
		return nws_err_set(err, "--method: '%s' is not Get (the only method Azure's check sends)", method);
	for (int i = 0; i < headers->n; i++) {
		const char *eq = strchr(headers->v[i], '=');

		if (!eq || eq == headers->v[i])
			return nws_err_set(err, "--headers: '%s' is not KEY=VALUE", headers->v[i]);
	}
	q->http.nvalid = 0;
	for (const char *c = codes; c && *c;) {
		size_t len = strcspn(c, ", ");
		char num[16];
		double v;

		snprintf(num, sizeof(num), "%.*s", (int)(len < sizeof(num) ? len : sizeof(num) - 1), c);
		if (len == 0 || len >= sizeof(num) || cli_number(num, 100, 599, true, &v) < 0)
			return nws_err_set(err, "--valid-status-codes: '%s' is not a list of HTTP status codes 100..599", codes);
		if (q->http.nvalid == CONN_MAX_CODES)
			return nws_err_set(err, "--valid-status-codes: at most %d codes", CONN_MAX_CODES);
		q->http.valid[q->http.nvalid++] = (int)v;
		c += len;
		c += strspn(c, ", ");
	}
	return 0;
}

static int protocol(struct conn_query *q, const char *proto, struct nws_err *err)
{
	q->proto = AZ_PROTO_TCP;
	if (!proto || !strcasecmp(proto, "Tcp"))
		return 0;
	if (!strcasecmp(proto, "Icmp"))
		q->proto = AZ_PROTO_ICMP;
	else if (!strcasecmp(proto, "Http") || !strcasecmp(proto, "Https"))
		q->http.on = true; /* over TCP */
	else
		return nws_err_set(err, "--protocol: '%s' is not Tcp, Http, Https or Icmp", proto);
	return 0;
}

static int ip_version(struct conn_query *q, const char *v, struct nws_err *err)
{
	q->want_fam = 0;
	if (!v)
		return 0;
	if (!strcasecmp(v, "IPv4"))
		q->want_fam = NWS_AF4;
	else if (!strcasecmp(v, "IPv6"))
		q->want_fam = NWS_AF6;
	else
		return nws_err_set(err, "--preferred-ip-version: '%s' is not IPv4 or IPv6", v);
	return 0;
}

/* test-connectivity, or (scan) scan-ports: one probe a port over a list of ports. */
static int conn_main(int argc, char **argv, bool scan)
{
	struct cli_common c = { 0 };
	const char *src = NULL, *sport = NULL, *dres = NULL, *daddr = NULL, *dport = NULL, *proto = NULL, *probes = NULL,
		   *seed = NULL, *workers = NULL, *ports = NULL, *method = NULL, *path = NULL, *codes = NULL, *ipver = NULL;
	static struct cli_list headers;
	const struct cli_opt conn_opts[] = {
		{ "--method", 0, &method, NULL, NULL }, { "--path", 0, &path, NULL, NULL },
		{ "--valid-status-codes", 0, &codes, NULL, NULL }, { "--headers", 0, NULL, NULL, &headers },
		{ "--header", 0, NULL, NULL, &headers }, { "--preferred-ip-version", 0, &ipver, NULL, NULL },
		{ "--source-resource", 0, &src, NULL, NULL }, { "--source-port", 0, &sport, NULL, NULL }, { "--dest-resource", 0, &dres, NULL, NULL },
		{ "--dest-address", 0, &daddr, NULL, NULL },  { "--dest-port", 0, &dport, NULL, NULL },   { "--protocol", 0, &proto, NULL, NULL },
		{ "--probes", 0, &probes, NULL, NULL },       { "--seed", 0, &seed, NULL, NULL },         { "--workers", 0, &workers, NULL, NULL },
		{ NULL, 0, NULL, NULL, NULL },
	};
	const struct cli_opt scan_opts[] = {
		{ "--source-resource", 0, &src, NULL, NULL }, { "--dest-resource", 0, &dres, NULL, NULL }, { "--dest-address", 0, &daddr, NULL, NULL },
		{ "--ports", 0, &ports, NULL, NULL },         { "--seed", 0, &seed, NULL, NULL },          { "--workers", 0, &workers, NULL, NULL },
		{ NULL, 0, NULL, NULL, NULL },
	};
	const char *cmd = scan ? "scan-ports" : "test-connectivity";
	static uint16_t plist[65536];
	size_t np = 0;
	struct nws_err err = { { 0 } };
	struct app app = { 0 };
	static struct feeder fd;
	static struct conn_query q;
	static struct conn_result cr;
	/* One worker lcore beside the main one where there is a CPU for it. */
	unsigned nworkers = cli_ncpus() > 1 ? 1 : 0;
	unsigned uri_port = 0;
	char host[256] = "";
	static char uri_path[1024];
	int rc;

	if (cli_parse(argc, argv, scan ? scan_opts : conn_opts, &c, NULL, NULL, &err) < 0 || cli_check_output(&c, CLI_FORMATS_REPORT, &err) < 0)
		goto usage;
	if (c.help) {
		fputs(scan ? scan_usage : usage_text, stdout);
		return CLI_OK;
	}
	memset(&q, 0, sizeof(q));
	q.proto = AZ_PROTO_TCP;
	q.probes = 30;
	q.seed = 1;
	q.t0_ns = 1700000000ull * 1000000000ull;
	if (!src) {
		nws_err_set(&err, "--source-resource is required");
		goto usage;
	}
	if (!dres == !daddr) {
		nws_err_set(&err, "give one of --dest-resource and --dest-address");
		goto usage;
	}
	if (protocol(&q, proto, &err) < 0 || http_options(&q, method, path, codes, &headers, &err) < 0 ||
	    ip_version(&q, ipver, &err) < 0)
		goto usage;
	double v_sport = 0, v_dport = 0, v_probes = q.probes, v_seed = (double)q.seed, v_workers = nworkers;
	const struct cli_num nums[] = {
		{ "--source-port", sport, 1, 65535, true, &v_sport }, { "--dest-port", dport, 1, 65535, true, &v_dport },
		{ "--probes", probes, 1, CONN_MAX_PROBES, true, &v_probes }, { "--seed", seed, 0, 1e15, true, &v_seed },
		{ "--workers", workers, 0, MAX_WORKERS, true, &v_workers },
	};

	if (cli_numbers(nums, sizeof(nums) / sizeof(nums[0]), &err) < 0)
		goto usage;
	q.src_port = (uint16_t)v_sport;
	q.probes = (unsigned)v_probes;
	q.seed = (uint64_t)v_seed;
	nworkers = (unsigned)v_workers;
	if (daddr) {
		int u = parse_uri(daddr, host, sizeof(host), &uri_port, uri_path, sizeof(uri_path));

		if (u < 0) {
			nws_err_set(&err, "--dest-address: '%s' is not a URI nwsim can read (scheme://host[:port][/path])", daddr);
			goto usage;
		}
		if (u == 0)
			snprintf(host, sizeof(host), "%s", daddr);
	}
	if (dport)
		q.dst_port = (uint16_t)v_dport;
	else if (uri_port)
		q.dst_port = (uint16_t)uri_port;
	else if (q.http.on)
		q.dst_port = !strcasecmp(proto, "Https") ? 443 : 80;
	q.http.path = path ? path : uri_path[0] ? uri_path : "/";
	if (scan) {
		if (!ports) {
			nws_err_set(&err, "--ports is required (for example 1-1024 or 22,80,443)");
			goto usage;
		}
		if (parse_ports(ports, plist, &np) < 0) {
			nws_err_set(&err, "--ports: '%s' is not a list of ports and ranges in 1..65535 (for example 22,80,8000-8100)", ports);
			goto usage;
		}
		q.dst_port = plist[0];
		q.probes = 1;
	}
	if (q.proto == AZ_PROTO_TCP && !q.dst_port) {
		nws_err_set(&err, "--dest-port is required for Tcp (or a URI that implies it)");
		goto usage;
	}
	rc = app_open(&app, &c, &err);
	if (rc != CLI_OK)
		goto out;
	const struct topo *t = app.t;

	rc = CLI_USAGE;
	if ((q.src_vm = topo_find_vm(t, src)) < 0) {
		nws_err_set(&err, "%s: --source-resource: no virtual machine '%s' in %s", cmd, src, t->file);
		goto out;
	}
	if (conn_target(t, dres, host, &q, &err) < 0) {
		nws_err_prefix(&err, "%s: ", cmd);
		goto out;
	}
	/* One worker lcore besides the main one, unless asked otherwise; 0 runs the engine inline. */
	if (cli_set_workers(&c, &nworkers, workers != NULL, &err) < 0) {
		nws_err_prefix(&err, "%s: ", cmd);
		rc = CLI_USAGE;
		goto out;
	}
	rc = app_compile(&app, &c, APP_PATH, &err);
	if (rc != CLI_OK)
		goto out;
	rc = CLI_FAIL;
	if (conn_feed_init(&fd, &app, nworkers, &err) < 0 || feed_launch(&fd, &err) < 0)
		goto out;
	if (scan) {
		if (scan_run(&app, &fd, &q, plist, np, &c, &err) < 0)
			goto out;
		feed_stop(&fd, t->nnics, false);
		rc = CLI_OK;
		goto out;
	}
	if (conn_run(&app, &fd, &q, &cr, &err) < 0)
		goto out;
	feed_stop(&fd, t->nnics, false);
	if (c.verbose) {
		const struct dp_counters *k = &fd.w[0].eng.c;

		fprintf(stderr, "nwsim: %" PRIu64 " probe packets through %u worker%s%s: %" PRIu64 " delivered, %" PRIu64
				" of them as part of an admitted flow; %.3f ms of processing in all\n",
			k->received, fd.nw, fd.nw == 1 ? "" : "s", fd.inline_engine ? " (the main lcore)" : "",
			summary_sum(k->delivered, PATH_END_COUNT), k->stateful, cr.proc_ms);
	}
	if (cli_table(&c))
		print_table(&cr);
	else
		print_json(&cr);
	rc = CLI_OK;
out:
	dp_eal_exit_begin();
	feed_free(&fd);
	app_close(&app);
	if (rc != CLI_OK)
		return cli_die(rc, &err);
	return rc;
usage:
	nws_err_prefix(&err, "%s: ", cmd);
	return cli_die(CLI_USAGE, &err);
}

int cmd_test_connectivity(int argc, char **argv)
{
	return conn_main(argc, argv, false);
}

int cmd_scan_ports(int argc, char **argv)
{
	return conn_main(argc, argv, true);
}
