/*
 * nwsim run-configuration-diagnostic: az network watcher run-configuration-diagnostic (NSG
 * diagnostics). Each profile (direction, protocol, source, destination, destination port) is a
 * set of flows: source and destination an address, a prefix or '*', the port one, a range or '*'.
 * For each NSG the traffic of the VM's NIC meets, in order (subnet then NIC inbound, NIC then
 * subnet outbound), the rule that decides is the first in evaluation order that matches some
 * flow of the set (rules/nsg_set.c, exact), and every rule examined up to it is listed with which
 * of its fields the set meets. The answer is the REST response's shape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cmds.h"
#include "jw.h"
#include "names.h"
#include "nsg_set.h"
#include "target.h"

static const char usage_text[] =
	"usage: nwsim run-configuration-diagnostic -t TOPOLOGY (--vm VM [--nic NIC] | --nic NIC)\n"
	"             (--direction Inbound|Outbound --protocol TCP|UDP|ICMP|* --source ADDR\n"
	"              --destination ADDR --destination-port PORT | --queries FILE) [-o json|table]\n"
	"\n"
	"NSG diagnostics: which rule of each NSG on the NIC's path decides a profile of traffic, and\n"
	"whether the traffic is allowed. ADDR is an address, a prefix (10.0.1.0/26) or '*'; PORT a\n"
	"port, a range (1000-2000) or '*'. A profile with prefixes, ranges or '*' is a set of flows:\n"
	"per NSG, the first rule that matches some of them decides, as Azure answers. --queries reads\n"
	"profiles from a JSON file: a list of {direction, protocol, source, destination,\n"
	"destinationPort} (az's --queries), or {\"profiles\": [...]} as the REST request has them.\n"
	"'-' reads standard input. Every NSG the traffic meets is listed, also after one that denies.\n";

struct profile {
	const char *dir, *proto, *src, *dst, *port; /* as given, echoed in the answer */
	enum az_dir d;
	struct nsg_flowset set;
};

/* "*", an address, or a prefix. */
static int parse_addr(const char *s, struct nws_prefix *p, bool *any)
{
	*any = !strcmp(s, "*");
	if (*any)
		return 0;
	if (strchr(s, '/'))
		return nws_prefix_parse(s, p);
	if (nws_ip_parse(s, &p->ip) < 0)
		return -1;
	p->len = (uint8_t)nws_fam_bits(p->ip.fam);
	return 0;
}

static int parse_port(const char *s, uint16_t *lo, uint16_t *hi)
{
	unsigned a, b;
	char tail;

	if (!strcmp(s, "*")) {
		*lo = 0;
		*hi = 65535;
		return 0;
	}
	if (sscanf(s, "%u-%u%c", &a, &b, &tail) == 2 && a <= b && b <= 65535 && s[0] >= '0' && s[0] <= '9') {
		*lo = (uint16_t)a;
		*hi = (uint16_t)b;
		return 0;
	}
	if (sscanf(s, "%u%c", &a, &tail) == 1 && a <= 65535 && s[0] >= '0' && s[0] <= '9') {
		*lo = *hi = (uint16_t)a;
		return 0;
	}
	return -1;
}

