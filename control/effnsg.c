/* nwsim list-effective-nsg and show-security-group-view: the rules that apply to a NIC, from the topology. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "cmds.h"
#include "jw.h"
#include "names.h"
#include "target.h"

static const char usage_text[] =
	"usage: nwsim list-effective-nsg -t TOPOLOGY --nic NIC [-o json|table]\n"
	"\n"
	"The effective security rules of a network interface: its subnet's NSG and its own, each with\n"
	"the six default rules, tags and application security groups expanded to prefixes, in the\n"
	"shape of Azure's effectiveNetworkSecurityGroups list.\n";

static void port_ranges(struct jw *w, const struct topo_ports *p)
{
	char buf[16];

	jw_arr(w);
	if (p->any) {
		jw_str(w, "0-65535");
	} else {
		for (size_t i = 0; i < p->n; i++) {
			snprintf(buf, sizeof(buf), "%u-%u", p->r[i].lo, p->r[i].hi);
			jw_str(w, buf);
		}
	}
	jw_end_arr(w);
}

static const char *single_port(const struct topo_ports *p, char *buf)
{
	if (p->any)
		return "0-65535";
	snprintf(buf, 16, "%u-%u", p->r[0].lo, p->r[0].hi);
	return buf;
}

/* Azure prints '*' as 0.0.0.0/0 in the effective view; tags stay by name. */
static const char *side_text(const struct topo *t, const struct topo_side *s)
{
	if (s->kind == TOPO_SIDE_ANY)
		return "0.0.0.0/0";
	if (s->kind == TOPO_SIDE_TAG)
		return topo_tag_name(t, s->tag);
	return s->text;
}

static void expanded(struct jw *w, const struct nsg_model *m, int vnet, const struct topo_side *s)
{
	char b[NWS_PREFIX_STRLEN];

	jw_arr(w);
	for (int f = 0; f < 2; f++) {
		struct nws_prefix *p;
		size_t n;

		if (nsg_side_prefixes(m, vnet, s, f ? NWS_AF6 : NWS_AF4, &p, &n) < 0)
			continue;
		for (size_t i = 0; i < n; i++)
			jw_str(w, nws_prefix_str(&p[i], b));
		free(p);
	}
	jw_end_arr(w);
}

static void side_json(struct jw *w, const struct nsg_model *m, int vnet, const struct topo_side *s,
		      const char *one, const char *many, const char *exp)
{
	const char *txt = side_text(m->t, s);

	if (s->kind != TOPO_SIDE_ASG && !s->texts) {
		jw_key(w, one);
		jw_str(w, txt);
	}
	if (s->kind != TOPO_SIDE_ASG) {
		jw_key(w, many);
		jw_arr(w);
		if (s->texts)
			for (size_t i = 0; i < s->ntexts; i++)
				jw_str(w, s->texts[i]);
		else
			jw_str(w, txt);
		jw_end_arr(w);
	}
	if (s->kind == TOPO_SIDE_TAG || s->kind == TOPO_SIDE_ASG) {
		jw_key(w, exp);
		expanded(w, m, vnet, s);
	}
}

static const char *proto_text(int proto)
{
	char b[8];

	return proto == AZ_PROTO_ANY ? "All" : az_proto_name(proto, b);
}

static void rule_json(struct jw *w, const struct nsg_model *m, int vnet, const struct topo_rule *r)
{
	char name[256], b1[16], b2[16];

	jw_obj(w);
	jw_key(w, "name");
	jw_str(w, names_rule(r, name, sizeof(name)));
	jw_key(w, "protocol");
	jw_str(w, proto_text(r->proto));
	if (!r->sport.plural) {
		jw_key(w, "sourcePortRange");
		jw_str(w, single_port(&r->sport, b1));
	}
	if (!r->dport.plural) {
		jw_key(w, "destinationPortRange");
		jw_str(w, single_port(&r->dport, b2));
	}
	jw_key(w, "sourcePortRanges");
	port_ranges(w, &r->sport);
	jw_key(w, "destinationPortRanges");
	port_ranges(w, &r->dport);
	side_json(w, m, vnet, &r->src, "sourceAddressPrefix", "sourceAddressPrefixes", "expandedSourceAddressPrefix");
	side_json(w, m, vnet, &r->dst, "destinationAddressPrefix", "destinationAddressPrefixes",
		  "expandedDestinationAddressPrefix");
	jw_key(w, "access");
	jw_str(w, az_access_name[r->access]);
	jw_key(w, "priority");
	jw_int(w, r->priority);
	jw_key(w, "direction");
	jw_str(w, az_dir_name[r->dir]);
	jw_end_obj(w);
}

