/* nwsim test-ip-flow: az network watcher test-ip-flow, answered by the compiled rte_acl tables. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "cmds.h"
#include "dp_verify.h"
#include "jw.h"
#include "names.h"
#include "nsg_set.h"
#include "query.h"
#include "target.h"

static const char usage_text[] =
	"usage: nwsim test-ip-flow -t TOPOLOGY --vm VM [--nic NIC] --direction Inbound|Outbound\n"
	"                          --protocol TCP|UDP|ICMP|ESP|AH --local IP[:PORT|*] --remote IP[:PORT|*]\n"
	"                          [-o json|table] [-v] [--progress|-q] [-- EAL-OPTIONS]\n"
	"       nwsim test-ip-flow -t TOPOLOGY --batch FILE [--strict] [-o json|table]\n"
	"\n"
	"Whether the NSGs of the VM's NIC (subnet NSG and NIC NSG) allow the flow, and the rule that\n"
	"decided (ruleId: a user rule's ARM id, \"\" for a default rule). Local is the VM's side: the\n"
	"destination of Inbound traffic, the source of Outbound. A port of '*' stands for every port: the\n"
	"rule that decides, per NSG, is the first that matches some of them, as Azure answers.\n"
	"IPv6 endpoints are written [addr]:port. --batch reads one query per line (the options above,\n"
	"without -t) and prints one JSON line per query, with its line number; '-' reads standard\n"
	"input. A line that is not a query is answered {\"error\": ..., \"line\": N}, the others still\n"
	"are, and the status is then 3; --strict stops at the first. -t - reads the topology from\n"
	"standard input.\n";

struct ipf_args {
	const char *vm, *nic, *dir, *proto, *local, *remote;
};

#define IPF_OPTS(x)                                                                             \
	{ "--vm", 0, &(x)->vm, NULL, NULL }, { "--nic", 0, &(x)->nic, NULL, NULL },                         \
		{ "--direction", 0, &(x)->dir, NULL, NULL }, { "--protocol", 0, &(x)->proto, NULL, NULL },  \
		{ "--local", 0, &(x)->local, NULL, NULL }, { "--remote", 0, &(x)->remote, NULL, NULL }

static int parse_proto(const char *s, uint8_t *p, bool *ports)
{
	static const struct {
		const char *n;
		uint8_t p;
		bool ports;
	} tab[] = {
		{ "TCP", AZ_PROTO_TCP, true }, { "UDP", AZ_PROTO_UDP, true }, { "ICMP", AZ_PROTO_ICMP, false },
		{ "ESP", AZ_PROTO_ESP, false }, { "AH", AZ_PROTO_AH, false },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcasecmp(s, tab[i].n)) {
			*p = tab[i].p;
			*ports = tab[i].ports;
			return 0;
		}
	return -1;
}

/* "IP:PORT", "[IPv6]:PORT", or a bare address for protocols without ports; PORT may be '*'. */
static int parse_endpoint(const char *opt, const char *s, bool ports, struct nws_ip *ip, uint16_t *port, bool *any,
			  struct nws_err *err)
{
	char addr[NWS_IP_STRLEN];
	const char *ps = NULL;
	size_t alen;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return nws_err_set(err, "%s: '%s' has '[' without ']'", opt, s);
		alen = (size_t)(close - s - 1);
		memcpy(addr, s + 1, alen < sizeof(addr) ? alen : 0);
		if (close[1] == ':')
			ps = close + 2;
		else if (close[1])
			return nws_err_set(err, "%s: '%s' is not [IPv6]:PORT", opt, s);
		s++;
	} else {
		const char *colon = strchr(s, ':');

		/* A second colon means a bare IPv6 address: no port can follow it. */
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;
		alen = colon ? (size_t)(colon - s) : strlen(s);
		ps = colon ? colon + 1 : NULL;
		memcpy(addr, s, alen < sizeof(addr) ? alen : 0);
	}
	if (alen == 0 || alen >= sizeof(addr))
		return nws_err_set(err, "%s: '%s' is not IP:PORT", opt, s);
	addr[alen] = 0;
	if (nws_ip_parse(addr, ip) < 0)
		return nws_err_set(err, "%s: '%s' is not an IPv4 or IPv6 address", opt, addr);
	*any = false;
	if (!ports) {
		/* '*' is what az sends for a protocol without ports. */
		if (ps && !strcmp(ps, "*")) {
			*port = 0;
			return 0;
		}
		if (ps)
			return nws_err_set(err, "%s: ports apply only to TCP and UDP; give the address alone", opt);
		*port = 0;
		return 0;
	}
	if (!ps)
		return nws_err_set(err, "%s: '%s' needs a port (IP:PORT)", opt, s);
	*any = !strcmp(ps, "*");
	if (*any) {
		*port = 0;
		return 0;
	}
	char *end;

	errno = 0;
	long v = strtol(ps, &end, 10);

	if (!*ps || *end || errno || *ps < '0' || *ps > '9')
		return nws_err_set(err, "%s: port '%s' is not a number", opt, ps);
	if (v > 65535)
		return nws_err_set(err, "%s: port %ld is outside 0..65535", opt, v);
	*port = (uint16_t)v;
	return 0;
}

