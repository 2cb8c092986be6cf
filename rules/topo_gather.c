/*
 * Input files made into one topology document. Every resource is taken into a flat list first
 * (from lists, templates, nwsim's own arrays), then joined: children into their parents, then
 * back-references (an NSG's subnets, a NIC's virtual machine) into the resources they name.
 * Where two places say different things about one resource, that is an error naming both: the
 * answer would otherwise depend on the order the files were given in.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm_expr.h"
#include "azure.h"
#include "topo_gather.h"

/* The resource types nwsim reads, where each goes in its own format, and their children. */
static const struct tg_type {
	const char *type;
	const char *key;        /* top-level array of nwsim's format; NULL for a child */
	const char *what;       /* for messages */
	int parent;             /* index of the parent's entry, -1 for none */
	const char *child_key;  /* the parent's array this child goes into */
} types[] = {
	{ "Microsoft.Network/virtualNetworks", "virtualNetworks", "virtual network", -1, NULL },
	{ "Microsoft.Network/virtualNetworks/subnets", NULL, "subnet", 0, "subnets" },
	{ "Microsoft.Network/virtualNetworks/virtualNetworkPeerings", NULL, "peering", 0, "virtualNetworkPeerings" },
	{ "Microsoft.Network/networkSecurityGroups", "networkSecurityGroups", "network security group", -1, NULL },
	{ "Microsoft.Network/networkSecurityGroups/securityRules", NULL, "security rule", 3, "securityRules" },
	{ "Microsoft.Network/routeTables", "routeTables", "route table", -1, NULL },
	{ "Microsoft.Network/routeTables/routes", NULL, "route", 5, "routes" },
	{ "Microsoft.Network/applicationSecurityGroups", "applicationSecurityGroups", "application security group", -1, NULL },
	{ "Microsoft.Network/networkInterfaces", "networkInterfaces", "network interface", -1, NULL },
	{ "Microsoft.Compute/virtualMachines", "virtualMachines", "virtual machine", -1, NULL },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))
enum { T_VNET, T_SUBNET, T_PEERING, T_NSG, T_RULE, T_RT, T_ROUTE, T_ASG, T_NIC, T_VM };

/* Types that carry traffic nwsim does not simulate: read, and named in a warning. */
static const char *const unmodelled[] = {
	"Microsoft.Network/loadBalancers", "Microsoft.Network/applicationGateways", "Microsoft.Network/azureFirewalls",
	"Microsoft.Network/natGateways", "Microsoft.Network/privateEndpoints",
	"Microsoft.Network/bastionHosts", "Microsoft.Network/virtualHubs", "Microsoft.Network/virtualWans",
	"Microsoft.Network/vpnGateways", "Microsoft.Network/expressRouteCircuits",
	"Microsoft.Network/firewallPolicies", "Microsoft.Network/privateLinkServices",
	"Microsoft.Network/networkVirtualAppliances", "Microsoft.Network/dnsResolvers", "Microsoft.Compute/virtualMachineScaleSets",
	"Microsoft.Network/virtualNetworks/subnets/serviceAssociationLinks",
};

/*
 * A virtual network gateway, the local networks it connects to and its public address are
 * separate resources in ARM, joined into the network's "gateway" once every file is in
 * (attach_gateways): a site-to-site connection's local network is then on-premises, routed
 * through the gateway.
 */
enum { X_VGW, X_LGW, X_CONN, X_PIP, NX };
static const char *const xtypes[NX] = {
	"Microsoft.Network/virtualNetworkGateways", "Microsoft.Network/localNetworkGateways", "Microsoft.Network/connections",
	"Microsoft.Network/publicIPAddresses",
};

/* What nwsim's own format has at the top level: a document with one of these is nwsim's. */
static const char *const own_keys[] = { "virtualNetworks", "networkSecurityGroups", "routeTables", "applicationSecurityGroups",
					"serviceTags", "virtualMachines", "networkInterfaces", "dns", "externalHosts", "latency" };

/* A resource read; in the gateways' list (g->x), t is an X_ kind and taken means joined. */
struct res {
	int t;            /* index into types */
	char *name;       /* "vnet/subnet" for a child */
	cJSON *obj;       /* owned */
	const char *file; /* borrowed from the caller */
	char *path;       /* where the file has it */
	bool taken;       /* placed into the document (or the same as one that was) */
	char *merged;     /* where it is in the document */
};

struct gather {
	const struct tg_opts *o;
	struct tg_result *out;
	struct nws_err *err;
	struct res *r;
	size_t n, cap;
	cJSON *arrays[NTYPES]; /* the document's top-level arrays, by type (NULL for children) */
	cJSON *tags, *dns, *hosts, *latency;
	cJSON *declared;        /* every template's parameter names: what --parameters may give */
	struct res *x;          /* gateways and what they join to (attach_gateways) */
	size_t nx, xcap;
	const char *template1;  /* the first template, named when it is the only one */
	size_t ntemplates;
	const char *latency_file;
	const char *sub, *rg, *loc;
};

static int oom(struct gather *g)
{
	return nws_err_set(g->err, "out of memory");
}

/* ---- small helpers ---------------------------------------------------------------------------- */

/* A field at the top of a resource or under "properties" (az prints the first, REST the second). */
static cJSON *prop(const cJSON *obj, const char *key)
{
	cJSON *v = cJSON_GetObjectItem(obj, key);

	if (!v || cJSON_IsNull(v)) {
		cJSON *p = cJSON_GetObjectItem(obj, "properties");

		v = cJSON_IsObject(p) ? cJSON_GetObjectItem(p, key) : NULL;
	}
	return v && !cJSON_IsNull(v) ? v : NULL;
}

static const char *str_of(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A reference's text: "name", {"id": "..."}. */
static const char *ref_of(const cJSON *v)
{
	if (cJSON_IsString(v))
		return v->valuestring;
	if (cJSON_IsObject(v))
		return str_of(v, "id");
	return NULL;
}

static const char *tail(const char *id)
{
	const char *s = strrchr(id, '/');

	return s ? s + 1 : id;
}

/* The name an id gives for a type segment: ".../virtualNetworks/V/subnets/S", "subnets" -> S. */
static bool id_segment(const char *id, const char *seg, char *out, size_t len)
{
	size_t sl = strlen(seg);

	for (const char *s = id; (s = strchr(s, '/')); s++)
		if (!strncasecmp(s + 1, seg, sl) && s[1 + sl] == '/') {
			const char *v = s + 2 + sl, *e = strchr(v, '/');
			size_t vl = e ? (size_t)(e - v) : strlen(v);

			if (vl >= len)
				return false;
			memcpy(out, v, vl);
			out[vl] = 0;
			return true;
		}
	return false;
}

static int xtype_of(const char *type)
{
	for (int i = 0; i < NX; i++)
		if (!strcasecmp(xtypes[i], type))
			return i;
	return -1;
}

static int type_of(const char *type)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (!strcasecmp(types[i].type, type))
			return (int)i;
	return -1;
}

static bool is_unmodelled(const char *type)
{
	for (size_t i = 0; i < sizeof(unmodelled) / sizeof(unmodelled[0]); i++)
		if (!strcasecmp(unmodelled[i], type))
			return true;
	return false;
}

static int warn(struct gather *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int warn(struct gather *g, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < g->out->nwarnings; i++)
		if (!strcmp(g->out->warnings[i], buf))
			return 0;
	char **w = realloc(g->out->warnings, (g->out->nwarnings + 1) * sizeof(*w));

	if (!w)
		return oom(g);
	g->out->warnings = w;
	if (!(w[g->out->nwarnings] = strdup(buf)))
		return oom(g);
	g->out->nwarnings++;
	return 0;
}

