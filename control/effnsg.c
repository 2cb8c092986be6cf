/* nwsim list-effective-nsg: az network nic list-effective-nsg, from the topology. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "cmds.h"
#include "jw.h"
#include "names.h"

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

static void table_rules(const struct nsg_model *m, int inst)
{
	const struct topo *t = m->t;
	const struct topo_nsg *g = &t->nsgs[m->inst[inst].nsg];

	for (int d = 0; d < AZ_NDIR; d++)
		for (size_t i = 0; i < g->norder[d]; i++) {
			const struct topo_rule *r = g->order[d][i];
			char name[256], b1[16], b2[16], c1[96], c2[96], p1[96] = "", p2[96] = "";

			/* Port lists as written, comma-separated, so nothing is hidden. */
			for (size_t k = 0; r->sport.plural && k < r->sport.ntext; k++)
				snprintf(p1 + strlen(p1), sizeof(p1) - strlen(p1), "%s%s", k ? "," : "", r->sport.text[k]);
			for (size_t k = 0; r->dport.plural && k < r->dport.ntext; k++)
				snprintf(p2 + strlen(p2), sizeof(p2) - strlen(p2), "%s%s", k ? "," : "", r->dport.text[k]);
			printf("%-16s %-52s %-9s %8d %-6s %-5s %-20s %-12s %-20s %s\n", g->name,
			       names_rule(r, name, sizeof(name)), az_dir_name[r->dir], r->priority, az_access_name[r->access],
			       proto_text(r->proto), cell(t, &r->src, c1, sizeof(c1)),
			       r->sport.plural ? p1 : single_port(&r->sport, b1), cell(t, &r->dst, c2, sizeof(c2)),
			       r->dport.plural ? p2 : single_port(&r->dport, b2));
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
		printf("%-16s %-52s %-9s %8s %-6s %-5s %-20s %-12s %-20s %s\n", "NSG", "Name", "Direction", "Priority",
		       "Access", "Proto", "Source", "SourcePorts", "Destination", "DestinationPorts");
		for (int i = 0; i < ne; i++)
			table_rules(&app.m, entries[i].inst);
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