/* Rules in evaluation order: inbound then outbound, each by priority. */
static void rules_json(struct jw *w, const struct nsg_model *m, int inst)
{
	const struct topo_nsg *g = &m->t->nsgs[m->inst[inst].nsg];

	jw_arr(w);
	for (int d = 0; d < AZ_NDIR; d++)
		for (size_t i = 0; i < g->norder[d]; i++)
			rule_json(w, m, m->inst[inst].vnet, g->order[d][i]);
	jw_end_arr(w);
}

static void tagmap_json(struct jw *w, const struct nsg_model *m, int inst)
{
	const struct topo_nsg *g = &m->t->nsgs[m->inst[inst].nsg];
	size_t ntags = AZ_TAG_BUILTIN_COUNT + m->t->ntags;
	bool *seen = calloc(ntags, sizeof(bool));

	jw_obj(w);
	for (size_t i = 0; seen && i < g->nrules; i++) {
		const struct topo_side *sides[2] = { &g->rules[i].src, &g->rules[i].dst };

		for (int s = 0; s < 2; s++) {
			if (sides[s]->kind != TOPO_SIDE_TAG || seen[sides[s]->tag])
				continue;
			seen[sides[s]->tag] = true;
			jw_key(w, topo_tag_name(m->t, sides[s]->tag));
			expanded(w, m, m->inst[inst].vnet, sides[s]);
		}
	}
	jw_end_obj(w);
	free(seen);
}

static void assoc_json(struct jw *w, const char *kind, const char *id)
{
	jw_key(w, "association");
	jw_obj(w);
	jw_key(w, kind);
	jw_obj(w);
	jw_key(w, "id");
	jw_str(w, id);
	jw_end_obj(w);
	jw_end_obj(w);
}

/* A side in one table cell: the text as written, the first prefix of a list, or the ASG names. */
static const char *cell(const struct topo *t, const struct topo_side *s, char *buf, size_t len)
{
	if (s->kind == TOPO_SIDE_ASG) {
		snprintf(buf, len, "%s%s", t->asgs[s->asgs[0]].name, s->nasgs > 1 ? ",..." : "");
		return buf;
	}
	if (s->texts) {
		snprintf(buf, len, "%s%s", s->texts[0], s->ntexts > 1 ? ",..." : "");
		return buf;
	}
	return side_text(t, s);
}

/* One rule as a table row: its cells as text. */
struct row {
	char name[256], src[96], sport[96], dst[96], dport[96];
};

static void row_of(const struct topo *t, const struct topo_rule *r, struct row *w)
{
	char b[16], c[96];

	names_rule(r, w->name, sizeof(w->name));
	/* cell may answer with a constant rather than fill its buffer */
	snprintf(w->src, sizeof(w->src), "%s", cell(t, &r->src, c, sizeof(c)));
	snprintf(w->dst, sizeof(w->dst), "%s", cell(t, &r->dst, c, sizeof(c)));
	/* Port lists as written, comma-separated, so nothing is hidden. */
	w->sport[0] = w->dport[0] = 0;
	for (size_t k = 0; r->sport.plural && k < r->sport.ntext; k++)
		snprintf(w->sport + strlen(w->sport), sizeof(w->sport) - strlen(w->sport), "%s%s", k ? "," : "", r->sport.text[k]);
	for (size_t k = 0; r->dport.plural && k < r->dport.ntext; k++)
		snprintf(w->dport + strlen(w->dport), sizeof(w->dport) - strlen(w->dport), "%s%s", k ? "," : "", r->dport.text[k]);
	if (!r->sport.plural)
		snprintf(w->sport, sizeof(w->sport), "%s", single_port(&r->sport, b));
	if (!r->dport.plural)
		snprintf(w->dport, sizeof(w->dport), "%s", single_port(&r->dport, b));
}