static int build_query(const struct topo *t, const struct ipf_args *a, struct nsg_query *q, struct nws_err *err)
{
	struct nws_ip local, remote;
	uint16_t lport, rport;
	bool ports;
	int vm, d;

	memset(q, 0, sizeof(*q));
	if (!a->vm)
		return nws_err_set(err, "--vm is required");
	if (!a->dir)
		return nws_err_set(err, "--direction is required");
	if (!a->proto)
		return nws_err_set(err, "--protocol is required");
	if (!a->local)
		return nws_err_set(err, "--local is required");
	if (!a->remote)
		return nws_err_set(err, "--remote is required");
	vm = target_vm(t, a->vm, err);
	if (vm < 0)
		return -1;
	d = az_dir_parse(a->dir);
	if (d < 0)
		return nws_err_set(err, "--direction: '%s' is not Inbound or Outbound", a->dir);
	if (parse_proto(a->proto, &q->flow.proto, &ports) < 0)
		return nws_err_set(err, "--protocol: '%s' is not TCP, UDP, ICMP, ESP or AH", a->proto);
	bool lany, rany;

	if (parse_endpoint("--local", a->local, ports, &local, &lport, &lany, err) < 0 ||
	    parse_endpoint("--remote", a->remote, ports, &remote, &rport, &rany, err) < 0)
		return -1;
	if (local.fam != remote.fam)
		return nws_err_set(err, "--remote: %s and --local %s are not the same IP version", a->remote, a->local);
	if (target_resolve(t, vm, a->nic, "--local", a->local, &local, &q->nic, &q->ipcfg, err) < 0)
		return -1;
	q->dir = (enum az_dir)d;
	q->flow.has_ports = ports;
	if (q->dir == AZ_INBOUND) {
		q->flow.src = remote;
		q->flow.sport = rport;
		q->flow.dst = local;
		q->flow.dport = lport;
		q->any_sport = rany;
		q->any_dport = lany;
	} else {
		q->flow.src = local;
		q->flow.sport = lport;
		q->flow.dst = remote;
		q->flow.dport = rport;
		q->any_sport = lany;
		q->any_dport = rany;
	}
	return 0;
}

int ipf_verify(const struct dp_acl *acl, const struct nsg_model *m, const struct nsg_query *q, struct nsg_verdict *v, size_t n)
{
	dp_verify(acl, m, q, v, n);
	/* The tables answer one flow; '*' as a port makes the query a set of them. */
	for (size_t i = 0; i < n; i++)
		if (q[i].any_sport || q[i].any_dport) {
			struct nsg_flowset s;

			nsg_flowset_of(&q[i].flow, &s);
			if (q[i].any_sport) {
				s.sport_lo = 0;
				s.sport_hi = 65535;
			}
			if (q[i].any_dport) {
				s.dport_lo = 0;
				s.dport_hi = 65535;
			}
			if (nsg_set_verify(m, q[i].nic, q[i].ipcfg, q[i].dir, &s, &v[i]) < 0)
				return -1;
		}
	return 0;
}

static void print_json(struct jw *w, const struct nsg_model *m, const struct nsg_verdict *v)
{
	char buf[256], id[1024];
	const char *rn = names_verdict_rule(v, buf, sizeof(buf));

	jw_obj(w);
	jw_key(w, "access");
	jw_str(w, az_access_name[v->access]);
	jw_key(w, "ruleName");
	if (rn)
		jw_str(w, rn);
	else
		jw_null(w);
	jw_key(w, "ruleId");
	jw_str(w, names_rule_id(m, v, id, sizeof(id)));
	jw_end_obj(w);
	jw_done(w);
}

static void print_table_head(bool lines)
{
	if (lines)
		printf("%-6s  ", "Line");
	printf("%-8s  %s\n", "Access", "RuleName");
	if (lines)
		printf("------  ");
	printf("%-8s  %s\n", "--------", "----------------------------------------");
}

static void print_table_row(const struct nsg_verdict *v)
{
	char buf[256];
	const char *rn = names_verdict_rule(v, buf, sizeof(buf));

	printf("%-8s  %s\n", az_access_name[v->access], rn ? rn : "");
}

