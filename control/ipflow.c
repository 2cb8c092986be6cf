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

static const char usage_text[] =
	"usage: nwsim test-ip-flow -t TOPOLOGY --vm VM [--nic NIC] --direction Inbound|Outbound\n"
	"                          --protocol TCP|UDP|ICMP|ESP|AH --local IP[:PORT] --remote IP[:PORT]\n"
	"                          [-o json|table] [-v] [-- EAL-OPTIONS]\n"
	"       nwsim test-ip-flow -t TOPOLOGY --batch FILE [-o json|table]\n"
	"\n"
	"Whether the NSGs of the VM's NIC (subnet NSG and NIC NSG) allow the flow, and the rule that\n"
	"decided. Local is the VM's side: the destination of Inbound traffic, the source of Outbound.\n"
	"IPv6 endpoints are written [addr]:port. --batch reads one query per line (the options above,\n"
	"without -t) and prints one JSON line per query; '-' reads standard input.\n";

struct ipf_args {
	const char *vm, *nic, *dir, *proto, *local, *remote;
};

#define IPF_OPTS(x)                                                                             \
	{ "--vm", 0, &(x)->vm, NULL }, { "--nic", 0, &(x)->nic, NULL },                         \
		{ "--direction", 0, &(x)->dir, NULL }, { "--protocol", 0, &(x)->proto, NULL },  \
		{ "--local", 0, &(x)->local, NULL }, { "--remote", 0, &(x)->remote, NULL }

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

/* "IP:PORT", "[IPv6]:PORT", or a bare address for protocols without ports. */
static int parse_endpoint(const char *opt, const char *s, bool ports, struct nws_ip *ip, uint16_t *port,
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
	if (!ports) {
		if (ps)
			return nws_err_set(err, "%s: ports apply only to TCP and UDP; give the address alone", opt);
		*port = 0;
		return 0;
	}
	if (!ps)
		return nws_err_set(err, "%s: '%s' needs a port (IP:PORT)", opt, s);
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
	int vm, nic = -1, d;

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
	vm = topo_find_vm(t, a->vm);
	if (vm < 0)
		return nws_err_set(err, "--vm: no virtual machine '%s' in %s", a->vm, t->file);
	d = az_dir_parse(a->dir);
	if (d < 0)
		return nws_err_set(err, "--direction: '%s' is not Inbound or Outbound", a->dir);
	if (parse_proto(a->proto, &q->flow.proto, &ports) < 0)
		return nws_err_set(err, "--protocol: '%s' is not TCP, UDP, ICMP, ESP or AH", a->proto);
	if (parse_endpoint("--local", a->local, ports, &local, &lport, err) < 0 ||
	    parse_endpoint("--remote", a->remote, ports, &remote, &rport, err) < 0)
		return -1;
	if (local.fam != remote.fam)
		return nws_err_set(err, "--remote: %s and --local %s are not the same IP version", a->remote, a->local);
	const struct topo_vm *v = &t->vms[vm];

	if (a->nic) {
		nic = topo_find_nic(t, a->nic);
		if (nic < 0 || t->nics[nic].vm != vm)
			return nws_err_set(err, "--nic: virtual machine '%s' has no network interface '%s'", v->name, a->nic);
	} else if (v->nnics > 1) {
		/* Azure's rule: with several NICs and IP forwarding on any, the NIC must be named. */
		for (size_t i = v->first_nic; i < v->first_nic + v->nnics; i++)
			if (t->nics[i].ip_forwarding)
				return nws_err_set(err, "--nic is required: '%s' has several network interfaces and IP forwarding is enabled on '%s'",
						   v->name, t->nics[i].name);
	}
	q->ipcfg = -1;
	for (size_t i = v->first_nic; i < v->first_nic + v->nnics && q->ipcfg < 0; i++) {
		if (nic >= 0 && (int)i != nic)
			continue;
		q->ipcfg = topo_find_ipcfg(t, (int)i, &local);
		q->nic = (int)i;
	}
	if (q->ipcfg < 0) {
		char b[NWS_IP_STRLEN];
		const struct topo_nic *n = &t->nics[nic >= 0 ? nic : (int)v->first_nic];

		return nws_err_set(err, "--local: %s is not an address of %s '%s' (it has %s)", a->local,
				   nic >= 0 ? "network interface" : "virtual machine", nic >= 0 ? n->name : v->name,
				   nws_ip_str(&n->ipcfgs[0].ip, b));
	}
	q->dir = (enum az_dir)d;
	q->flow.has_ports = ports;
	if (q->dir == AZ_INBOUND) {
		q->flow.src = remote;
		q->flow.sport = rport;
		q->flow.dst = local;
		q->flow.dport = lport;
	} else {
		q->flow.src = local;
		q->flow.sport = lport;
		q->flow.dst = remote;
		q->flow.dport = rport;
	}
	return 0;
}

static void print_json(struct jw *w, const struct nsg_verdict *v)
{
	char buf[256];
	const char *rn = names_verdict_rule(v, buf, sizeof(buf));

	jw_obj(w);
	jw_key(w, "access");
	jw_str(w, az_access_name[v->access]);
	jw_key(w, "ruleName");
	if (rn)
		jw_str(w, rn);
	else
		jw_null(w);
	jw_end_obj(w);
	jw_done(w);
}