/* A profile's text into its set of flows; where names the place for messages, cli its fields as options. */
static int parse_profile(struct profile *p, const char *where, bool cli, struct nws_err *err)
{
	static const struct {
		const char *n;
		int proto;
	} protos[] = { { "TCP", AZ_PROTO_TCP }, { "UDP", AZ_PROTO_UDP }, { "ICMP", AZ_PROTO_ICMP }, { "*", AZ_PROTO_ANY } };
	const char *need[] = { p->dir, p->proto, p->src, p->dst, p->port };
	const char *const json_names[] = { "direction", "protocol", "source", "destination", "destinationPort" };
	const char *const cli_names[] = { "direction", "protocol", "source", "destination", "destination-port" };
	const char *const *names = cli ? cli_names : json_names;
	bool sany, dany;
	int d = -1;

	for (size_t i = 0; i < 5; i++)
		if (!need[i])
			return nws_err_set(err, "%s%s is required", where, names[i]);
	d = az_dir_parse(p->dir);
	if (d < 0)
		return nws_err_set(err, "%s%s: '%s' is not Inbound or Outbound", where, names[0], p->dir);
	p->d = (enum az_dir)d;
	p->set.proto = -2;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcasecmp(p->proto, protos[i].n))
			p->set.proto = protos[i].proto;
	if (p->set.proto == -2)
		return nws_err_set(err, "%s%s: '%s' is not TCP, UDP, ICMP or *", where, names[1], p->proto);
	if (parse_addr(p->src, &p->set.src, &sany) < 0)
		return nws_err_set(err, "%s%s: '%s' is not an address, a prefix or *", where, names[2], p->src);
	if (parse_addr(p->dst, &p->set.dst, &dany) < 0)
		return nws_err_set(err, "%s%s: '%s' is not an address, a prefix or *", where, names[3], p->dst);
	if (!sany && !dany && p->set.src.ip.fam != p->set.dst.ip.fam)
		return nws_err_set(err, "%s%s: %s and %s %s are not the same IP version", where, names[3], p->dst, cli ? "--source" : "source", p->src);
	/* '*' is every address of the other side's family (IPv4 when both are '*'). */
	uint8_t fam = !sany ? p->set.src.ip.fam : !dany ? p->set.dst.ip.fam : NWS_AF4;

	if (sany)
		p->set.src = (struct nws_prefix){ .ip = { .fam = fam } };
	if (dany)
		p->set.dst = (struct nws_prefix){ .ip = { .fam = fam } };
	if (parse_port(p->port, &p->set.dport_lo, &p->set.dport_hi) < 0)
		return nws_err_set(err, "%s%s: '%s' is not a port, a range (LOW-HIGH) or *", where, names[4], p->port);
	/* A profile names no source port: every one. */
	p->set.sport_lo = 0;
	p->set.sport_hi = 65535;
	return 0;
}