static int place(struct gather *g, const char *merged, const char *file, const char *path)
{
	struct tg_result *o = g->out;

	if (o->nplaces == o->cap) {
		size_t c = o->cap ? o->cap * 2 : 64;
		struct tg_place *p = realloc(o->places, c * sizeof(*p));

		if (!p)
			return oom(g);
		o->places = p;
		o->cap = c;
	}
	o->places[o->nplaces].merged = strdup(merged);
	o->places[o->nplaces].file = file;
	o->places[o->nplaces].path = strdup(path);
	if (!o->places[o->nplaces].merged || !o->places[o->nplaces].path)
		return oom(g);
	o->nplaces++;
	return 0;
}

/* ---- recognising a file ----------------------------------------------------------------------- */

static bool looks_resource(const cJSON *v)
{
	const char *t = str_of(v, "type");

	return cJSON_IsObject(v) && t && strchr(t, '/') && strchr(t, '.') && cJSON_IsString(cJSON_GetObjectItem(v, "name"));
}

enum tg_kind tg_classify(const cJSON *root, char *what, size_t len)
{
	const char *schema = str_of(root, "$schema");

	what[0] = 0;
	if (cJSON_IsArray(root)) {
		const cJSON *e;

		cJSON_ArrayForEach(e, root) if (!looks_resource(e)) {
			snprintf(what, len, "a JSON array whose items are not ARM resources (no \"type\" and \"name\")");
			return TG_UNKNOWN;
		}
		return TG_LIST;
	}
	if (!cJSON_IsObject(root)) {
		snprintf(what, len, "a JSON %s", cJSON_IsString(root) ? "string" : cJSON_IsNumber(root) ? "number" : "value");
		return TG_UNKNOWN;
	}
	if (schema && strcasestr(schema, "deploymentParameters"))
		return TG_PARAMETERS;
	if ((schema && strcasestr(schema, "deploymentTemplate")) ||
	    (cJSON_GetObjectItem(root, "resources") && cJSON_GetObjectItem(root, "contentVersion")))
		return TG_TEMPLATE;
	/* Before the resource test: what az network list-service-tags prints is itself shaped as a
	 * resource ("type": "Microsoft.Network/serviceTags"), the downloaded file is not. */
	const cJSON *values = cJSON_GetObjectItem(root, "values");

	if (cJSON_IsArray(values) && (cJSON_GetObjectItem(root, "changeNumber") || cJSON_GetObjectItem(root, "cloud")))
		return TG_TAGS;
	if (looks_resource(root))
		return TG_RESOURCE;
	const cJSON *val = cJSON_GetObjectItem(root, "value");

	if (cJSON_IsArray(val)) {
		const cJSON *e;

		cJSON_ArrayForEach(e, val) if (!looks_resource(e)) {
			snprintf(what, len, "a REST list whose items are not ARM resources (no \"type\" and \"name\")");
			return TG_UNKNOWN;
		}
		return TG_VALUE;
	}
	for (size_t i = 0; i < sizeof(own_keys) / sizeof(own_keys[0]); i++)
		if (cJSON_GetObjectItem(root, own_keys[i]))
			return TG_NWSIM;
	if (cJSON_GetObjectItem(root, "parameters") && !cJSON_GetObjectItem(root, "resources")) {
		const cJSON *p = cJSON_GetObjectItem(root, "parameters")->child;

		if (p && cJSON_IsObject(p) && cJSON_GetObjectItem(p, "value"))
			return TG_PARAMETERS;
	}
	/* Name what it looks like: its first few keys. */
	size_t off = (size_t)snprintf(what, len, "a JSON object with ");
	const cJSON *e = root->child;

	if (!e)
		snprintf(what + off, len - off, "no keys");
	for (int k = 0; e && k < 4 && off < len; e = e->next, k++)
		off += (size_t)snprintf(what + off, len - off, "%s\"%s\"", k ? ", " : "keys ", e->string);
	if (e && off < len)
		snprintf(what + off, len - off, ", ...");
	return TG_UNKNOWN;
}

/* ---- taking resources in ---------------------------------------------------------------------- */

/* A malloc'd array with room for one more element: arr, or a larger copy; NULL when out of memory. */
static void *room(void *arr, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return arr;
	size_t c = *cap ? *cap * 2 : 16;
	void *a = realloc(arr, c * size);

	if (a)
		*cap = c;
	return a;
}

/* A resource into a list (g->r, or the gateways' g->x); obj is taken (freed on error). */
static int take_into(struct gather *g, struct res **list, size_t *n, size_t *cap, int t, const char *name, cJSON *obj,
		     const char *file, const char *path)
{
	struct res *all = room(*list, *n, cap, sizeof(*all));

	if (!all || !obj) {
		cJSON_Delete(obj);
		return oom(g);
	}
	*list = all;
	struct res *r = &all[*n];

	memset(r, 0, sizeof(*r));
	r->t = t;
	r->obj = obj;
	r->file = file;
	r->name = strdup(name);
	r->path = strdup(path);
	++*n;
	return r->name && r->path ? 0 : oom(g);
}

static void res_free(struct res *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cJSON_Delete(list[i].obj);
		free(list[i].name);
		free(list[i].path);
		free(list[i].merged);
	}
	free(list);
}

static int take(struct gather *g, int t, const char *name, cJSON *obj, const char *file, const char *path)
{
	return take_into(g, &g->r, &g->n, &g->cap, t, name, obj, file, path);
}

/* A gateway, local network gateway, connection or public address. */
static int take_x(struct gather *g, int k, const char *name, cJSON *obj, const char *file, const char *path)
{
	return take_into(g, &g->x, &g->nx, &g->xcap, k, name, obj, file, path);
}

static struct res *find_x(struct gather *g, int k, const char *name)
{
	for (size_t i = 0; i < g->nx; i++)
		if (g->x[i].t == k && !strcasecmp(g->x[i].name, name))
			return &g->x[i];
	return NULL;
}

/* An ARM resource as az or REST prints it. */
static int take_arm(struct gather *g, const cJSON *v, const char *file, const char *path)
{
	const char *type = str_of(v, "type"), *name = str_of(v, "name"), *id = str_of(v, "id");
	int t = type ? type_of(type) : -1;
	char full[512];

	if (!type || !name)
		return nws_err_set(g->err, "%s: %s%snot an ARM resource: it needs \"type\" and \"name\"", file, path, *path ? ": " : "");
	if (t < 0 && xtype_of(type) >= 0)
		return take_x(g, xtype_of(type), name, cJSON_Duplicate(v, true), file, path);
	if (t < 0) {
		if (is_unmodelled(type))
			return warn(g, "%s: %s%s%s '%s' is not simulated: traffic through it is judged as if it were not there", file,
				    path, *path ? ": " : "", type, name);
		return 0;
	}
	/* A child printed on its own (az network vnet subnet list): its parent is in its id. */
	if (types[t].parent >= 0 && !strchr(name, '/')) {
		char parent[256];
		const char *pt = strrchr(types[types[t].parent].type, '/') + 1;

		if (!id || !id_segment(id, pt, parent, sizeof(parent)))
			return nws_err_set(g->err, "%s: %s%s%s '%s': its id does not name its %s", file, path, *path ? ": " : "",
					   types[t].what, name, types[types[t].parent].what);
		snprintf(full, sizeof(full), "%s/%s", parent, name);
		name = full;
	}
	cJSON *c = cJSON_Duplicate(v, true);

	return c ? take(g, t, name, c, file, path) : oom(g);
}

static int take_list(struct gather *g, const cJSON *arr, const char *file, const char *prefix)
{
	const cJSON *e;
	size_t i = 0;
	char path[64];

	cJSON_ArrayForEach(e, arr) {
		snprintf(path, sizeof(path), "%s[%zu]", prefix, i++);
		if (take_arm(g, e, file, path) < 0)
			return -1;
	}
	return 0;
}