/* The widths of the columns whose text varies, at least their headings': they stay aligned. */
struct widths {
	int nsg, name, src, sport, dst;
};

static int wider(int w, const char *s)
{
	int n = (int)strlen(s);

	return n > w ? n : w;
}

static void table_head(const struct widths *wd)
{
	printf("%-*s %-*s %-9s %8s %-6s %-5s %-*s %-*s %-*s %s\n", wd->nsg, "NSG", wd->name, "Name", "Direction", "Priority",
	       "Access", "Proto", wd->src, "Source", wd->sport, "SourcePorts", wd->dst, "Destination", "DestinationPorts");
}

static void table_rules(const struct nsg_model *m, int inst, const struct widths *wd, struct widths *measure)
{
	const struct topo *t = m->t;
	const struct topo_nsg *g = &t->nsgs[m->inst[inst].nsg];

	for (int d = 0; d < AZ_NDIR; d++)
		for (size_t i = 0; i < g->norder[d]; i++) {
			const struct topo_rule *r = g->order[d][i];
			struct row w;

			row_of(t, r, &w);
			if (measure) {
				measure->nsg = wider(measure->nsg, g->name);
				measure->name = wider(measure->name, w.name);
				measure->src = wider(measure->src, w.src);
				measure->sport = wider(measure->sport, w.sport);
				measure->dst = wider(measure->dst, w.dst);
				continue;
			}
			printf("%-*s %-*s %-9s %8d %-6s %-5s %-*s %-*s %-*s %s\n", wd->nsg, g->name, wd->name, w.name, az_dir_name[r->dir],
			       r->priority, az_access_name[r->access], proto_text(r->proto), wd->src, w.src, wd->sport, w.sport, wd->dst,
			       w.dst, w.dport);
		}
}

int cmd_list_effective_nsg(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct app app;
	int nic, rc = query_open_nic(&app, "list-effective-nsg", usage_text, argc, argv, &c, &nic);

	if (rc >= 0)
		return rc;
	const struct topo_nic *n = &app.t->nics[nic];
	int sub = n->ipcfgs[0].subnet;
	struct {
		int inst;
		const char *kind, *id;
	} entries[2];
	int ne = 0;

	if (app.m.subnet_inst[sub] >= 0)
		entries[ne++] = (typeof(entries[0])){ app.m.subnet_inst[sub], "subnet", app.t->subnets[sub].id };
	if (app.m.nic_inst[nic] >= 0)
		entries[ne++] = (typeof(entries[0])){ app.m.nic_inst[nic], "networkInterface", n->id };

	if (cli_table(&c)) {
		struct widths wd = { 16, 52, 20, 12, 20 };

		for (int i = 0; i < ne; i++)
			table_rules(&app.m, entries[i].inst, NULL, &wd);
		table_head(&wd);
		for (int i = 0; i < ne; i++)
			table_rules(&app.m, entries[i].inst, &wd, NULL);
	} else {
		struct jw w;

		jw_init(&w, stdout, true);
		jw_obj(&w);
		jw_key(&w, "value");
		jw_arr(&w);
		for (int i = 0; i < ne; i++) {
			jw_obj(&w);
			assoc_json(&w, entries[i].kind, entries[i].id);
			jw_key(&w, "effectiveSecurityRules");
			rules_json(&w, &app.m, entries[i].inst);
			jw_key(&w, "networkSecurityGroup");
			jw_obj(&w);
			jw_key(&w, "id");
			jw_str(&w, app.t->nsgs[app.m.inst[entries[i].inst].nsg].id);
			jw_end_obj(&w);
			jw_key(&w, "tagMap");
			tagmap_json(&w, &app.m, entries[i].inst);
			jw_end_obj(&w);
		}
		jw_end_arr(&w);
		jw_end_obj(&w);
		jw_done(&w);
	}
	app_close(&app);
	return CLI_OK;
}

/* ---- show-security-group-view ------------------------------------------------------------------ */