static const char *str_field(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* --queries: the profiles of a JSON file. */
static int read_queries(const char *path, cJSON **root, struct profile **out, size_t *n, struct nws_err *err)
{
	size_t len;
	const char *shown;
	char *buf = topo_read_file(path, &len, &shown, err);

	if (!buf)
		return -1;
	*root = cJSON_ParseWithLength(buf, len);
	free(buf);
	if (!*root)
		return nws_err_set(err, "%s: not valid JSON", shown);
	const cJSON *list = cJSON_IsObject(*root) ? cJSON_GetObjectItemCaseSensitive(*root, "profiles") : *root;

	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
		return nws_err_set(err, "%s: not a list of profiles (nor {\"profiles\": [...]})", shown);
	*n = (size_t)cJSON_GetArraySize(list);
	*out = calloc(*n, sizeof(**out));
	if (!*out)
		return nws_err_set(err, "out of memory");
	size_t i = 0;
	const cJSON *e;

	cJSON_ArrayForEach(e, list) {
		char where[256];
		struct profile *p = &(*out)[i];

		snprintf(where, sizeof(where), "%s: %s[%zu]: ", shown, list == *root ? "" : "profiles", i);
		if (!cJSON_IsObject(e)) {
			where[strlen(where) - 2] = 0;
			return nws_err_set(err, "%s: not an object", where);
		}
		*p = (struct profile){ .dir = str_field(e, "direction"), .proto = str_field(e, "protocol"), .src = str_field(e, "source"),
				       .dst = str_field(e, "destination"), .port = str_field(e, "destinationPort") };
		snprintf(where + strlen(where) - 2, sizeof(where) - strlen(where) + 2, ".");
		if (parse_profile(p, where, false, err) < 0)
			return -1;
		i++;
	}
	return 0;
}

/* One NSG's evaluation: the rules examined up to the one that decides. */
struct evaluated {
	int inst;
	enum nsg_level lvl;
	const struct topo_rule *matched;
};

static int evaluate(const struct nsg_model *m, int nic, const struct profile *p, struct evaluated ev[2], int *n)
{
	int inst[2];
	enum nsg_level lvl[2];

	*n = nsg_levels(m, nic, 0, p->d, inst, lvl);
	for (int i = 0; i < *n; i++) {
		ev[i] = (struct evaluated){ .inst = inst[i], .lvl = lvl[i], .matched = nsg_set_eval(m, inst[i], p->d, &p->set) };
		if (!ev[i].matched)
			return -1;
	}
	return 0;
}

static bool allowed(const struct evaluated *ev, int n)
{
	for (int i = 0; i < n; i++)
		if (ev[i].matched->access == AZ_DENY)
			return false;
	return true;
}

static int json_nsg(struct jw *w, const struct nsg_model *m, int nic, const struct profile *p, const struct evaluated *e)
{
	const struct topo *t = m->t;
	const struct topo_nsg *g = &t->nsgs[m->inst[e->inst].nsg];
	char name[300];

	jw_obj(w);
	jw_kstr(w, "networkSecurityGroupId", g->id);
	jw_kstr(w, "appliedTo", e->lvl == NSG_LEVEL_SUBNET ? t->subnets[t->nics[nic].ipcfgs[0].subnet].id : t->nics[nic].id);
	jw_key(w, "matchedRule");
	jw_obj(w);
	names_logged_rule(e->matched, name, sizeof(name));
	jw_kstr(w, "ruleName", name);
	jw_kstr(w, "action", az_access_name[e->matched->access]);
	jw_end_obj(w);
	jw_key(w, "rulesEvaluationResult");
	jw_arr(w);
	for (size_t i = 0; i < g->norder[p->d]; i++) {
		const struct topo_rule *r = g->order[p->d][i];
		struct nsg_set_fields f;

		if (nsg_set_rule_matches(m, m->inst[e->inst].vnet, r, &p->set, &f) < 0)
			return -1;
		names_logged_rule(r, name, sizeof(name));
		jw_obj(w);
		jw_kstr(w, "name", name);
		jw_key(w, "protocolMatched");
		jw_bool(w, f.proto);
		jw_key(w, "sourceMatched");
		jw_bool(w, f.src);
		jw_key(w, "sourcePortMatched");
		jw_bool(w, f.sport);
		jw_key(w, "destinationMatched");
		jw_bool(w, f.dst);
		jw_key(w, "destinationPortMatched");
		jw_bool(w, f.dport);
		jw_end_obj(w);
		if (r == e->matched)
			break;
	}
	jw_end_arr(w);
	jw_end_obj(w);
	return 0;
}

static int answer_json(const struct nsg_model *m, int nic, const struct profile *ps, size_t n)
{
	struct jw w;

	jw_init(&w, stdout, true);
	jw_obj(&w);
	jw_key(&w, "results");
	jw_arr(&w);
	for (size_t k = 0; k < n; k++) {
		const struct profile *p = &ps[k];
		struct evaluated ev[2];
		int nev;

		if (evaluate(m, nic, p, ev, &nev) < 0)
			return -1;
		jw_obj(&w);
		jw_key(&w, "profile");
		jw_obj(&w);
		jw_kstr(&w, "direction", p->dir);
		jw_kstr(&w, "protocol", p->proto);
		jw_kstr(&w, "source", p->src);
		jw_kstr(&w, "destination", p->dst);
		jw_kstr(&w, "destinationPort", p->port);
		jw_end_obj(&w);
		jw_key(&w, "networkSecurityGroupResult");
		jw_obj(&w);
		jw_kstr(&w, "securityRuleAccessResult", allowed(ev, nev) ? "Allow" : "Deny");
		jw_key(&w, "evaluatedNetworkSecurityGroups");
		jw_arr(&w);
		for (int i = 0; i < nev; i++)
			if (json_nsg(&w, m, nic, p, &ev[i]) < 0)
				return -1;
		jw_end_arr(&w);
		jw_end_obj(&w);
		jw_end_obj(&w);
	}
	jw_end_arr(&w);
	jw_end_obj(&w);
	jw_done(&w);
	return 0;
}

static int answer_table(const struct nsg_model *m, int nic, const struct profile *ps, size_t n)
{
	const struct topo *t = m->t;

	printf("%-7s  %-9s  %-8s  %-20s  %-20s  %-11s  %-6s  %-9s  %-20s  %s\n", "Profile", "Direction", "Protocol", "Source",
	       "Destination", "Port", "Access", "AppliedTo", "NSG", "MatchedRule");
	for (size_t k = 0; k < n; k++) {
		const struct profile *p = &ps[k];
		struct evaluated ev[2];
		int nev;
		char name[300];

		if (evaluate(m, nic, p, ev, &nev) < 0)
			return -1;
		printf("%-7zu  %-9s  %-8s  %-20s  %-20s  %-11s  %-6s", k + 1, p->dir, p->proto, p->src, p->dst, p->port,
		       allowed(ev, nev) ? "Allow" : "Deny");
		if (!nev)
			printf("  (no NSG)\n");
		for (int i = 0; i < nev; i++) {
			names_logged_rule(ev[i].matched, name, sizeof(name));
			if (i)
				printf("%-7s  %-9s  %-8s  %-20s  %-20s  %-11s  %-6s", "", "", "", "", "", "", "");
			printf("  %-9s  %-20s  %s (%s)\n", ev[i].lvl == NSG_LEVEL_SUBNET ? "subnet" : "nic",
			       t->nsgs[m->inst[ev[i].inst].nsg].name, name, az_access_name[ev[i].matched->access]);
		}
	}
	return 0;
}

/* The NIC whose NSGs judge the traffic: --nic, or the VM's primary one. */
static int pick_nic(const struct topo *t, const char *vm_name, const char *nic_name, struct nws_err *err)
{
	int vm = -1, nic = -1;

	if (!vm_name && !nic_name)
		return nws_err_set(err, "--vm or --nic is required");
	if (vm_name && (vm = target_vm(t, vm_name, err)) < 0)
		return -1;
	if (nic_name) {
		nic = topo_find_nic(t, nic_name);
		if (nic < 0)
			return nws_err_set(err, "--nic: no network interface '%s' in %s", nic_name, t->file);
		if (vm >= 0 && t->nics[nic].vm != vm)
			return nws_err_set(err, "--nic: virtual machine '%s' has no network interface '%s'", vm_name, nic_name);
		return nic;
	}
	return (int)t->vms[vm].first_nic;
}

int cmd_run_configuration_diagnostic(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct profile one = { 0 }, *ps = &one;
	const char *vm = NULL, *nic = NULL, *queries = NULL;
	const struct cli_opt opts[] = {
		{ "--vm", 0, &vm, NULL, NULL },
		{ "--nic", 0, &nic, NULL, NULL },
		{ "--direction", 0, &one.dir, NULL, NULL },
		{ "--protocol", 0, &one.proto, NULL, NULL },
		{ "--source", 0, &one.src, NULL, NULL },
		{ "--destination", 0, &one.dst, NULL, NULL },
		{ "--destination-port", 0, &one.port, NULL, NULL },
		{ "--queries", 0, &queries, NULL, NULL },
		{ NULL, 0, NULL, NULL, NULL },
	};
	struct nws_err err = { { 0 } };
	struct topo *t = NULL;
	struct nsg_model m;
	bool have_model = false;
	cJSON *root = NULL;
	size_t n = 1;
	int rc = CLI_USAGE, k;

	if (cli_parse(argc, argv, opts, &c, NULL, NULL, &err) < 0 || cli_check_output(&c, CLI_FORMATS_REPORT, &err) < 0)
		goto out;
	if (c.help) {
		fputs(usage_text, stdout);
		return CLI_OK;
	}
	if (queries && (one.dir || one.proto || one.src || one.dst || one.port)) {
		nws_err_set(&err, "--queries gives the profiles: drop --direction, --protocol, --source, --destination, --destination-port");
		goto out;
	}
	if (!c.topology) {
		nws_err_set(&err, "-t/--topology FILE is required");
		goto out;
	}
	if (!queries && parse_profile(&one, "--", true, &err) < 0)
		goto out;
	if (cli_topology_args(&c, &err) < 0)
		goto out;
	rc = CLI_INPUT;
	if (queries && read_queries(queries, &root, &ps, &n, &err) < 0)
		goto out;
	if (!(t = cli_load_topology(&c, &err)))
		goto out;
	rc = CLI_USAGE;
	if ((k = pick_nic(t, vm, nic, &err)) < 0)
		goto out;
	rc = CLI_FAIL;
	if (nsg_model_build(&m, t, &err) < 0)
		goto out;
	have_model = true;
	if ((cli_table(&c) ? answer_table(&m, k, ps, n) : answer_json(&m, k, ps, n)) < 0) {
		nws_err_set(&err, "out of memory");
		goto out;
	}
	rc = CLI_OK;
out:
	if (have_model)
		nsg_model_free(&m);
	topo_free(t);
	if (ps != &one)
		free(ps);
	cJSON_Delete(root);
	/* Usage errors name the command; input errors start with the file, as every command's do. */
	if (rc == CLI_USAGE)
		nws_err_prefix(&err, "run-configuration-diagnostic: ");
	return rc == CLI_OK ? rc : cli_die(rc, &err);
}