/* A map of nwsim's format (serviceTags, dns) into the merged one: a key twice must say the same. */
static int merge_map(struct gather *g, cJSON *dst, const cJSON *src, const char *file)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, src) {
		const cJSON *have = cJSON_GetObjectItem(dst, e->string);

		if (have && !cJSON_Compare(have, e, true))
			return nws_err_set(g->err, "%s: %s.%s: given differently by another file", file, src->string, e->string);
		if (!have && !cJSON_AddItemToObject(dst, e->string, cJSON_Duplicate(e, true)))
			return oom(g);
	}
	return 0;
}

/* nwsim's own format among other files: its arrays are resources like any other. */
static int take_own(struct gather *g, const cJSON *root, const char *file)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, root) {
		int t = -1;

		for (size_t i = 0; i < NTYPES; i++)
			if (types[i].key && !strcasecmp(types[i].key, e->string))
				t = (int)i;
		if (t >= 0 && cJSON_IsArray(e)) {
			const cJSON *x;
			size_t i = 0;
			char path[96];

			cJSON_ArrayForEach(x, e) {
				const char *name = str_of(x, "name");
				cJSON *c;

				snprintf(path, sizeof(path), "%s[%zu]", e->string, i++);
				if (!name)
					return nws_err_set(g->err, "%s: %s: missing required field: name", file, path);
				if (!(c = cJSON_Duplicate(x, true)) || take(g, t, name, c, file, path) < 0)
					return c ? -1 : oom(g);
			}
			continue;
		}
		if (!strcasecmp(e->string, "serviceTags") && cJSON_IsObject(e)) {
			if (merge_map(g, g->tags, e, file) < 0)
				return -1;
		} else if (!strcasecmp(e->string, "dns") && cJSON_IsObject(e)) {
			if (merge_map(g, g->dns, e, file) < 0)
				return -1;
		} else if (!strcasecmp(e->string, "externalHosts") && cJSON_IsArray(e)) {
			const cJSON *h;

			cJSON_ArrayForEach(h, e) if (!cJSON_AddItemToArray(g->hosts, cJSON_Duplicate(h, true))) return oom(g);
		} else if (!strcasecmp(e->string, "latency")) {
			if (g->latency && !cJSON_Compare(g->latency, e, true))
				return nws_err_set(g->err, "%s: latency: %s gives it differently", file, g->latency_file);
			if (!g->latency) {
				if (!(g->latency = cJSON_Duplicate(e, true)))
					return oom(g);
				g->latency_file = file;
			}
		}
	}
	return 0;
}

/* Azure's published service tags: values[].name -> values[].properties.addressPrefixes. */
static int take_tags(struct gather *g, const cJSON *root, const char *file)
{
	const cJSON *e;
	size_t i = 0;

	cJSON_ArrayForEach(e, cJSON_GetObjectItem(root, "values")) {
		const char *name = str_of(e, "name");
		const cJSON *pf = prop(e, "addressPrefixes");

		if (!name || !cJSON_IsArray(pf))
			return nws_err_set(g->err, "%s: values[%zu]: a service tag needs \"name\" and properties.addressPrefixes", file, i);
		const cJSON *have = cJSON_GetObjectItem(g->tags, name);

		if (have && !cJSON_Compare(have, pf, true))
			return nws_err_set(g->err, "%s: values[%zu]: tag '%s' is given differently by another file", file, i, name);
		if (!have && !cJSON_AddItemToObject(g->tags, name, cJSON_Duplicate(pf, true)))
			return oom(g);
		i++;
	}
	return 0;
}

/* ---- templates -------------------------------------------------------------------------------- */

/* --parameter name=value, typed as the template declares the parameter (az does the same). */
static cJSON *typed(const cJSON *decl, const char *text)
{
	const char *type = str_of(decl, "type");

	if (type && !strcasecmp(type, "int")) {
		char *end;

		errno = 0;
		long long v = strtoll(text, &end, 10);

		return *text && !*end && !errno ? cJSON_CreateNumber((double)v) : NULL;
	}
	if (type && !strcasecmp(type, "bool")) {
		if (!strcasecmp(text, "true") || !strcasecmp(text, "false"))
			return cJSON_CreateBool(!strcasecmp(text, "true"));
		return NULL;
	}
	if (type && (!strcasecmp(type, "array") || !strcasecmp(type, "object") || !strcasecmp(type, "secureObject")))
		return cJSON_Parse(text);
	return cJSON_CreateString(text);
}

/* The parameter values a template is deployed with, checked against what it declares. */
static cJSON *given_for(struct gather *g, const cJSON *params)
{
	cJSON *given = cJSON_CreateObject();

	if (!given)
		return oom(g), NULL;
	for (size_t f = 0; f < g->o->nparam_files; f++) {
		const struct tg_file *pf = &g->o->param_files[f];
		const cJSON *ps = cJSON_GetObjectItem(pf->root, "parameters"), *e;
		char what[256];
		enum tg_kind k = tg_classify(pf->root, what, sizeof(what));

		if (k != TG_PARAMETERS) {
			nws_err_set(g->err, "%s: not an ARM parameters file (it looks like %s): --parameters takes azuredeploy.parameters.json's shape",
				    pf->name, k == TG_TEMPLATE ? "an ARM template" : k == TG_UNKNOWN ? what : "a network");
			goto fail;
		}

		if (!cJSON_IsObject(ps))
			ps = pf->root;
		cJSON_ArrayForEach(e, ps) {
			if (!strcmp(e->string, "$schema") || !strcmp(e->string, "contentVersion"))
				continue;
			const cJSON *decl = cJSON_GetObjectItem(params, e->string), *v = cJSON_GetObjectItem(e, "value");

			if (!decl)
				continue; /* another template's, or none's: params_declared() says */
			cJSON *nv;
			char why[1280];

			if (v) {
				nv = cJSON_Duplicate(v, true);
			} else if (cJSON_GetObjectItem(e, "reference")) {
				/* Azure reads the secret at deployment; nwsim only if the network needs it. */
				snprintf(why, sizeof(why), "its value is a Key Vault reference in %s, which cannot be read offline: give it with --parameter %s=VALUE",
					 pf->name, e->string);
				nv = cJSON_CreateRaw(why);
			} else {
				nws_err_set(g->err, "%s: parameters.%s: missing \"value\"", pf->name, e->string);
				goto fail;
			}
			cJSON_DeleteItemFromObject(given, e->string);
			if (!cJSON_AddItemToObject(given, e->string, nv))
				goto nomem;
		}
	}
	for (size_t i = 0; i < g->o->nparams; i++) {
		const char *s = g->o->params[i], *eq = strchr(s, '=');
		char name[256];

		if (!eq || eq == s || (size_t)(eq - s) >= sizeof(name)) {
			nws_err_set(g->err, "--parameter '%s': expected NAME=VALUE", s);
			goto fail;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(eq - s), s);
		const cJSON *decl = cJSON_GetObjectItem(params, name);

		if (!decl)
			continue;
		cJSON *v = typed(decl, eq + 1);

		if (!v) {
			nws_err_set(g->err, "--parameter %s: '%s' is not %s, the parameter's type", name, eq + 1, str_of(decl, "type"));
			goto fail;
		}
		cJSON_DeleteItemFromObject(given, decl->string);
		cJSON_AddItemToObject(given, decl->string, v);
	}
	return given;
nomem:
	oom(g);
fail:
	cJSON_Delete(given);
	return NULL;
}

struct tpl {
	struct gather *g;
	struct ax_ctx x;
	const char *file;
};

static int tpl_resource(struct tpl *tp, const cJSON *r, const char *path, const char *ptype, const char *pname);

/* Where the evaluator is: what its errors are prefixed with. */
static void at_place(struct tpl *tp, const char *path, const char *field)
{
	snprintf(tp->x.path, sizeof(tp->x.path), "%s%s", path, field);
	tp->x.plen = strlen(tp->x.path);
}