static const char sgview_usage[] =
	"usage: nwsim show-security-group-view -t TOPOLOGY --vm VM [-o json|table]\n"
	"\n"
	"Security group view (az network watcher show-security-group-view): for each network interface\n"
	"of the VM, the rules of the NSG on the NIC (networkInterfaceAssociation) and on its subnet\n"
	"(subnetAssociation) as configured, the six default rules, and the effective rules (subnet's\n"
	"NSG then NIC's, each in evaluation order, tags expanded as list-effective-nsg shows them).\n";

/* A side as the rule was written: one value, a list, or application security groups. */
static void side_written(struct jw *w, const struct topo *t, const struct topo_side *s, const char *one, const char *many,
			 const char *asgs)
{
	if (s->kind == TOPO_SIDE_ASG) {
		jw_key(w, asgs);
		jw_arr(w);
		for (size_t i = 0; i < s->nasgs; i++) {
			jw_obj(w);
			jw_kstr(w, "id", t->asgs[s->asgs[i]].id);
			jw_end_obj(w);
		}
		jw_end_arr(w);
	} else if (s->texts) {
		jw_key(w, many);
		jw_arr(w);
		for (size_t i = 0; i < s->ntexts; i++)
			jw_str(w, s->texts[i]);
		jw_end_arr(w);
	} else {
		jw_kstr(w, one, s->kind == TOPO_SIDE_ANY ? "*" : s->kind == TOPO_SIDE_TAG ? topo_tag_name(t, s->tag) : s->text);
	}
}

static void ports_written(struct jw *w, const struct topo_ports *p, const char *one, const char *many)
{
	if (p->plural) {
		jw_key(w, many);
		jw_arr(w);
		for (size_t i = 0; i < p->ntext; i++)
			jw_str(w, p->text[i]);
		jw_end_arr(w);
	} else {
		jw_kstr(w, one, p->any || !p->ntext ? "*" : p->text[0]);
	}
}

/* A rule as the NSG holds it: name, id, properties as written. */
static void configured_json(struct jw *w, const struct topo *t, const struct topo_nsg *g, const struct topo_rule *r)
{
	char id[1024], pb[8];

	snprintf(id, sizeof(id), "%s/%s/%s", g->id, r->is_default ? "defaultSecurityRules" : "securityRules", r->name);
	jw_obj(w);
	jw_kstr(w, "name", r->name);
	jw_kstr(w, "id", id);
	jw_key(w, "properties");
	jw_obj(w);
	jw_kstr(w, "provisioningState", "Succeeded");
	if (r->description)
		jw_kstr(w, "description", r->description);
	jw_kstr(w, "protocol", r->proto == AZ_PROTO_ANY ? "*" : az_proto_name(r->proto, pb));
	ports_written(w, &r->sport, "sourcePortRange", "sourcePortRanges");
	ports_written(w, &r->dport, "destinationPortRange", "destinationPortRanges");
	side_written(w, t, &r->src, "sourceAddressPrefix", "sourceAddressPrefixes", "sourceApplicationSecurityGroups");
	side_written(w, t, &r->dst, "destinationAddressPrefix", "destinationAddressPrefixes",
		     "destinationApplicationSecurityGroups");
	jw_kstr(w, "access", az_access_name[r->access]);
	jw_kint(w, "priority", r->priority);
	jw_kstr(w, "direction", az_dir_name[r->dir]);
	jw_end_obj(w);
	jw_end_obj(w);
}

/* The user rules (defaults false) or the default rules of NSG g, as written. */
static void configured_list(struct jw *w, const struct topo *t, const struct topo_nsg *g, bool defaults)
{
	jw_arr(w);
	for (size_t i = 0; i < g->nrules; i++)
		if (g->rules[i].is_default == defaults)
			configured_json(w, t, g, &g->rules[i]);
	jw_end_arr(w);
}

static void association_json(struct jw *w, const struct topo *t, const char *key, const char *id, const struct topo_nsg *g)
{
	jw_key(w, key);
	jw_obj(w);
	jw_kstr(w, "id", id);
	jw_key(w, "securityRules");
	configured_list(w, t, g, false);
	jw_end_obj(w);
}