static void print_table_head(void)
{
	printf("%-8s  %s\n%-8s  %s\n", "Access", "RuleName", "--------", "----------------------------------------");
}

static void print_table_row(const struct nsg_verdict *v)
{
	char buf[256];
	const char *rn = names_verdict_rule(v, buf, sizeof(buf));

	printf("%-8s  %s\n", az_access_name[v->access], rn ? rn : "");
}

/* Reads the whole batch first: a bad line stops the run before anything is printed. */
static int read_batch(const struct topo *t, const char *path, struct nsg_query **out, size_t *nout,
		      struct nws_err *err)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL;
	size_t cap = 0, n = 0, qcap = 0, lineno = 0;
	ssize_t len;
	struct nsg_query *q = NULL;
	int rc = -1;

	if (!f)
		return nws_err_set(err, "%s: cannot open: %s", path, strerror(errno));
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *tok[32];
		int ntok = 0;
		struct ipf_args a = { 0 };
		const struct cli_opt opts[] = { IPF_OPTS(&a), { NULL, 0, NULL, NULL } };

		lineno++;
		for (char *s = strtok(line, " \t\r\n"); s; s = strtok(NULL, " \t\r\n")) {
			if (ntok == 32) {
				nws_err_set(err, "%s: line %zu: too many words", path, lineno);
				goto out;
			}
			tok[ntok++] = s;
		}
		if (ntok == 0 || tok[0][0] == '#')
			continue;
		if (n == qcap) {
			qcap = qcap ? qcap * 2 : 1024;
			struct nsg_query *nq = realloc(q, qcap * sizeof(*q));

			if (!nq) {
				nws_err_set(err, "%s: out of memory at line %zu", path, lineno);
				goto out;
			}
			q = nq;
		}
		if (cli_parse(ntok, tok, opts, NULL, NULL, NULL, err) < 0 || build_query(t, &a, &q[n], err) < 0) {
			nws_err_prefix(err, "%s: line %zu: ", path, lineno);
			goto out;
		}
		n++;
	}
	if (ferror(f)) {
		nws_err_set(err, "%s: read error: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(line);
	if (f != stdin)
		fclose(f);
	if (rc < 0) {
		free(q);
		return rc;
	}
	*out = q;
	*nout = n;
	return 0;
}

int cmd_test_ip_flow(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct ipf_args a = { 0 };
	const char *batch = NULL;
	const struct cli_opt opts[] = { IPF_OPTS(&a), { "--batch", 0, &batch, NULL }, { NULL, 0, NULL, NULL } };
	struct nws_err err = { { 0 } };
	struct app app = { 0 };
	struct nsg_query *q = NULL, one;
	struct nsg_verdict *v = NULL, vone;
	size_t n = 0;
	int rc;

	if (cli_parse(argc, argv, opts, &c, NULL, NULL, &err) < 0 || cli_check_output(&c, &err) < 0) {
		nws_err_prefix(&err, "test-ip-flow: ");
		return cli_die(CLI_USAGE, &err);
	}
	if (c.help) {
		fputs(usage_text, stdout);
		return CLI_OK;
	}
	if (batch && (a.vm || a.nic || a.dir || a.proto || a.local || a.remote)) {
		nws_err_set(&err, "test-ip-flow: --batch takes its queries from the file; drop --vm, --local, ...");
		return cli_die(CLI_USAGE, &err);
	}
	/* Validate everything the user typed before paying for DPDK start-up. */
	rc = app_open(&app, &c, &err);
	if (rc != CLI_OK)
		goto out;
	if (batch) {
		if (read_batch(app.t, batch, &q, &n, &err) < 0) {
			rc = CLI_INPUT;
			goto out;
		}
	} else {
		if (build_query(app.t, &a, &one, &err) < 0) {
			nws_err_prefix(&err, "test-ip-flow: ");
			rc = CLI_USAGE;
			goto out;
		}
		q = &one;
		n = 1;
	}
	rc = app_compile(&app, &c, &err);
	if (rc != CLI_OK)
		goto out;
	v = n == 1 ? &vone : malloc(n * sizeof(*v));
	if (!v) {
		nws_err_set(&err, "out of memory for %zu answers", n);
		rc = CLI_FAIL;
		goto out;
	}
	dp_verify(&app.acl, &app.m, q, v, n);

	struct jw w;
	static char obuf[1 << 16];

	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	jw_init(&w, stdout, !batch);
	if (cli_table(&c))
		print_table_head();
	for (size_t i = 0; i < n; i++) {
		if (cli_table(&c))
			print_table_row(&v[i]);
		else
			print_json(&w, &v[i]);
	}
	fflush(stdout);
	rc = CLI_OK;
out:
	if (q != &one)
		free(q);
	if (v != &vone)
		free(v);
	app_close(&app);
	if (rc != CLI_OK)
		return cli_die(rc, &err);
	return rc;
}