/* A string field of a resource evaluated: "type" and "name" must be strings. */
static char *field_str(struct tpl *tp, const cJSON *r, const char *key, const char *path)
{
	const cJSON *v = cJSON_GetObjectItem(r, key);
	cJSON *e;
	char *s;

	if (!cJSON_IsString(v)) {
		nws_err_set(tp->g->err, "%s: %s.%s: expected a string", tp->file, path, key);
		return NULL;
	}
	at_place(tp, "", "");
	if (!(e = ax_value(&tp->x, v, tp->g->err))) {
		char inner[sizeof(tp->g->err->msg)];

		snprintf(inner, sizeof(inner), "%s", tp->g->err->msg);
		nws_err_set(tp->g->err, "%s: %s.%s: %s", tp->file, path, key, inner);
		return NULL;
	}
	if (!cJSON_IsString(e)) {
		nws_err_set(tp->g->err, "%s: %s.%s: evaluates to something other than a string", tp->file, path, key);
		cJSON_Delete(e);
		return NULL;
	}
	s = strdup(e->valuestring);
	cJSON_Delete(e);
	if (!s)
		oom(tp->g);
	return s;
}

/* One instance of a resource (one copy index, its condition true). */
/*
 * The id ARM gives a resource the template deploys: the deployment's subscription and resource
 * group, then each type segment after the namespace with its name ("Microsoft.Network/
 * virtualNetworks/subnets" and "vnet1/web": .../virtualNetworks/vnet1/subnets/web). Answers
 * that name a resource by id (a route table's) are then those of the deployed network.
 */
static bool deployed_id(const struct gather *g, const char *type, const char *name, char *out, size_t len)
{
	const char *t = strchr(type, '/'), *n = name;
	size_t off = (size_t)snprintf(out, len, "/subscriptions/%s/resourceGroups/%s/providers/%.*s", g->sub, g->rg,
				      t ? (int)(t - type) : 0, type);

	while (t && off < len) {
		const char *tn = strchr(t + 1, '/'), *nn = strchr(n, '/');
		size_t tl = tn ? (size_t)(tn - t) : strlen(t), nl = nn ? (size_t)(nn - n) : strlen(n);

		off += (size_t)snprintf(out + off, len - off, "%.*s/%.*s", (int)tl, t, (int)nl, n);
		t = tn;
		n = nn ? nn + 1 : n + nl;
	}
	return t == NULL && off < len;
}

static int tpl_instance(struct tpl *tp, const cJSON *r, const char *path, const char *ptype, const char *pname)
{
	struct gather *g = tp->g;
	char *type = NULL, *name = NULL, full_type[512], full_name[512];
	int rc = -1;
	const cJSON *cond = cJSON_GetObjectItem(r, "condition");

	if (cond) {
		at_place(tp, path, ".condition");
		cJSON *c = ax_value(&tp->x, cond, g->err);

		if (!c)
			return nws_err_prefix(g->err, "%s: ", tp->file), -1;
		bool yes = cJSON_IsTrue(c), bad = !cJSON_IsBool(c);

		cJSON_Delete(c);
		if (bad)
			return nws_err_set(g->err, "%s: %s.condition: expected a boolean", tp->file, path);
		if (!yes)
			return 0;
	}
	if (!(type = field_str(tp, r, "type", path)) || !(name = field_str(tp, r, "name", path)))
		goto out;
	/* A nested child spells its type and name relative to its parent's. */
	if (ptype && !strchr(type, '.'))
		snprintf(full_type, sizeof(full_type), "%s/%s", ptype, type);
	else
		snprintf(full_type, sizeof(full_type), "%s", type);
	if (pname && !strchr(name, '/'))
		snprintf(full_name, sizeof(full_name), "%s/%s", pname, name);
	else
		snprintf(full_name, sizeof(full_name), "%s", name);
	if (!strcasecmp(full_type, "Microsoft.Resources/deployments")) {
		nws_err_set(g->err, "%s: %s: a nested deployment (Microsoft.Resources/deployments '%s') is not read by nwsim: give its template with -t",
			    tp->file, path, full_name);
		goto out;
	}
	int t = type_of(full_type), xk = xtype_of(full_type);

	if (t < 0 && xk >= 0) {
		/* A gateway and what joins it: evaluated whole, joined once every file is in. */
		const cJSON *p = cJSON_GetObjectItem(r, "properties");
		cJSON *obj = cJSON_CreateObject(), *props = NULL;

		if (p) {
			at_place(tp, path, ".properties");
			if (!(props = ax_value(&tp->x, p, g->err))) {
				cJSON_Delete(obj);
				nws_err_prefix(g->err, "%s: ", tp->file);
				goto out;
			}
		}
		if (!obj || !cJSON_AddStringToObject(obj, "name", full_name) || !cJSON_AddStringToObject(obj, "type", full_type) ||
		    (props && !cJSON_AddItemToObject(obj, "properties", props))) {
			cJSON_Delete(props);
			cJSON_Delete(obj);
			oom(g);
			goto out;
		}
		if (take_x(g, xk, full_name, obj, tp->file, path) < 0)
			goto out;
	} else if (t < 0) {
		if (is_unmodelled(full_type) && warn(g, "%s: %s: %s '%s' is not simulated: traffic through it is judged as if it were not there",
						     tp->file, path, full_type, full_name) < 0)
			goto out;
	} else {
		/* What nwsim reads: a VM's network profile, the whole of the network's own resources. */
		cJSON *obj = cJSON_CreateObject(), *props = NULL;
		const cJSON *p = cJSON_GetObjectItem(r, "properties");

		char id[1536];

		if (!obj || !cJSON_AddStringToObject(obj, "name", full_name) || !cJSON_AddStringToObject(obj, "type", full_type) ||
		    (deployed_id(g, full_type, full_name, id, sizeof(id)) && !cJSON_AddStringToObject(obj, "id", id))) {
			cJSON_Delete(obj);
			oom(g);
			goto out;
		}
		if (p) {
			at_place(tp, path, ".properties");
			if (t == T_VM) {
				const cJSON *np = cJSON_GetObjectItem(p, "networkProfile");

				if (np) {
					snprintf(tp->x.path + tp->x.plen, sizeof(tp->x.path) - tp->x.plen, ".%s", np->string);
					tp->x.plen = strlen(tp->x.path);
					cJSON *v = ax_value(&tp->x, np, g->err);

					if (!v || !(props = cJSON_AddObjectToObject(obj, "properties"))) {
						cJSON_Delete(v);
						cJSON_Delete(obj);
						if (v)
							oom(g);
						else
							nws_err_prefix(g->err, "%s: ", tp->file);
						goto out;
					}
					cJSON_AddItemToObject(props, "networkProfile", v);
				}
			} else {
				if (!(props = ax_value(&tp->x, p, g->err))) {
					cJSON_Delete(obj);
					nws_err_prefix(g->err, "%s: ", tp->file);
					goto out;
				}
				cJSON_AddItemToObject(obj, "properties", props);
			}
		}
		if (take(g, t, full_name, obj, tp->file, path) < 0)
			goto out;
	}
	/* Children declared inside: their type and name follow the parent's. */
	const cJSON *kids = cJSON_GetObjectItem(r, "resources"), *k;
	size_t i = 0;

	cJSON_ArrayForEach(k, kids) {
		char kp[512];

		snprintf(kp, sizeof(kp), "%s.resources[%zu]", path, i++);
		if (tpl_resource(tp, k, kp, full_type, full_name) < 0)
			goto out;
	}
	rc = 0;
out:
	free(type);
	free(name);
	return rc;
}