static void sgview_nic_json(struct jw *w, const struct nsg_model *m, int nic)
{
	const struct topo *t = m->t;
	const struct topo_nic *n = &t->nics[nic];
	const struct topo_subnet *sn = &t->subnets[n->ipcfgs[0].subnet];
	int sinst = m->subnet_inst[n->ipcfgs[0].subnet], ninst = m->nic_inst[nic];

	jw_obj(w);
	jw_kstr(w, "id", n->id);
	jw_key(w, "securityRuleAssociations");
	jw_obj(w);
	if (ninst >= 0)
		association_json(w, t, "networkInterfaceAssociation", n->id, &t->nsgs[m->inst[ninst].nsg]);
	if (sinst >= 0)
		association_json(w, t, "subnetAssociation", sn->id, &t->nsgs[m->inst[sinst].nsg]);
	/* The six defaults are the same in every NSG: those of the NIC's, else the subnet's. */
	if (ninst >= 0 || sinst >= 0) {
		jw_key(w, "defaultSecurityRules");
		configured_list(w, t, &t->nsgs[m->inst[ninst >= 0 ? ninst : sinst].nsg], true);
	}
	jw_key(w, "effectiveSecurityRules");
	jw_arr(w);
	for (int k = 0; k < 2; k++) {
		int inst = k == 0 ? sinst : ninst;
		const struct topo_nsg *g = inst >= 0 ? &t->nsgs[m->inst[inst].nsg] : NULL;

		for (int d = 0; g && d < AZ_NDIR; d++)
			for (size_t i = 0; i < g->norder[d]; i++)
				rule_json(w, m, m->inst[inst].vnet, g->order[d][i]);
	}
	jw_end_arr(w);
	jw_end_obj(w);
	jw_end_obj(w);
}

int cmd_show_security_group_view(int argc, char **argv)
{
	struct cli_common c = { 0 };
	const char *vmname = NULL;
	const struct cli_opt opts[] = { { "--vm", 0, &vmname, NULL, NULL }, { NULL, 0, NULL, NULL, NULL } };
	struct nws_err err = { { 0 } };
	struct app app;
	int rc, vm;

	memset(&app, 0, sizeof(app));
	if (cli_parse(argc, argv, opts, &c, NULL, NULL, &err) < 0 || cli_check_output(&c, CLI_FORMATS_REPORT, &err) < 0) {
		nws_err_prefix(&err, "show-security-group-view: ");
		return cli_die(CLI_USAGE, &err);
	}
	if (c.help) {
		fputs(sgview_usage, stdout);
		return CLI_OK;
	}
	if (!vmname) {
		nws_err_set(&err, "show-security-group-view: --vm is required");
		return cli_die(CLI_USAGE, &err);
	}
	rc = app_open(&app, &c, &err);
	if (rc != CLI_OK) {
		app_close(&app);
		return cli_die(rc, &err);
	}
	vm = target_vm(app.t, vmname, &err);
	if (vm < 0) {
		nws_err_prefix(&err, "show-security-group-view: ");
		app_close(&app);
		return cli_die(CLI_USAGE, &err);
	}
	const struct topo_vm *v = &app.t->vms[vm];

	if (cli_table(&c)) {
		struct widths wd = { 16, 52, 20, 12, 20 };

		/* One width for every NIC's table: measured over all of them first. */
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = v->first_nic; i < v->first_nic + v->nnics; i++) {
				int inst[2] = { app.m.subnet_inst[app.t->nics[i].ipcfgs[0].subnet], app.m.nic_inst[i] };

				if (pass) {
					printf("%s%s\n", i > v->first_nic ? "\n" : "", app.t->nics[i].name);
					table_head(&wd);
				}
				for (int k = 0; k < 2; k++)
					if (inst[k] >= 0)
						table_rules(&app.m, inst[k], pass ? &wd : NULL, pass ? NULL : &wd);
			}
	} else {
		struct jw w;

		jw_init(&w, stdout, true);
		jw_obj(&w);
		jw_key(&w, "networkInterfaces");
		jw_arr(&w);
		for (size_t i = v->first_nic; i < v->first_nic + v->nnics; i++)
			sgview_nic_json(&w, &app.m, (int)i);
		jw_end_arr(&w);
		jw_end_obj(&w);
		jw_done(&w);
	}
	app_close(&app);
	return CLI_OK;
}