/* One batch answer: its line number first in the table, last in JSON. */
static void ob_verdict(struct obuf *o, const struct nsg_model *m, const struct nsg_verdict *v, size_t line, bool table)
{
	/* The rule name is written in two pieces to keep snprintf off the per-query path. */
	const char *head = NULL, *name = NULL;

	if (v->platform >= 0) {
		head = "";
		name = az_platform_rule_name[v->platform];
	} else if (v->rule) {
		head = v->rule->is_default ? AZ_DEFAULT_RULE_PREFIX : AZ_USER_RULE_PREFIX;
		name = v->rule->name;
	}
	if (table) {
		ob_line_table(o, line);
		ob_str(o, v->access == AZ_ALLOW ? "Allow     " : "Deny      ");
		if (name) {
			ob_str(o, head);
			ob_str(o, name);
		}
		ob_put(o, "\n", 1);
		return;
	}
	ob_str(o, v->access == AZ_ALLOW ? "{\"access\": \"Allow\", \"ruleName\": " : "{\"access\": \"Deny\", \"ruleName\": ");
	if (name) {
		ob_put(o, "\"", 1);
		ob_str(o, head);
		ob_json_str(o, name);
		ob_put(o, "\"", 1);
	} else {
		ob_str(o, "null");
	}
	/* A user rule's id is its NSG's and its name: no formatting on the per-query path. */
	ob_str(o, ", \"ruleId\": \"");
	if (v->platform < 0 && v->rule && !v->rule->is_default && v->inst >= 0) {
		ob_json_str(o, m->t->nsgs[m->inst[v->inst].nsg].id);
		ob_str(o, "/securityRules/");
		ob_json_str(o, v->rule->name);
	}
	ob_put(o, "\"", 1);
	ob_line_json(o, line);
}

/* One batch line: the test-ip-flow options without -t. */
static int ipf_line(void *ctx, int ntok, char **tok, void *out, struct nws_err *err)
{
	struct ipf_args a = { 0 };
	const struct cli_opt opts[] = { IPF_OPTS(&a), { NULL, 0, NULL, NULL, NULL } };

	if (cli_parse(ntok, tok, opts, NULL, NULL, NULL, err) < 0)
		return -1;
	return build_query(ctx, &a, out, err);
}

ssize_t ipf_batch_read(struct batch *b, const struct topo *t, struct nsg_query *q, size_t max, bool *bad,
		       struct nws_err *err)
{
	return batch_read(b, ipf_line, (void *)(uintptr_t)t, q, sizeof(*q), max, bad, err);
}

static int run_batch(const struct app *app, struct batch *b, bool table, bool verbose, struct nws_err *err)
{
	struct nsg_query *q = malloc(BATCH_BLOCK * sizeof(*q));
	struct nsg_verdict *v = malloc(BATCH_BLOCK * sizeof(*v));
	struct obuf *o = malloc(sizeof(*o));
	ssize_t n;
	int rc = -1;

	if (!q || !v || !o) {
		nws_err_set(err, "out of memory");
		goto out;
	}
	o->n = 0;
	if (table)
		print_table_head(true);
	double t0 = batch_now();
	size_t total = 0;

	for (;;) {
		bool bad;

		n = ipf_batch_read(b, app->t, q, BATCH_BLOCK, &bad, err);
		if (n < 0)
			break;
		if (ipf_verify(&app->acl, &app->m, q, v, (size_t)n) < 0) {
			nws_err_set(err, "out of memory");
			n = -1;
			break;
		}
		for (ssize_t i = 0; i < n; i++)
			ob_verdict(o, &app->m, &v[i], b->lines[i], table);
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
		batch_report("IP flow queries", total, batch_now() - t0);
	rc = n < 0 || batch_end(b, err) < 0 ? -1 : 0;
out:
	fflush(stdout);
	free(q);
	free(v);
	free(o);
	return rc;
}

static int ipf_build(const struct topo *t, const void *args, void *query, struct nws_err *err)
{
	return build_query(t, args, query, err);
}

static void ipf_answer(const struct app *app, const void *query, bool table)
{
	struct nsg_verdict v;

	if (ipf_verify(&app->acl, &app->m, query, &v, 1) < 0) {
		fputs("nwsim: test-ip-flow: out of memory\n", stderr);
		exit(CLI_FAIL);
	}
	if (table) {
		print_table_head(false);
		print_table_row(&v);
	} else {
		struct jw w;

		jw_init(&w, stdout, true);
		print_json(&w, &app->m, &v);
	}
}

static int ipf_nic(const void *query)
{
	return ((const struct nsg_query *)query)->nic;
}

int cmd_test_ip_flow(int argc, char **argv)
{
	static struct ipf_args a;
	static struct nsg_query q;
	static const struct cli_opt opts[] = { IPF_OPTS(&a), { NULL, 0, NULL, NULL, NULL } };
	const struct query_cmd cmd = {
		.name = "test-ip-flow", .usage = usage_text, .tables = APP_ACL, .opts = opts, .args = &a, .query = &q,
		.build = ipf_build, .batch = run_batch, .answer = ipf_answer, .nic_of = ipf_nic,
	};

	return query_main(&cmd, argc, argv);
}