static int tpl_resource(struct tpl *tp, const cJSON *r, const char *path, const char *ptype, const char *pname)
{
	struct gather *g = tp->g;
	const cJSON *copy = cJSON_GetObjectItem(r, "copy");

	if (!cJSON_IsObject(r))
		return nws_err_set(g->err, "%s: %s: expected a resource object", tp->file, path);
	if (!copy)
		return tpl_instance(tp, r, path, ptype, pname);
	const char *loop = str_of(copy, "name");
	const cJSON *cnt = cJSON_GetObjectItem(copy, "count");
	long n;

	if (!loop || !cnt)
		return nws_err_set(g->err, "%s: %s.copy: needs a name and a count", tp->file, path);
	at_place(tp, path, ".copy.count");
	cJSON *c = ax_value(&tp->x, cnt, g->err);

	if (!c)
		return nws_err_prefix(g->err, "%s: ", tp->file), -1;
	if (!cJSON_IsNumber(c) || c->valuedouble < 0 || c->valuedouble > 800) {
		cJSON_Delete(c);
		return nws_err_set(g->err, "%s: %s.copy.count: expected an integer in 0..800 (ARM's limit)", tp->file, path);
	}
	n = (long)c->valuedouble;
	cJSON_Delete(c);
	for (long i = 0; i < n; i++) {
		if (ax_loop_push(&tp->x, loop, i, true, g->err) < 0)
			return nws_err_prefix(g->err, "%s: %s: ", tp->file, path), -1;
		int rc = tpl_instance(tp, r, path, ptype, pname);

		ax_loop_pop(&tp->x);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int take_template(struct gather *g, const cJSON *root, const char *file)
{
	const cJSON *params = cJSON_GetObjectItem(root, "parameters"), *res = cJSON_GetObjectItem(root, "resources"), *r;
	cJSON *given = given_for(g, params);
	struct tpl tp = { .g = g, .file = file };
	int rc = -1;
	size_t i = 0;

	if (!given)
		return -1;
	ax_init(&tp.x, params, given, cJSON_GetObjectItem(root, "variables"), g->sub, g->rg, g->loc, "nwsim");
	/* Every parameter without a value is an error even when no resource uses it: Azure refuses it. */
	cJSON_ArrayForEach(r, params) {
		if (!cJSON_GetObjectItem(r, "defaultValue") && !cJSON_GetObjectItem(given, r->string)) {
			nws_err_set(g->err, "%s: parameters.%s: no value and no default: give it with --parameters FILE or --parameter %s=VALUE",
				    file, r->string, r->string);
			goto out;
		}
	}
	/* languageVersion 2.0 names its resources: an object of them. */
	cJSON_ArrayForEach(r, res) {
		char path[300];

		if (cJSON_IsObject(res))
			snprintf(path, sizeof(path), "resources.%s", r->string);
		else
			snprintf(path, sizeof(path), "resources[%zu]", i);
		i++;
		if (tpl_resource(&tp, r, path, NULL, NULL) < 0)
			goto out;
	}
	rc = 0;
out:
	ax_free(&tp.x);
	cJSON_Delete(given);
	return rc;
}

/* ---- joining ---------------------------------------------------------------------------------- */

/* Fields that say nothing about the network: Azure's bookkeeping, or what nwsim works out itself. */
static const char *const ignored[] = { "etag", "provisioningState", "resourceGuid", "type", "location", "tags", "apiVersion",
				       "dependsOn", "comments", "defaultSecurityRules", "kind",
				       "systemData", "resourceGroup", "zones", "sku", "extendedLocation" };

static bool is_empty(const cJSON *v)
{
	return !v || cJSON_IsNull(v) || ((cJSON_IsArray(v) || cJSON_IsObject(v)) && !v->child) || (cJSON_IsString(v) && !*v->valuestring);
}

/* One form for comparing: "properties" hoisted, bookkeeping dropped, empty values gone. */
static cJSON *canon(const cJSON *v)
{
	if (cJSON_IsArray(v)) {
		cJSON *r = cJSON_CreateArray();
		const cJSON *e;

		cJSON_ArrayForEach(e, v) cJSON_AddItemToArray(r, canon(e));
		return r;
	}
	if (!cJSON_IsObject(v))
		return cJSON_Duplicate(v, true);
	cJSON *r = cJSON_CreateObject();
	const cJSON *e, *p = cJSON_GetObjectItem(v, "properties");
	int keys = cJSON_GetArraySize(v);

	for (int pass = 0; pass < 2; pass++)
		cJSON_ArrayForEach(e, (pass ? p : v)) {
			bool skip = is_empty(e) || (!pass && !strcasecmp(e->string, "properties") && cJSON_IsObject(e)) ||
				    /* An id beside other fields is the resource's own; alone it is a reference. */
				    (!strcasecmp(e->string, "id") && keys > 1);

			for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]) && !skip; i++)
				skip = !strcasecmp(e->string, ignored[i]);
			if (skip)
				continue;
			char key[128];
			size_t k = 0;

			for (; e->string[k] && k + 1 < sizeof(key); k++)
				key[k] = (char)tolower((unsigned char)e->string[k]);
			key[k] = 0;
			cJSON *c = canon(e);

			if (cJSON_IsString(c) && cJSON_GetObjectItem(v, "id") != e) {
				/* Azure's values are not case-sensitive (Tcp, tcp): neither is the comparison. */
				for (char *s = c->valuestring; *s; s++)
					*s = (char)tolower((unsigned char)*s);
			}
			cJSON_DeleteItemFromObject(r, key);
			cJSON_AddItemToObject(r, key, c);
		}
	return r;
}

static bool same(const cJSON *a, const cJSON *b)
{
	cJSON *x = canon(a), *y = canon(b);
	bool r = x && y && cJSON_Compare(x, y, false);

	cJSON_Delete(x);
	cJSON_Delete(y);
	return r;
}

/* A resource defined again, differently: named where it is defined the second time, first in the line. */
static int twice_at(struct gather *g, const char *what, const char *name, const char *file1, const char *path1, const char *file2,
		    const char *path2)
{
	return nws_err_set(g->err, "%s%s%s: %s '%s' is defined twice, differently (also in %s%s%s)", file2, path2[0] ? ": " : "", path2,
			   what, name, file1, path1[0] ? ": " : ", the whole file", path1);
}

static int twice(struct gather *g, const struct res *a, const struct res *b)
{
	return twice_at(g, types[a->t].what, a->name, a->file, a->path, b->file, b->path);
}

/* The array of a parent's children, wherever the parent keeps it; made under "properties" if none. */
static cJSON *child_array(cJSON *parent, const char *key, bool *top)
{
	cJSON *v = cJSON_GetObjectItem(parent, key), *p = cJSON_GetObjectItem(parent, "properties");

	*top = true;
	if (cJSON_IsArray(v))
		return v;
	*top = false;
	if (cJSON_IsObject(p)) {
		v = cJSON_GetObjectItem(p, key);
		if (cJSON_IsArray(v))
			return v;
		if (v)
			cJSON_DeleteItemFromObject(p, key);
		return cJSON_AddArrayToObject(p, key);
	}
	if (!p) {
		if (v)
			cJSON_DeleteItemFromObject(parent, key);
		*top = true;
		return cJSON_AddArrayToObject(parent, key);
	}
	return NULL;
}

static struct res *find_res(struct gather *g, int t, const char *name)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->r[i].t == t && g->r[i].taken && !strcasecmp(g->r[i].name, name))
			return &g->r[i];
	return NULL;
}

static int set_merged(struct gather *g, struct res *r, const char *merged)
{
	free(r->merged);
	if (!(r->merged = strdup(merged)))
		return oom(g);
	return place(g, merged, r->file, r->path);
}

