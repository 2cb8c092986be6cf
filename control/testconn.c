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
	"                               [--protocol Tcp|Icmp] [--probes N] [--seed S] [--workers N]\n"
	"                               [-o json|table]\n"
	"\n"
	"Checks a connection from a VM to a VM, a name in the topology's dns, a URI or an address, as\n"
	"Network Watcher's connection troubleshoot does. Probe packets (TCP SYN or ICMP echo) go through\n"
	"the dataplane's workers and, where they reach a host that answers, so do the replies. Prints\n"
	"connectionStatus, the latencies (when reachable), probesSent, probesFailed and every hop with\n"
	"its issues; the table adds what to change. --probes 1..100 (default 30); --seed S makes the\n"
	"latency jitter reproducible (default 1); a URI gives the port when --dest-port does not.\n";

/* "https://host:port/path" -> host and port (the scheme's when absent). */
static int parse_uri(const char *s, char *host, size_t hl, unsigned *port)
{
	const char *p = strstr(s, "://");

	if (!p)
		return 0;
	*port = !strncasecmp(s, "https", 5) ? 443 : !strncasecmp(s, "http", 4) ? 80 : 0;
	p += 3;
	size_t n = strcspn(p, "/?#");
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

static void hop_json(struct jw *w, const struct conn_result *cr, const struct conn_hop *h)
{
	char b[NWS_IP_STRLEN];

	jw_obj(w);
	jw_kstr(w, "type", h->type);
	jw_kstr(w, "id", h->id);
	jw_kstr(w, "address", h->has_ip ? nws_ip_str(&h->ip, b) : "");
	jw_kstr(w, "resourceId", h->resource);
	jw_key(w, "nextHopIds");
	jw_arr(w);
	for (int i = 0; i < h->nnext; i++)
		jw_str(w, cr->hops[h->next[i]].id);
	jw_end_arr(w);
	jw_key(w, "issues");
	jw_arr(w);
	for (int i = 0; i < h->nissues; i++) {
		const struct conn_issue_rec *x = &h->issues[i];

		jw_obj(w);
		jw_kstr(w, "origin", x->origin);
		jw_kstr(w, "severity", x->severity);
		jw_kstr(w, "type", x->type);
		jw_key(w, "context");
		jw_arr(w);
		jw_obj(w);
		jw_kstr(w, "key", x->key);
		jw_kstr(w, "value", x->value);
		jw_end_obj(w);
		jw_end_arr(w);
		jw_end_obj(w);
	}
	jw_end_arr(w);
	/* nwsim's own per-hop counters (not in Azure's response). */
	jw_kint(w, "probesReached", h->reached);
	jw_kint(w, "probesDropped", h->dropped);
	/* The link model's round trip to this hop, over the probes that came back (seeded: repeatable). */
	if (h->rtt_n)
		jw_kint(w, "roundTripTimeInMs", ms_int(h->rtt_sum / h->rtt_n));
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
		const char *res = strrchr(h->resource, '/');
		char rtt[24] = "-";

		if (h->rtt_n)
			snprintf(rtt, sizeof(rtt), "%.1f", h->rtt_sum / h->rtt_n);
		printf("%-3d %-22s %-40s %-16s %8u %8u %9s", i, h->type, res ? res + 1 : h->resource,
		       h->has_ip ? nws_ip_str(&h->ip, b) : "-", h->reached, h->dropped, rtt);
		if (h->nnext) {
			printf("  ->");
			for (int k = 0; k < h->nnext; k++)
				printf(" %d", h->next[k]);
		}
		printf("\n");
		if (h->vm_stopped)
			printf("      the virtual machine is stopped (Azure reports no issue)\n      hint: start the VM\n");
		for (int k = 0; k < h->nissues; k++) {
			const struct conn_issue_rec *x = &h->issues[k];

			printf("      %s %s (%s): %s=%s\n      hint: %s\n", x->severity, x->type, x->origin, x->key, x->value,
			       conn_hint(x->type));
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
				const char *res = strrchr(ans[i].hop_res, '/');

				printf("at %s %s: %s", ans[i].hop_type, res ? res + 1 : ans[i].hop_res, ans[i].type);
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

/* test-connectivity, or (scan) scan-ports: one probe a port over a list of ports. */
static int conn_main(int argc, char **argv, bool scan)
{
	struct cli_common c = { 0 };
	const char *src = NULL, *sport = NULL, *dres = NULL, *daddr = NULL, *dport = NULL, *proto = NULL, *probes = NULL,
		   *seed = NULL, *workers = NULL, *ports = NULL;
	const struct cli_opt conn_opts[] = {
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
	if (proto) {
		if (!strcasecmp(proto, "Tcp"))
			q.proto = AZ_PROTO_TCP;
		else if (!strcasecmp(proto, "Icmp"))
			q.proto = AZ_PROTO_ICMP;
		else {
			nws_err_set(&err, "--protocol: '%s' is not Tcp or Icmp", proto);
			goto usage;
		}
	}
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
		int u = parse_uri(daddr, host, sizeof(host), &uri_port);

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