/* Top-level resources into the document's arrays; the same one twice only when it says the same. */
static int join_top(struct gather *g)
{
	for (size_t i = 0; i < g->n; i++) {
		struct res *r = &g->r[i];

		if (types[r->t].parent >= 0)
			continue;
		struct res *have = find_res(g, r->t, r->name);

		if (have) {
			/*
			 * One name in two resource groups (or subscriptions) is two resources; nwsim names
			 * resources by name, so it cannot tell them apart, and says so rather than merge them.
			 */
			const char *ia = str_of(have->obj, "id"), *ib = str_of(r->obj, "id");

			if (ia && ib && strcasecmp(ia, ib)) {
				const char *seg = "resourceGroups";
				char ga[128] = "?", gb[128] = "?";

				if (id_segment(ia, seg, ga, sizeof(ga)) && id_segment(ib, seg, gb, sizeof(gb)) && !strcasecmp(ga, gb)) {
					seg = "subscriptions";
					id_segment(ia, seg, ga, sizeof(ga));
					id_segment(ib, seg, gb, sizeof(gb));
				}
				return nws_err_set(g->err, "%s%s%s: %s '%s' of %s '%s' has the name of the one of '%s' (%s%s%s): nwsim names resources by name and cannot tell them apart",
						   r->file, *r->path ? ": " : "", r->path, types[r->t].what, r->name,
						   seg[0] == 'r' ? "resource group" : "subscription", gb, ga, have->file, *have->path ? ": " : "", have->path);
			}
			if (!same(have->obj, r->obj))
				return twice(g, have, r);
			continue;
		}
		cJSON *arr = g->arrays[r->t];
		char merged[300];

		snprintf(merged, sizeof(merged), "%s[%d]", types[r->t].key, cJSON_GetArraySize(arr));
		if (!cJSON_AddItemReferenceToArray(arr, r->obj))
			return oom(g);
		r->taken = true;
		if (set_merged(g, r, merged) < 0)
			return -1;
	}
	return 0;
}

/* Children into their parents: after the parents, whatever order the files came in. */
static int join_children(struct gather *g)
{
	for (size_t i = 0; i < g->n; i++) {
		struct res *r = &g->r[i];
		int pt = types[r->t].parent;

		if (pt < 0)
			continue;
		const char *slash = strrchr(r->name, '/');
		char pname[512];

		snprintf(pname, sizeof(pname), "%.*s", (int)(slash - r->name), r->name);
		struct res *parent = find_res(g, pt, pname);

		if (!parent)
			return nws_err_set(g->err, "%s: %s%s%s '%s': its %s '%s' is in none of the files", r->file, r->path, *r->path ? ": " : "",
					   types[r->t].what, slash + 1, types[pt].what, pname);
		bool top;
		cJSON *arr = child_array(parent->obj, types[r->t].child_key, &top), *e;
		size_t k = 0;
		bool dup = false;

		if (!arr)
			return oom(g);
		/* The child's own name, as its parent's array holds it. */
		cJSON_DeleteItemFromObject(r->obj, "name");
		cJSON_AddStringToObject(r->obj, "name", slash + 1);
		cJSON_ArrayForEach(e, arr) {
			const char *n = str_of(e, "name");

			if (n && !strcasecmp(n, slash + 1)) {
				if (!same(e, r->obj)) {
					char at[1024];

					snprintf(at, sizeof(at), "%s%s%s[%zu]", parent->path, top ? (parent->path[0] ? "." : "") : ".properties.",
						 types[r->t].child_key, k);
					return twice_at(g, types[r->t].what, r->name, r->file, r->path, parent->file, at);
				}
				dup = true;
			}
			k++;
		}
		if (dup)
			continue;
		char merged[600];

		snprintf(merged, sizeof(merged), "%s.%s%s[%d]", parent->merged, top ? "" : "properties.", arr->string,
			 cJSON_GetArraySize(arr));
		if (!cJSON_AddItemReferenceToArray(arr, r->obj))
			return oom(g);
		r->taken = true;
		if (set_merged(g, r, merged) < 0)
			return -1;
	}
	return 0;
}

/* The subnet an id names, and its object in its network. */
static cJSON *subnet_obj(struct gather *g, const char *id, char *label, size_t len)
{
	char vn[256], sn[256];

	if (!id_segment(id, "virtualNetworks", vn, sizeof(vn)) || !id_segment(id, "subnets", sn, sizeof(sn)))
		return NULL;
	snprintf(label, len, "%s/%s", vn, sn);
	struct res *v = find_res(g, T_VNET, vn);
	bool top;
	cJSON *arr, *e;

	if (!v || !(arr = child_array(v->obj, "subnets", &top)))
		return NULL;
	cJSON_ArrayForEach(e, arr) {
		const char *n = str_of(e, "name");

		if (n && !strcasecmp(n, sn))
			return e;
	}
	return NULL;
}

/* A reference written where Azure keeps it: under "properties" in ARM's shape, at the top in az's. */
static int set_ref(cJSON *obj, const char *key, const char *id)
{
	cJSON *p = cJSON_GetObjectItem(obj, "properties"), *where = cJSON_IsObject(p) ? p : obj, *ref = cJSON_CreateObject();

	if (!ref || !cJSON_AddStringToObject(ref, "id", id))
		return cJSON_Delete(ref), -1;
	cJSON_DeleteItemFromObject(obj, key);
	if (where != obj)
		cJSON_DeleteItemFromObject(where, key);
	cJSON_AddItemToObject(where, key, ref);
	return 0;
}

/*
 * An NSG's subnets[] and networkInterfaces[], a route table's subnets[]: written into the subnet
 * or NIC they name, or checked against what it says already.
 */
static int backref(struct gather *g, struct res *r, const char *list, const char *key, const char *what)
{
	const cJSON *arr = prop(r->obj, list), *e;
	size_t i = 0;
	char myid[600];

	snprintf(myid, sizeof(myid), "/subscriptions/%s/resourceGroups/%s/providers/%s/%s", g->sub, g->rg, types[r->t].type, r->name);
	if (str_of(r->obj, "id"))
		snprintf(myid, sizeof(myid), "%s", str_of(r->obj, "id"));
	cJSON_ArrayForEach(e, arr) {
		const char *id = ref_of(e);
		char label[600];
		cJSON *target = NULL;

		i++;
		if (!id)
			continue;
		if (!strcasecmp(list, "subnets")) {
			target = subnet_obj(g, id, label, sizeof(label));
		} else {
			struct res *n = find_res(g, T_NIC, tail(id));

			snprintf(label, sizeof(label), "%s", tail(id));
			target = n ? n->obj : NULL;
		}
		if (!target)
			continue; /* the subnet or NIC is not among the files: nothing to attach to */
		const char *has = ref_of(prop(target, key));

		if (has && strcasecmp(tail(has), r->name))
			return nws_err_set(g->err, "%s: %s%s%s%s[%zu] says %s '%s' uses %s '%s', but that %s names '%s'", r->file, r->path,
					   *r->path ? "." : "", cJSON_GetObjectItem(r->obj, list) ? "" : "properties.", list, i - 1, !strcasecmp(list, "subnets") ? "subnet" : "network interface", label,
					   what, r->name, !strcasecmp(list, "subnets") ? "subnet" : "network interface", tail(has));
		if (!has && set_ref(target, key, myid) < 0)
			return oom(g);
	}
	return 0;
}

/* A NIC's virtualMachine.id and a VM's networkProfile: each says the same, or one is added. */
static int vm_nics(struct gather *g)
{
	for (size_t i = 0; i < g->n; i++) {
		struct res *nic = &g->r[i];

		if (nic->t != T_NIC || !nic->taken)
			continue;
		const char *vmid = ref_of(prop(nic->obj, "virtualMachine"));
		struct res *owner = NULL;

		/* Which VM lists this NIC. */
		for (size_t j = 0; j < g->n && !owner; j++) {
			struct res *vm = &g->r[j];
			const cJSON *np = prop(vm->obj, "networkProfile"), *e;

			if (vm->t != T_VM || !vm->taken || !np)
				continue;
			cJSON_ArrayForEach(e, prop(np, "networkInterfaces")) {
				const char *id = ref_of(e);

				if (id && !strcasecmp(tail(id), nic->name))
					owner = vm;
			}
		}
		if (owner && vmid && strcasecmp(tail(vmid), owner->name))
			return nws_err_set(g->err, "%s: %s%svirtualMachine says network interface '%s' belongs to virtual machine '%s', but %s: %s lists it in virtual machine '%s'",
					   nic->file, nic->path, *nic->path ? "." : "", nic->name, tail(vmid), owner->file, owner->path, owner->name);
		if (owner)
			continue;
		if (!vmid) {
			if (warn(g, "%s: %s%snetwork interface '%s' is attached to no virtual machine: left out", nic->file, nic->path,
				 *nic->path ? ": " : "", nic->name) < 0)
				return -1;
			continue;
		}
		/* The VM is not among the files: it exists (the NIC says so), its facts are unknown. */
		struct res *vm = find_res(g, T_VM, tail(vmid));
		cJSON *np, *list, *ref;

		if (vm) {
			return nws_err_set(g->err, "%s: %s%svirtualMachine says network interface '%s' belongs to virtual machine '%s', but %s: %s does not list it",
					   nic->file, nic->path, *nic->path ? "." : "", nic->name, vm->name, vm->file, vm->path);
		}
		cJSON *obj = cJSON_CreateObject();

		if (!obj || !cJSON_AddStringToObject(obj, "name", tail(vmid)) || !cJSON_AddStringToObject(obj, "id", vmid) ||
		    !(np = cJSON_AddObjectToObject(obj, "networkProfile")) || !(list = cJSON_AddArrayToObject(np, "networkInterfaces")) ||
		    !(ref = cJSON_CreateObject()) || !cJSON_AddStringToObject(ref, "id", nic->name)) {
			cJSON_Delete(obj);
			return oom(g);
		}
		cJSON_AddItemToArray(list, ref);
		if (take(g, T_VM, tail(vmid), obj, nic->file, nic->path) < 0)
			return -1;
		nic = &g->r[i]; /* take() may have moved the list */
		struct res *nv = &g->r[g->n - 1];
		char merged[300];

		snprintf(merged, sizeof(merged), "virtualMachines[%d]", cJSON_GetArraySize(g->arrays[T_VM]));
		if (!cJSON_AddItemReferenceToArray(g->arrays[T_VM], nv->obj))
			return oom(g);
		nv->taken = true;
		if (set_merged(g, nv, merged) < 0)
			return -1;
	}
	/* A VM's NIC entries as references alone: {"id", "properties": {"primary"}} is not a NIC. */
	for (size_t j = 0; j < g->n; j++) {
		struct res *vm = &g->r[j];
		cJSON *np = vm->t == T_VM && vm->taken ? prop(vm->obj, "networkProfile") : NULL, *e;

		cJSON_ArrayForEach(e, (np ? prop(np, "networkInterfaces") : NULL)) {
			const char *id = str_of(e, "id");

			if (id && cJSON_GetArraySize(e) > 1) {
				cJSON *c = e->child;

				while (c) {
					cJSON *next = c->next;

					if (strcasecmp(c->string, "id"))
						cJSON_Delete(cJSON_DetachItemViaPointer(e, c));
					c = next;
				}
			}
		}
	}
	return 0;
}

/* ---- gateways ---------------------------------------------------------------------------------- */

static int xfail(struct gather *g, const struct res *x, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int xfail(struct gather *g, const struct res *x, const char *what, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return nws_err_set(g->err, "%s: %s%s%s '%s': %s", x->file, x->path, *x->path ? ": " : "", what, x->name, msg);
}

/*
 * Each virtual network gateway into its network's "gateway": the network its GatewaySubnet is in,
 * Vpn or ExpressRoute, its public address when the export has it, and as local networks the
 * local network gateways its site-to-site (IPsec) connections reach. What joins nothing is said.
 */
static int attach_gateways(struct gather *g)
{
	for (size_t i = 0; i < g->nx; i++) {
		struct res *gw = &g->x[i];

		if (gw->t != X_VGW)
			continue;
		const cJSON *c0 = cJSON_GetArrayItem(prop(gw->obj, "ipConfigurations"), 0);
		const char *sid = c0 ? ref_of(prop(c0, "subnet")) : NULL, *pid = c0 ? ref_of(prop(c0, "publicIPAddress")) : NULL;
		const cJSON *gt = prop(gw->obj, "gatewayType");
		char vname[256];

		if (!sid || !id_segment(sid, "virtualNetworks", vname, sizeof(vname)))
			return xfail(g, gw, "virtual network gateway", "ipConfigurations[0] names no subnet of a virtual network");
		struct res *vn = find_res(g, T_VNET, vname);

		if (!vn)
			return xfail(g, gw, "virtual network gateway", "its virtual network '%s' is in none of the files", vname);
		if (prop(vn->obj, "gateway"))
			return xfail(g, gw, "virtual network gateway", "virtual network '%s' has a gateway already", vname);
		cJSON *o = cJSON_CreateObject(), *lns = o ? cJSON_AddArrayToObject(o, "localNetworks") : NULL;

		if (!lns || !cJSON_AddStringToObject(o, "name", gw->name) ||
		    !cJSON_AddStringToObject(o, "type", cJSON_IsString(gt) ? gt->valuestring : "Vpn")) {
			cJSON_Delete(o);
			return oom(g);
		}
		struct res *pip = pid ? find_x(g, X_PIP, tail(pid)) : NULL;
		const cJSON *ip = pip ? prop(pip->obj, "ipAddress") : NULL;

		if (cJSON_IsString(ip) && !cJSON_AddStringToObject(o, "publicIpAddress", ip->valuestring)) {
			cJSON_Delete(o);
			return oom(g);
		}
		for (size_t j = 0; j < g->nx; j++) {
			struct res *cn = &g->x[j];
			const char *g1 = cn->t == X_CONN ? ref_of(prop(cn->obj, "virtualNetworkGateway1")) : NULL;
			const cJSON *ct = cn->t == X_CONN ? prop(cn->obj, "connectionType") : NULL;

			if (!g1 || strcasecmp(tail(g1), gw->name) || (cJSON_IsString(ct) && strcasecmp(ct->valuestring, "IPsec")))
				continue;
			const char *l2 = ref_of(prop(cn->obj, "localNetworkGateway2"));
			struct res *lg = l2 ? find_x(g, X_LGW, tail(l2)) : NULL;

			if (!lg) {
				cJSON_Delete(o);
				return xfail(g, cn, "connection", "its local network gateway '%s' is in none of the files", l2 ? tail(l2) : "?");
			}
			const cJSON *pfx = cJSON_GetObjectItem(prop(lg->obj, "localNetworkAddressSpace"), "addressPrefixes");
			cJSON *ln = cJSON_CreateObject(), *pl;

			if (!ln || !cJSON_AddItemToArray(lns, ln)) {
				cJSON_Delete(ln);
				cJSON_Delete(o);
				return oom(g);
			}
			pl = pfx ? cJSON_Duplicate(pfx, true) : cJSON_CreateArray();
			if (!pl || !cJSON_AddItemToObject(ln, "addressPrefixes", pl)) {
				cJSON_Delete(pl);
				cJSON_Delete(o);
				return oom(g);
			}
			if (!cJSON_AddStringToObject(ln, "name", lg->name)) {
				cJSON_Delete(o);
				return oom(g);
			}
			cn->taken = lg->taken = true;
		}
		gw->taken = true;
		cJSON_AddItemToObject(vn->obj, "gateway", o);
	}
	for (size_t i = 0; i < g->nx; i++) {
		const struct res *x = &g->x[i];

		if (x->taken || x->t == X_PIP)
			continue;
		if (warn(g, "%s: %s%s%s '%s' %s: traffic through it is judged as if it were not there", x->file, x->path, *x->path ? ": " : "",
			 xtypes[x->t], x->name, x->t == X_LGW ? "has no site-to-site connection to a gateway in the files" : "is not simulated") < 0)
			return -1;
	}
	return 0;
}

/* ---- the whole ------------------------------------------------------------------------------- */

/*
 * Each parameter given goes to the templates that declare it, as if each were deployed with the
 * parameters meant for it. One that no template declares is refused: Azure refuses a parameter
 * its template does not declare, and a misspelt name would otherwise be dropped unseen.
 */
static int params_declared(struct gather *g, const struct tg_file *files, size_t n)
{
	char who[512];

	for (size_t i = 0; i < n; i++) {
		char what[256];
		const cJSON *d;

		if (tg_classify(files[i].root, what, sizeof(what)) != TG_TEMPLATE)
			continue;
		if (!g->ntemplates++)
			g->template1 = files[i].name;
		cJSON_ArrayForEach(d, cJSON_GetObjectItem(files[i].root, "parameters"))
			if (!cJSON_GetObjectItem(g->declared, d->string) && !cJSON_AddItemToObject(g->declared, d->string, cJSON_CreateTrue()))
				return oom(g);
	}
	if (!g->ntemplates)
		return nws_err_set(g->err, "%s: none of the -t files is an ARM template", g->o->nparam_files ? "--parameters" : "--parameter");

	if (g->ntemplates == 1)
		snprintf(who, sizeof(who), "%s declares no parameter of that name", g->template1);
	else
		snprintf(who, sizeof(who), "none of the %zu templates declares a parameter of that name", g->ntemplates);
	for (size_t f = 0; f < g->o->nparam_files; f++) {
		const struct tg_file *pf = &g->o->param_files[f];
		const cJSON *ps = cJSON_GetObjectItem(pf->root, "parameters"), *e;

		if (!cJSON_IsObject(ps))
			ps = pf->root;
		cJSON_ArrayForEach(e, ps) {
			if (strcmp(e->string, "$schema") && strcmp(e->string, "contentVersion") &&
			    !cJSON_GetObjectItem(g->declared, e->string))
				return nws_err_set(g->err, "%s: parameters.%s: %s (Azure refuses it too)", pf->name,
						   e->string, who);
		}
	}
	for (size_t i = 0; i < g->o->nparams; i++) {
		const char *s = g->o->params[i], *eq = strchr(s, '=');
		char name[256];

		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - s) : 0, s);
		if (!cJSON_GetObjectItem(g->declared, name))
			return nws_err_set(g->err, "--parameter %s: %s", name, who);
	}
	return 0;
}

int tg_gather(const struct tg_file *files, size_t n, const struct tg_opts *o, struct tg_result *out, struct nws_err *err)
{
	struct gather gv = { .o = o, .out = out, .err = err }, *g = &gv;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	g->sub = o->subscription ? o->subscription : AZ_SUBSCRIPTION;
	g->rg = o->resource_group ? o->resource_group : AZ_RESOURCE_GROUP;
	g->loc = o->location ? o->location : "westus";
	out->root = cJSON_CreateObject();
	g->tags = cJSON_CreateObject();
	g->dns = cJSON_CreateObject();
	g->hosts = cJSON_CreateArray();
	g->declared = cJSON_CreateObject();
	if (!out->root || !g->tags || !g->dns || !g->hosts || !g->declared) {
		oom(g);
		goto out;
	}
	for (size_t i = 0; i < NTYPES; i++)
		if (types[i].key && !(g->arrays[i] = cJSON_AddArrayToObject(out->root, types[i].key))) {
			oom(g);
			goto out;
		}
	/* Before any file is read: a parameter nothing declares is the error, not what it left unset. */
	if ((o->nparam_files || o->nparams) && params_declared(g, files, n) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char what[256];
		const struct tg_file *f = &files[i];
		int r = 0;

		switch (tg_classify(f->root, what, sizeof(what))) {
		case TG_NWSIM:
			r = take_own(g, f->root, f->name);
			break;
		case TG_RESOURCE:
			r = take_arm(g, f->root, f->name, "");
			break;
		case TG_LIST:
			r = take_list(g, f->root, f->name, "");
			break;
		case TG_VALUE:
			r = take_list(g, cJSON_GetObjectItem(f->root, "value"), f->name, "value");
			break;
		case TG_TEMPLATE:
			r = take_template(g, f->root, f->name);
			break;
		case TG_TAGS:
			r = take_tags(g, f->root, f->name);
			break;
		case TG_PARAMETERS:
			nws_err_set(err, "%s: an ARM parameters file, not a network: give it with --parameters", f->name);
			goto out;
		case TG_UNKNOWN:
			nws_err_set(err, "%s: not a topology, ARM resource, resource list, ARM template or service-tag file: %s", f->name, what);
			goto out;
		}
		if (r < 0)
			goto out;
	}

	if (join_top(g) < 0 || join_children(g) < 0 || attach_gateways(g) < 0)
		goto out;
	for (size_t i = 0; i < g->n; i++) {
		struct res *r = &g->r[i];

		if (!r->taken)
			continue;
		if (r->t == T_NSG && (backref(g, r, "subnets", "networkSecurityGroup", "network security group") < 0 ||
				      backref(g, r, "networkInterfaces", "networkSecurityGroup", "network security group") < 0))
			goto out;
		if (r->t == T_RT && backref(g, r, "subnets", "routeTable", "route table") < 0)
			goto out;
	}
	if (vm_nics(g) < 0)
		goto out;
	if (g->tags->child) {
		cJSON_AddItemToObject(out->root, "serviceTags", g->tags);
		g->tags = NULL;
	}
	if (g->dns->child) {
		cJSON_AddItemToObject(out->root, "dns", g->dns);
		g->dns = NULL;
	}
	if (g->hosts->child) {
		cJSON_AddItemToObject(out->root, "externalHosts", g->hosts);
		g->hosts = NULL;
	}
	if (g->latency) {
		cJSON_AddItemToObject(out->root, "latency", g->latency);
		g->latency = NULL;
	}
	/* The document holds references to the resources' objects: make them its own. */
	{
		cJSON *whole = cJSON_Duplicate(out->root, true);

		if (!whole) {
			oom(g);
			goto out;
		}
		cJSON_Delete(out->root);
		out->root = whole;
	}
	rc = 0;
out:
	res_free(g->r, g->n);
	res_free(g->x, g->nx);
	cJSON_Delete(g->tags);
	cJSON_Delete(g->dns);
	cJSON_Delete(g->hosts);
	cJSON_Delete(g->declared);
	cJSON_Delete(g->latency);
	if (rc < 0)
		tg_result_free(out);
	return rc;
}

void tg_result_free(struct tg_result *r)
{
	if (!r)
		return;
	cJSON_Delete(r->root);
	for (size_t i = 0; i < r->nplaces; i++) {
		free(r->places[i].merged);
		free(r->places[i].path);
	}
	free(r->places);
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	memset(r, 0, sizeof(*r));
}

int tg_translate(const struct tg_result *r, const char *path, const char **file, char *buf, size_t len)
{
	const struct tg_place *best = NULL;
	size_t bl = 0;

	for (size_t i = 0; r && i < r->nplaces; i++) {
		size_t l = strlen(r->places[i].merged);

		if (l > bl && !strncmp(path, r->places[i].merged, l) && (path[l] == 0 || path[l] == '.' || path[l] == '[')) {
			best = &r->places[i];
			bl = l;
		}
	}
	if (!best)
		return 0;
	const char *rest = path + bl;

	if (!best->path[0] && *rest == '.')
		rest++;
	snprintf(buf, len, "%s%s", best->path, rest);
	*file = best->file;
	return 1;
}
