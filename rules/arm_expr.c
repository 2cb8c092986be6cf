/*
 * ARM template expressions, parsed and evaluated in one pass. The grammar is ARM's: a call
 * name(args) or a literal ('text' with '' for a quote, an integer), followed by .property and
 * [index] accesses. if() evaluates only the branch it takes, as ARM does, so the other may use
 * what does not exist (a parameter left empty on purpose). A function nwsim does not implement
 * is an error naming it: a guessed value would be a silently wrong network.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm_expr.h"
#include "nws_addr.h"

/* A parse in progress: the text, where it is, and the error (set once). */
struct px {
	struct ax_ctx *x;
	const char *s, *p;
	struct nws_err *err;
	bool failed;
};

static cJSON *perr(struct px *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static cJSON *perr(struct px *p, const char *fmt, ...)
{
	if (!p->failed) {
		va_list ap;

		va_start(ap, fmt);
		nws_err_vset(p->err, fmt, ap);
		va_end(ap);
		p->failed = true;
	}
	return NULL;
}

static const char *ax_type(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "an integer";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "null";
}

/* ---- the context ------------------------------------------------------------------------------ */

void ax_init(struct ax_ctx *x, const cJSON *params, const cJSON *given, const cJSON *vars, const char *subscription,
	     const char *resource_group, const char *location, const char *deployment)
{
	memset(x, 0, sizeof(*x));
	x->params = params;
	x->given = given;
	x->vars = vars;
	x->subscription = subscription;
	x->resource_group = resource_group;
	x->location = location;
	x->deployment = deployment;
	x->cache = cJSON_CreateObject();
}

void ax_free(struct ax_ctx *x)
{
	if (!x)
		return;
	cJSON_Delete(x->cache);
	x->cache = NULL;
}

int ax_loop_push(struct ax_ctx *x, const char *name, long index, bool resource, struct nws_err *err)
{
	if (x->nloops == AX_MAX_LOOPS)
		return nws_err_set(err, "copy loops nested more than %d deep", AX_MAX_LOOPS);
	x->loop[x->nloops].name = name;
	x->loop[x->nloops].index = index;
	x->loop[x->nloops].resource = resource;
	x->nloops++;
	return 0;
}

void ax_loop_pop(struct ax_ctx *x)
{
	if (x->nloops > 0)
		x->nloops--;
}

/* ---- values ----------------------------------------------------------------------------------- */

static bool is_int(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 9007199254740992.0;
}

/* The text concat(), format() and string() make of a value: ARM's (.NET's) spelling. */
static char *to_text(const cJSON *v)
{
	char buf[64];

	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	if (cJSON_IsNumber(v)) {
		if (is_int(v))
			snprintf(buf, sizeof(buf), "%.0f", v->valuedouble);
		else
			snprintf(buf, sizeof(buf), "%.17g", v->valuedouble);
		return strdup(buf);
	}
	if (cJSON_IsBool(v))
		return strdup(cJSON_IsTrue(v) ? "True" : "False");
	if (cJSON_IsNull(v))
		return strdup("");
	/* cJSON's memory may be a load's bulk blocks (jbump.h): the caller frees with free(). */
	char *p = cJSON_PrintUnformatted(v), *r = p ? strdup(p) : NULL;

	cJSON_free(p);
	return r;
}

/* A growing string for results built a piece at a time. */
struct sb {
	char *s;
	size_t n, cap;
	bool oom;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 64;

		while (c < b->n + n + 1)
			c *= 2;
		char *ns = realloc(b->s, c);

		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = c;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = 0;
}

static cJSON *sb_take(struct px *p, struct sb *b)
{
	cJSON *r;

	if (b->oom) {
		free(b->s);
		return perr(p, "out of memory");
	}
	r = cJSON_CreateString(b->s ? b->s : "");
	free(b->s);
	return r ? r : perr(p, "out of memory");
}

/* ---- the functions ---------------------------------------------------------------------------- */

typedef cJSON *(*ax_fn)(struct px *p, const char *name, cJSON **a, int n);

static cJSON *need(struct px *p, const char *name, cJSON **a, int i, bool ok, const char *what)
{
	if (ok)
		return a[i];
	return perr(p, "%s(): argument %d must be %s, found %s", name, i + 1, what, ax_type(a[i]));
}

#define NEED_STR(i) \
	if (!need(p, name, a, i, cJSON_IsString(a[i]), "a string")) \
		return NULL
#define NEED_INT(i) \
	if (!need(p, name, a, i, is_int(a[i]), "an integer")) \
		return NULL

static cJSON *num(struct px *p, double d)
{
	cJSON *r = cJSON_CreateNumber(d);

	return r ? r : perr(p, "out of memory");
}

static cJSON *str(struct px *p, const char *s)
{
	cJSON *r = cJSON_CreateString(s);

	return r ? r : perr(p, "out of memory");
}

static cJSON *boolean(struct px *p, bool b)
{
	cJSON *r = cJSON_CreateBool(b);

	return r ? r : perr(p, "out of memory");
}

static cJSON *dup(struct px *p, const cJSON *v)
{
	cJSON *r = v ? cJSON_Duplicate(v, true) : cJSON_CreateNull();

	return r ? r : perr(p, "out of memory");
}

static cJSON *f_parameters(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	NEED_STR(0);
	const cJSON *v = ax_parameter(p->x, a[0]->valuestring, p->err);

	if (!v) {
		p->failed = true;
		return NULL;
	}
	return dup(p, v);
}

static const cJSON *variable(struct ax_ctx *x, const char *name, struct nws_err *err);

static cJSON *f_variables(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	NEED_STR(0);
	const cJSON *v = variable(p->x, a[0]->valuestring, p->err);

	if (!v) {
		p->failed = true;
		return NULL;
	}
	return dup(p, v);
}

static cJSON *f_copyindex(struct px *p, const char *name, cJSON **a, int n)
{
	const char *loop = NULL;
	double off = 0;

	for (int i = 0; i < n; i++) {
		if (cJSON_IsString(a[i]) && i == 0)
			loop = a[i]->valuestring;
		else if (is_int(a[i]))
			off = a[i]->valuedouble;
		else
			return need(p, name, a, i, false, i == 0 ? "a loop name or an integer" : "an integer");
	}
	for (int i = p->x->nloops - 1; i >= 0; i--)
		if (loop ? !strcasecmp(p->x->loop[i].name ? p->x->loop[i].name : "", loop) : p->x->loop[i].resource)
			return num(p, (double)p->x->loop[i].index + off);
	if (!loop && p->x->nloops > 0)
		return num(p, (double)p->x->loop[p->x->nloops - 1].index + off);
	if (loop)
		return perr(p, "copyIndex('%s'): no copy loop of that name here", loop);
	return perr(p, "copyIndex(): not inside a copy loop");
}

static cJSON *f_concat(struct px *p, const char *name, cJSON **a, int n)
{
	(void)name;
	if (n > 0 && cJSON_IsArray(a[0])) {
		cJSON *r = cJSON_CreateArray();

		if (!r)
			return perr(p, "out of memory");
		for (int i = 0; i < n; i++) {
			const cJSON *e;

			if (!cJSON_IsArray(a[i])) {
				cJSON_Delete(r);
				return need(p, "concat", a, i, false, "an array, as the first one is");
			}
			cJSON_ArrayForEach(e, a[i]) cJSON_AddItemToArray(r, cJSON_Duplicate(e, true));
		}
		return r;
	}
	struct sb b = { 0 };

	for (int i = 0; i < n; i++) {
		if (cJSON_IsArray(a[i]) || cJSON_IsObject(a[i]))
			return free(b.s), need(p, "concat", a, i, false, "a string or an integer, as the first one is");
		char *t = to_text(a[i]);

		if (!t)
			return free(b.s), perr(p, "out of memory");
		sb_add(&b, t, strlen(t));
		free(t);
	}
	return sb_take(p, &b);
}

/* .NET composite formatting: {index[,alignment][:format]}, "{{" and "}}" for braces. */
static cJSON *f_format(struct px *p, const char *name, cJSON **a, int n)
{
	NEED_STR(0);
	struct sb b = { 0 };

	for (const char *s = a[0]->valuestring; *s; s++) {
		if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
			sb_add(&b, s, 1);
			s++;
			continue;
		}
		if (*s == '}') {
			free(b.s);
			return perr(p, "format(): a lone '}' in '%s'", a[0]->valuestring);
		}
		if (*s != '{') {
			sb_add(&b, s, 1);
			continue;
		}
		char *end;
		long idx = strtol(s + 1, &end, 10), align = 0;
		const char *spec = NULL;
		size_t speclen = 0;

		if (end == s + 1 || idx < 0 || idx + 1 >= n) {
			free(b.s);
			return perr(p, "format(): '%s' names an argument that is not there", a[0]->valuestring);
		}
		if (*end == ',')
			align = strtol(end + 1, &end, 10);
		if (*end == ':') {
			spec = end + 1;
			end = strchr(spec, '}');
			if (!end)
				break;
			speclen = (size_t)(end - spec);
		}
		if (*end != '}') {
			free(b.s);
			return perr(p, "format(): '%s' has an unclosed '{'", a[0]->valuestring);
		}
		char *t = NULL, tmp[96];
		const cJSON *v = a[idx + 1];

		if (!spec) {
			t = to_text(v);
		} else if ((spec[0] == 'D' || spec[0] == 'd') && is_int(v)) {
			int width = speclen > 1 ? atoi(spec + 1) : 0;

			snprintf(tmp, sizeof(tmp), "%0*.0f", width < 64 ? width : 64, v->valuedouble);
			t = strdup(tmp);
		} else if ((spec[0] == 'X' || spec[0] == 'x') && is_int(v) && v->valuedouble >= 0) {
			int width = speclen > 1 ? atoi(spec + 1) : 0;

			snprintf(tmp, sizeof(tmp), spec[0] == 'X' ? "%0*" PRIX64 : "%0*" PRIx64, width < 64 ? width : 64,
				 (uint64_t)v->valuedouble);
			t = strdup(tmp);
		} else {
			free(b.s);
			return perr(p, "format(): the format '%.*s' is not supported", (int)speclen, spec);
		}
		if (!t) {
			free(b.s);
			return perr(p, "out of memory");
		}
		size_t tl = strlen(t);

		for (long k = (long)tl; k < align; k++)
			sb_add(&b, " ", 1);
		sb_add(&b, t, tl);
		for (long k = (long)tl; k < -align; k++)
			sb_add(&b, " ", 1);
		free(t);
		s = end;
	}
	return sb_take(p, &b);
}

/* "Microsoft.Network/virtualNetworks/subnets" + names: the provider path of an id. */
static cJSON *type_path(struct px *p, const char *fname, const char *prefix, cJSON **a, int n, int ti)
{
	if (ti >= n || !cJSON_IsString(a[ti]) || !strchr(a[ti]->valuestring, '/'))
		return perr(p, "%s(): no resource type (namespace/type) among the arguments", fname);
	/* Templates write 'Microsoft.Network/publicIPAddresses/' as often as without the slash, and
	 * ARM takes both: trailing slashes name no further type. */
	char type[256];
	size_t len = strlen(a[ti]->valuestring);

	while (len > 0 && a[ti]->valuestring[len - 1] == '/')
		len--;
	if (len >= sizeof(type))
		return perr(p, "%s(): resource type '%.40s...' is too long", fname, a[ti]->valuestring);
	memcpy(type, a[ti]->valuestring, len);
	type[len] = 0;
	const char *slash = strchr(type, '/');
	int segs = 0;

	if (!slash)
		return perr(p, "%s(): no resource type (namespace/type) among the arguments", fname);
	for (const char *s = slash; s; s = strchr(s + 1, '/'))
		segs++;
	if (n - ti - 1 != segs)
		return perr(p, "%s(): resource type '%s' takes %d name%s, %d given", fname, type, segs, segs == 1 ? "" : "s",
			    n - ti - 1);
	struct sb b = { 0 };

	sb_add(&b, prefix, strlen(prefix));
	sb_add(&b, "/providers/", 11);
	sb_add(&b, type, (size_t)(slash - type));
	const char *t = slash;

	for (int i = 0; i < segs; i++) {
		const char *next = strchr(t + 1, '/');
		size_t tl = next ? (size_t)(next - t) : strlen(t);
		cJSON *nm = a[ti + 1 + i];

		if (!cJSON_IsString(nm) && !is_int(nm)) {
			free(b.s);
			return need(p, fname, a, ti + 1 + i, false, "a resource name");
		}
		char *nt = to_text(nm);

		if (!nt) {
			free(b.s);
			return perr(p, "out of memory");
		}
		sb_add(&b, t, tl);
		sb_add(&b, "/", 1);
		sb_add(&b, nt, strlen(nt));
		free(nt);
		t = next;
	}
	return sb_take(p, &b);
}

static int type_index(cJSON **a, int n)
{
	for (int i = 0; i < n; i++)
		if (cJSON_IsString(a[i]) && strchr(a[i]->valuestring, '/') && a[i]->valuestring[0] != '/')
			return i;
	return n;
}

static cJSON *f_resourceid(struct px *p, const char *name, cJSON **a, int n)
{
	int ti = type_index(a, n);
	const char *sub = p->x->subscription, *rg = p->x->resource_group;
	char prefix[512];

	if (ti > 2)
		return perr(p, "%s(): at most a subscription and a resource group before the type", name);
	for (int i = 0; i < ti; i++)
		NEED_STR(i);
	if (ti == 2) {
		sub = a[0]->valuestring;
		rg = a[1]->valuestring;
	} else if (ti == 1) {
		rg = a[0]->valuestring;
	}
	snprintf(prefix, sizeof(prefix), "/subscriptions/%s/resourceGroups/%s", sub, rg);
	return type_path(p, name, prefix, a, n, ti);
}

static cJSON *f_subscriptionresourceid(struct px *p, const char *name, cJSON **a, int n)
{
	int ti = type_index(a, n);
	char prefix[512];

	if (ti > 1)
		return perr(p, "%s(): at most a subscription before the type", name);
	if (ti == 1)
		NEED_STR(0);
	snprintf(prefix, sizeof(prefix), "/subscriptions/%s", ti == 1 ? a[0]->valuestring : p->x->subscription);
	return type_path(p, name, prefix, a, n, ti);
}

static cJSON *f_tenantresourceid(struct px *p, const char *name, cJSON **a, int n)
{
	return type_path(p, name, "", a, n, 0);
}

static cJSON *f_extensionresourceid(struct px *p, const char *name, cJSON **a, int n)
{
	NEED_STR(0);
	return type_path(p, name, a[0]->valuestring, a, n, 1);
}

static cJSON *f_subscription(struct px *p, const char *name, cJSON **a, int n)
{
	(void)name, (void)a, (void)n;
	cJSON *r = cJSON_CreateObject();
	char id[256];

	snprintf(id, sizeof(id), "/subscriptions/%s", p->x->subscription);
	if (!r || !cJSON_AddStringToObject(r, "id", id) || !cJSON_AddStringToObject(r, "subscriptionId", p->x->subscription) ||
	    !cJSON_AddStringToObject(r, "tenantId", "00000000-0000-0000-0000-000000000000") ||
	    !cJSON_AddStringToObject(r, "displayName", p->x->subscription))
		return cJSON_Delete(r), perr(p, "out of memory");
	return r;
}

static cJSON *f_resourcegroup(struct px *p, const char *name, cJSON **a, int n)
{
	(void)name, (void)a, (void)n;
	cJSON *r = cJSON_CreateObject(), *props;
	char id[512];

	snprintf(id, sizeof(id), "/subscriptions/%s/resourceGroups/%s", p->x->subscription, p->x->resource_group);
	if (!r || !cJSON_AddStringToObject(r, "id", id) || !cJSON_AddStringToObject(r, "name", p->x->resource_group) ||
	    !cJSON_AddStringToObject(r, "type", "Microsoft.Resources/resourceGroups") ||
	    !cJSON_AddStringToObject(r, "location", p->x->location) || !(props = cJSON_AddObjectToObject(r, "properties")) ||
	    !cJSON_AddStringToObject(props, "provisioningState", "Succeeded"))
		return cJSON_Delete(r), perr(p, "out of memory");
	return r;
}

static cJSON *f_deployment(struct px *p, const char *name, cJSON **a, int n)
{
	(void)name, (void)a, (void)n;
	cJSON *r = cJSON_CreateObject(), *props;

	if (!r || !cJSON_AddStringToObject(r, "name", p->x->deployment) || !(props = cJSON_AddObjectToObject(r, "properties")) ||
	    !cJSON_AddStringToObject(props, "mode", "Incremental"))
		return cJSON_Delete(r), perr(p, "out of memory");
	return r;
}

static cJSON *f_environment(struct px *p, const char *name, cJSON **a, int n)
{
	(void)name, (void)a, (void)n;
	cJSON *r = cJSON_CreateObject(), *suf;

	if (!r || !cJSON_AddStringToObject(r, "name", "AzureCloud") ||
	    !cJSON_AddStringToObject(r, "resourceManager", "https://management.azure.com/") ||
	    !(suf = cJSON_AddObjectToObject(r, "suffixes")) || !cJSON_AddStringToObject(suf, "storage", "core.windows.net") ||
	    !cJSON_AddStringToObject(suf, "sqlServerHostname", ".database.windows.net") ||
	    !cJSON_AddStringToObject(suf, "keyvaultDns", ".vault.azure.net"))
		return cJSON_Delete(r), perr(p, "out of memory");
	return r;
}

static bool truthy(struct px *p, const char *name, cJSON **a, int i)
{
	if (cJSON_IsBool(a[i]))
		return cJSON_IsTrue(a[i]);
	need(p, name, a, i, false, "a boolean");
	return false;
}

static cJSON *f_equals(struct px *p, const char *name, cJSON **a, int n)
{
	(void)name, (void)n;
	return boolean(p, cJSON_Compare(a[0], a[1], true));
}

static cJSON *f_not(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	bool v = truthy(p, name, a, 0);

	return p->failed ? NULL : boolean(p, !v);
}

static cJSON *f_andor(struct px *p, const char *name, cJSON **a, int n)
{
	bool is_and = !strcasecmp(name, "and"), r = is_and;

	for (int i = 0; i < n; i++) {
		bool v = truthy(p, name, a, i);

		if (p->failed)
			return NULL;
		r = is_and ? r && v : r || v;
	}
	return boolean(p, r);
}

static cJSON *f_bool(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	if (cJSON_IsBool(a[0]))
		return boolean(p, cJSON_IsTrue(a[0]));
	if (cJSON_IsString(a[0]) && (!strcasecmp(a[0]->valuestring, "true") || !strcasecmp(a[0]->valuestring, "false")))
		return boolean(p, !strcasecmp(a[0]->valuestring, "true"));
	if (is_int(a[0]))
		return boolean(p, a[0]->valuedouble != 0);
	return need(p, name, a, 0, false, "'true', 'false', a boolean or an integer");
}

static cJSON *f_true(struct px *p, const char *name, cJSON **a, int n)
{
	(void)a, (void)n;
	return boolean(p, !strcasecmp(name, "true"));
}

static cJSON *f_null(struct px *p, const char *name, cJSON **a, int n)
{
	(void)name, (void)a, (void)n;
	return dup(p, NULL);
}

static cJSON *f_string(struct px *p, const char *name, cJSON **a, int n)
{
	(void)name, (void)n;
	char *t = to_text(a[0]);
	cJSON *r;

	if (!t)
		return perr(p, "out of memory");
	r = str(p, t);
	free(t);
	return r;
}

static cJSON *f_int(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	if (is_int(a[0]))
		return num(p, a[0]->valuedouble);
	if (cJSON_IsNumber(a[0]))
		return num(p, trunc(a[0]->valuedouble));
	if (cJSON_IsString(a[0])) {
		char *end;
		const char *s = a[0]->valuestring;

		errno = 0;
		long long v = strtoll(s, &end, 10);

		if (*s && !*end && !errno)
			return num(p, (double)v);
		return perr(p, "int(): '%s' is not an integer", s);
	}
	return need(p, name, a, 0, false, "a string or an integer");
}

static cJSON *f_arith(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	NEED_INT(0);
	NEED_INT(1);
	long long x = (long long)a[0]->valuedouble, y = (long long)a[1]->valuedouble;

	switch (tolower((unsigned char)name[0]) == 'm' ? name[1] : name[0]) {
	case 'a':
	case 'A':
		return num(p, (double)(x + y));
	case 's':
	case 'S':
		return num(p, (double)(x - y));
	case 'u':
	case 'U':
		return num(p, (double)(x * y));
	case 'o':
	case 'O':
		if (!y)
			return perr(p, "mod(): division by zero");
		return num(p, (double)(x % y));
	default:
		if (!y)
			return perr(p, "div(): division by zero");
		return num(p, (double)(x / y));
	}
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static cJSON *f_length(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	if (cJSON_IsString(a[0]))
		return num(p, (double)utf8_chars(a[0]->valuestring));
	if (cJSON_IsArray(a[0]) || cJSON_IsObject(a[0]))
		return num(p, cJSON_GetArraySize(a[0]));
	return need(p, name, a, 0, false, "a string, an array or an object");
}

static cJSON *f_empty(struct px *p, const char *name, cJSON **a, int n)
{
	(void)name, (void)n;
	if (cJSON_IsString(a[0]))
		return boolean(p, !a[0]->valuestring[0]);
	if (cJSON_IsArray(a[0]) || cJSON_IsObject(a[0]))
		return boolean(p, cJSON_GetArraySize(a[0]) == 0);
	return boolean(p, cJSON_IsNull(a[0]));
}

static cJSON *f_split(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	NEED_STR(0);
	const char *delims[64];
	int nd = 0;

	if (cJSON_IsString(a[1])) {
		delims[nd++] = a[1]->valuestring;
	} else if (cJSON_IsArray(a[1])) {
		const cJSON *e;

		cJSON_ArrayForEach(e, a[1]) {
			if (!cJSON_IsString(e) || nd == 64)
				return need(p, name, a, 1, false, "a string or an array of up to 64 strings");
			delims[nd++] = e->valuestring;
		}
	} else {
		return need(p, name, a, 1, false, "a string or an array of strings");
	}
	cJSON *r = cJSON_CreateArray();
	const char *s = a[0]->valuestring, *start = s;

	if (!r)
		return perr(p, "out of memory");
	while (*s) {
		size_t hit = 0;

		for (int d = 0; d < nd && !hit; d++)
			if (delims[d][0] && !strncmp(s, delims[d], strlen(delims[d])))
				hit = strlen(delims[d]);
		if (!hit) {
			s++;
			continue;
		}
		char *piece = strndup(start, (size_t)(s - start));
		cJSON *e = piece ? cJSON_CreateString(piece) : NULL;

		free(piece);
		if (!e) {
			cJSON_Delete(r);
			return perr(p, "out of memory");
		}
		cJSON_AddItemToArray(r, e);
		s += hit;
		start = s;
	}
	cJSON_AddItemToArray(r, cJSON_CreateString(start));
	return r;
}

static cJSON *f_replace(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	NEED_STR(0);
	NEED_STR(1);
	NEED_STR(2);
	const char *s = a[0]->valuestring, *old = a[1]->valuestring, *nw = a[2]->valuestring;
	size_t ol = strlen(old);
	struct sb b = { 0 };

	if (!ol)
		return perr(p, "replace(): the text to replace is empty");
	sb_add(&b, "", 0);
	for (const char *hit; (hit = strstr(s, old)); s = hit + ol) {
		sb_add(&b, s, (size_t)(hit - s));
		sb_add(&b, nw, strlen(nw));
	}
	sb_add(&b, s, strlen(s));
	return sb_take(p, &b);
}

static cJSON *f_case(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	NEED_STR(0);
	bool up = !strcasecmp(name, "toUpper");
	cJSON *r = str(p, a[0]->valuestring);

	if (r)
		for (char *s = r->valuestring; *s; s++)
			*s = (char)(up ? toupper((unsigned char)*s) : tolower((unsigned char)*s));
	return r;
}

static cJSON *f_trim(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	NEED_STR(0);
	const char *s = a[0]->valuestring, *e = s + strlen(s);

	while (*s && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	char *t = strndup(s, (size_t)(e - s));
	cJSON *r = t ? str(p, t) : perr(p, "out of memory");

	free(t);
	return r;
}

static cJSON *f_substring(struct px *p, const char *name, cJSON **a, int n)
{
	NEED_STR(0);
	NEED_INT(1);
	size_t len = strlen(a[0]->valuestring);
	double start = a[1]->valuedouble, cnt;

	if (n > 2)
		NEED_INT(2);
	cnt = n > 2 ? a[2]->valuedouble : (double)len - start;
	if (start < 0 || cnt < 0 || start + cnt > (double)len)
		return perr(p, "substring(): %.0f characters from %.0f are beyond '%s'", cnt, start, a[0]->valuestring);
	char *t = strndup(a[0]->valuestring + (size_t)start, (size_t)cnt);
	cJSON *r = t ? str(p, t) : perr(p, "out of memory");

	free(t);
	return r;
}

/* take() and skip() of a string or an array. */
static cJSON *f_takeskip(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	NEED_INT(1);
	bool take = !strcasecmp(name, "take");
	double k = a[1]->valuedouble;

	if (cJSON_IsString(a[0])) {
		size_t len = strlen(a[0]->valuestring), c = k < 0 ? 0 : k > (double)len ? len : (size_t)k;
		char *t = take ? strndup(a[0]->valuestring, c) : strdup(a[0]->valuestring + c);
		cJSON *r = t ? str(p, t) : perr(p, "out of memory");

		free(t);
		return r;
	}
	if (!cJSON_IsArray(a[0]))
		return need(p, name, a, 0, false, "a string or an array");
	cJSON *r = cJSON_CreateArray();
	const cJSON *e;
	double i = 0;

	if (!r)
		return perr(p, "out of memory");
	cJSON_ArrayForEach(e, a[0]) {
		if (take ? i < k : i >= k)
			cJSON_AddItemToArray(r, cJSON_Duplicate(e, true));
		i++;
	}
	return r;
}

static cJSON *f_strtest(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	NEED_STR(0);
	NEED_STR(1);
	const char *s = a[0]->valuestring, *t = a[1]->valuestring;
	size_t sl = strlen(s), tl = strlen(t);

	/* ARM compares these without regard to case. */
	if (!strcasecmp(name, "startsWith"))
		return boolean(p, tl <= sl && !strncasecmp(s, t, tl));
	if (!strcasecmp(name, "endsWith"))
		return boolean(p, tl <= sl && !strcasecmp(s + sl - tl, t));
	long at = -1;

	for (size_t i = 0; tl <= sl && i + tl <= sl; i++)
		if (!strncasecmp(s + i, t, tl)) {
			at = (long)i;
			if (!strcasecmp(name, "indexOf"))
				break;
		}
	return num(p, (double)at);
}

static cJSON *f_contains(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	if (cJSON_IsString(a[0])) {
		char *t = to_text(a[1]);
		bool r = t && strstr(a[0]->valuestring, t);

		free(t);
		return boolean(p, r);
	}
	if (cJSON_IsObject(a[0])) {
		NEED_STR(1);
		return boolean(p, cJSON_GetObjectItem(a[0], a[1]->valuestring) != NULL);
	}
	if (cJSON_IsArray(a[0])) {
		const cJSON *e;

		cJSON_ArrayForEach(e, a[0]) if (cJSON_Compare(e, a[1], true)) return boolean(p, true);
		return boolean(p, false);
	}
	return need(p, name, a, 0, false, "a string, an array or an object");
}

static cJSON *f_padleft(struct px *p, const char *name, cJSON **a, int n)
{
	NEED_INT(1);
	char *t = to_text(a[0]);
	char pad = ' ';

	if (n > 2) {
		if (!cJSON_IsString(a[2]) || strlen(a[2]->valuestring) != 1) {
			free(t);
			return need(p, name, a, 2, false, "one character");
		}
		pad = a[2]->valuestring[0];
	}
	if (!t)
		return perr(p, "out of memory");
	struct sb b = { 0 };
	size_t tl = strlen(t);

	sb_add(&b, "", 0);
	for (double k = (double)tl; k < a[1]->valuedouble; k++)
		sb_add(&b, &pad, 1);
	sb_add(&b, t, tl);
	free(t);
	return sb_take(p, &b);
}

static cJSON *f_coalesce(struct px *p, const char *name, cJSON **a, int n)
{
	(void)name;
	for (int i = 0; i < n; i++)
		if (!cJSON_IsNull(a[i]))
			return dup(p, a[i]);
	return dup(p, NULL);
}

static cJSON *f_createarray(struct px *p, const char *name, cJSON **a, int n)
{
	(void)name;
	cJSON *r = cJSON_CreateArray();

	if (!r)
		return perr(p, "out of memory");
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(r, cJSON_Duplicate(a[i], true));
	return r;
}

static cJSON *f_array(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	if (cJSON_IsArray(a[0]))
		return dup(p, a[0]);
	return f_createarray(p, name, a, 1);
}

static cJSON *f_createobject(struct px *p, const char *name, cJSON **a, int n)
{
	if (n % 2)
		return perr(p, "createObject(): needs key and value pairs, %d arguments given", n);
	cJSON *r = cJSON_CreateObject();

	if (!r)
		return perr(p, "out of memory");
	for (int i = 0; i < n; i += 2) {
		if (!cJSON_IsString(a[i])) {
			cJSON_Delete(r);
			return need(p, name, a, i, false, "a string key");
		}
		cJSON_DeleteItemFromObject(r, a[i]->valuestring);
		cJSON_AddItemToObject(r, a[i]->valuestring, cJSON_Duplicate(a[i + 1], true));
	}
	return r;
}

static cJSON *f_json(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	NEED_STR(0);
	cJSON *r = cJSON_Parse(a[0]->valuestring);

	return r ? r : perr(p, "json(): '%s' is not valid JSON", a[0]->valuestring);
}

/* Objects merge, later values winning and objects inside merged again; arrays join without repeats. */
static int merge_into(cJSON *dst, const cJSON *src)
{
	const cJSON *e;

	if (cJSON_IsArray(dst)) {
		cJSON_ArrayForEach(e, src) {
			bool seen = false;
			const cJSON *d;

			cJSON_ArrayForEach(d, dst) if (cJSON_Compare(d, e, true)) seen = true;
			if (!seen && !cJSON_AddItemToArray(dst, cJSON_Duplicate(e, true)))
				return -1;
		}
		return 0;
	}
	cJSON_ArrayForEach(e, src) {
		cJSON *d = cJSON_GetObjectItem(dst, e->string);

		if (d && cJSON_IsObject(d) && cJSON_IsObject(e)) {
			if (merge_into(d, e) < 0)
				return -1;
			continue;
		}
		cJSON *c = cJSON_Duplicate(e, true);

		if (!c)
			return -1;
		/* In place: the merged object keeps the order its keys first came in. */
		if (d)
			cJSON_ReplaceItemViaPointer(dst, d, c);
		else if (!cJSON_AddItemToObject(dst, e->string, c))
			return -1;
	}
	return 0;
}

static cJSON *f_union(struct px *p, const char *name, cJSON **a, int n)
{
	bool arr = cJSON_IsArray(a[0]);

	for (int i = 0; i < n; i++)
		if (arr ? !cJSON_IsArray(a[i]) : !cJSON_IsObject(a[i]))
			return need(p, name, a, i, false, arr ? "an array, as the first one is" : "an object, as the first one is");
	cJSON *r = arr ? cJSON_CreateArray() : cJSON_CreateObject();

	for (int i = 0; r && i < n; i++)
		if (merge_into(r, a[i]) < 0) {
			cJSON_Delete(r);
			r = NULL;
		}
	return r ? r : perr(p, "out of memory");
}

static cJSON *f_intersection(struct px *p, const char *name, cJSON **a, int n)
{
	bool arr = cJSON_IsArray(a[0]);

	for (int i = 0; i < n; i++)
		if (arr ? !cJSON_IsArray(a[i]) : !cJSON_IsObject(a[i]))
			return need(p, name, a, i, false, arr ? "an array, as the first one is" : "an object, as the first one is");
	cJSON *r = cJSON_Duplicate(a[0], true);

	if (!r)
		return perr(p, "out of memory");
	for (int i = 1; i < n; i++) {
		cJSON *e = r->child;

		while (e) {
			cJSON *next = e->next;
			bool keep = false;
			const cJSON *o;

			if (arr) {
				cJSON_ArrayForEach(o, a[i]) if (cJSON_Compare(o, e, true)) keep = true;
			} else {
				o = cJSON_GetObjectItem(a[i], e->string);
				keep = o && cJSON_Compare(o, e, true);
			}
			if (!keep)
				cJSON_Delete(cJSON_DetachItemViaPointer(r, e));
			e = next;
		}
	}
	return r;
}

static cJSON *f_firstlast(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	bool first = !strcasecmp(name, "first");

	if (cJSON_IsString(a[0])) {
		const char *s = a[0]->valuestring;
		size_t l = strlen(s);
		char c[2] = { l ? (first ? s[0] : s[l - 1]) : 0, 0 };

		return str(p, c);
	}
	if (!cJSON_IsArray(a[0]))
		return need(p, name, a, 0, false, "a string or an array");
	int k = cJSON_GetArraySize(a[0]);

	return dup(p, k ? cJSON_GetArrayItem(a[0], first ? 0 : k - 1) : NULL);
}

static cJSON *f_range(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	NEED_INT(0);
	NEED_INT(1);
	if (a[1]->valuedouble < 0 || a[1]->valuedouble > 10000)
		return perr(p, "range(): a count of %.0f is outside 0..10000", a[1]->valuedouble);
	cJSON *r = cJSON_CreateArray();

	for (double i = 0; r && i < a[1]->valuedouble; i++)
		cJSON_AddItemToArray(r, cJSON_CreateNumber(a[0]->valuedouble + i));
	return r ? r : perr(p, "out of memory");
}

static cJSON *f_minmax(struct px *p, const char *name, cJSON **a, int n)
{
	bool mn = !strcasecmp(name, "min");
	cJSON **v = a;
	int k = n;
	cJSON *items[4096];

	if (n == 1 && cJSON_IsArray(a[0])) {
		k = 0;
		for (cJSON *e = a[0]->child; e && k < 4096; e = e->next)
			items[k++] = e;
		v = items;
	}
	if (!k)
		return perr(p, "%s(): no values", name);
	double best = 0;

	for (int i = 0; i < k; i++) {
		if (!is_int(v[i]))
			return perr(p, "%s(): every value must be an integer, found %s", name, ax_type(v[i]));
		if (!i || (mn ? v[i]->valuedouble < best : v[i]->valuedouble > best))
			best = v[i]->valuedouble;
	}
	return num(p, best);
}

static cJSON *f_compare(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	int c;

	if (is_int(a[0]) && is_int(a[1]))
		c = a[0]->valuedouble < a[1]->valuedouble ? -1 : a[0]->valuedouble > a[1]->valuedouble;
	else if (cJSON_IsString(a[0]) && cJSON_IsString(a[1]))
		c = strcmp(a[0]->valuestring, a[1]->valuestring);
	else
		return perr(p, "%s(): compares two integers or two strings, not %s and %s", name, ax_type(a[0]), ax_type(a[1]));
	if (!strcasecmp(name, "greater"))
		return boolean(p, c > 0);
	if (!strcasecmp(name, "less"))
		return boolean(p, c < 0);
	if (!strcasecmp(name, "greaterOrEquals"))
		return boolean(p, c >= 0);
	return boolean(p, c <= 0);
}

/* ARM's hash: a 64-bit MurmurHash variant (two 32-bit lanes), then 13 base-32 digits of it. */
static uint32_t rotl32(uint32_t x, int r)
{
	return x << r | x >> (32 - r);
}

void ax_unique_string(const char *s, size_t len, char out[14])
{
	const uint32_t c1 = 0xab0e9789u, c2 = 0x239b961bu, c3 = 0x85ebca6bu, c4 = 0xc2b2ae35u;
	const unsigned char *b = (const unsigned char *)s;
	uint32_t h1 = 0, h2 = 0, k1, k2;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		k1 = (uint32_t)b[i] | (uint32_t)b[i + 1] << 8 | (uint32_t)b[i + 2] << 16 | (uint32_t)b[i + 3] << 24;
		k2 = (uint32_t)b[i + 4] | (uint32_t)b[i + 5] << 8 | (uint32_t)b[i + 6] << 16 | (uint32_t)b[i + 7] << 24;
		h1 ^= rotl32(k1 * c2, 15) * c1;
		h1 = (rotl32(h1, 19) + h2) * 5 + 0x561ccd1bu;
		h2 ^= rotl32(k2 * c1, 17) * c2;
		h2 = (rotl32(h2, 13) + h1) * 5 + 0x0bcaa747u;
	}
	size_t rem = len - i;

	if (rem) {
		k1 = 0;
		for (size_t j = 0; j < rem && j < 4; j++)
			k1 |= (uint32_t)b[i + j] << (8 * j);
		h1 ^= rotl32(k1 * c2, 15) * c1;
		if (rem > 4) {
			k2 = 0;
			for (size_t j = 4; j < rem; j++)
				k2 |= (uint32_t)b[i + j] << (8 * (j - 4));
			h2 ^= rotl32(k2 * c1, 17) * c2;
		}
	}
	uint32_t l = (uint32_t)len, r0 = h2 ^ l, r1 = (h1 ^ l) + r0, r2 = r0 + r1;

	r1 = (r1 ^ r1 >> 16) * c3;
	r1 = (r1 ^ r1 >> 13) * c4;
	r1 ^= r1 >> 16;
	r2 = (r2 ^ r2 >> 16) * c3;
	r2 = (r2 ^ r2 >> 13) * c4;
	r2 ^= r2 >> 16;
	r1 += r2;
	r2 += r1;
	uint64_t h = (uint64_t)r2 << 32 | r1;
	static const char digits[] = "abcdefghijklmnopqrstuvwxyz234567";

	for (int k = 0; k < 13; k++) {
		out[k] = digits[h >> 59];
		h <<= 5;
	}
	out[13] = 0;
}

static cJSON *f_uniquestring(struct px *p, const char *name, cJSON **a, int n)
{
	struct sb b = { 0 };
	char out[14];

	sb_add(&b, "", 0);
	for (int i = 0; i < n; i++) {
		if (!cJSON_IsString(a[i])) {
			free(b.s);
			return need(p, name, a, i, false, "a string");
		}
		if (i)
			sb_add(&b, "-", 1);
		sb_add(&b, a[i]->valuestring, strlen(a[i]->valuestring));
	}
	if (b.oom) {
		free(b.s);
		return perr(p, "out of memory");
	}
	ax_unique_string(b.s, b.n, out);
	free(b.s);
	return str(p, out);
}

static cJSON *f_base64(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	NEED_STR(0);
	static const char d[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = (const unsigned char *)a[0]->valuestring;
	size_t l = strlen(a[0]->valuestring);
	struct sb b = { 0 };

	sb_add(&b, "", 0);
	for (size_t i = 0; i < l; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < l ? (uint32_t)s[i + 1] << 8 : 0) | (i + 2 < l ? s[i + 2] : 0);
		char q[4] = { d[v >> 18 & 63], d[v >> 12 & 63], i + 1 < l ? d[v >> 6 & 63] : '=', i + 2 < l ? d[v & 63] : '=' };

		sb_add(&b, q, 4);
	}
	return sb_take(p, &b);
}

/* CIDR functions: the network's first address plus an offset, within the network. */
static int cidr_arg(struct px *p, const char *name, cJSON **a, struct nws_prefix *pf)
{
	if (!cJSON_IsString(a[0]) || nws_prefix_parse(a[0]->valuestring, pf) < 0 || !strchr(a[0]->valuestring, '/')) {
		perr(p, "%s(): '%s' is not a network in CIDR notation", name, cJSON_IsString(a[0]) ? a[0]->valuestring : ax_type(a[0]));
		return -1;
	}
	return 0;
}

static cJSON *ip_at(struct px *p, uint8_t fam, nws_u128 v)
{
	struct nws_ip ip = { .fam = fam, .v = v };
	char b[NWS_IP_STRLEN];

	return str(p, nws_ip_str(&ip, b));
}

static cJSON *f_parsecidr(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	struct nws_prefix pf;

	if (cidr_arg(p, name, a, &pf) < 0)
		return NULL;
	unsigned bits = nws_fam_bits(pf.ip.fam);
	nws_u128 mask = nws_mask(pf.ip.fam, pf.len), last = pf.ip.v | (~mask & nws_mask(pf.ip.fam, bits));
	bool v4 = pf.ip.fam == NWS_AF4;
	cJSON *r = cJSON_CreateObject();

	if (!r)
		return perr(p, "out of memory");
	cJSON_AddItemToObject(r, "network", ip_at(p, pf.ip.fam, pf.ip.v));
	cJSON_AddItemToObject(r, "netmask", ip_at(p, pf.ip.fam, mask));
	if (v4)
		cJSON_AddItemToObject(r, "broadcast", ip_at(p, pf.ip.fam, last));
	/* IPv4 keeps its network and broadcast addresses out of the usable ones; /31 and /32 have none. */
	cJSON_AddItemToObject(r, "firstUsable", ip_at(p, pf.ip.fam, v4 && pf.len < 31 ? pf.ip.v + 1 : pf.ip.v));
	cJSON_AddItemToObject(r, "lastUsable", ip_at(p, pf.ip.fam, v4 && pf.len < 31 ? last - 1 : last));
	cJSON_AddNumberToObject(r, "cidr", pf.len);
	return r;
}

static cJSON *f_cidrsubnet(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	struct nws_prefix pf;

	if (cidr_arg(p, name, a, &pf) < 0)
		return NULL;
	NEED_INT(1);
	NEED_INT(2);
	double nl = a[1]->valuedouble, idx = a[2]->valuedouble;
	unsigned bits = nws_fam_bits(pf.ip.fam);

	if (nl < pf.len || nl > bits)
		return perr(p, "cidrSubnet(): a /%.0f is not inside %s", nl, a[0]->valuestring);
	if (idx < 0 || (nl - pf.len < 64 && idx >= ldexp(1, (int)(nl - pf.len))))
		return perr(p, "cidrSubnet(): %s has no /%.0f number %.0f", a[0]->valuestring, nl, idx);
	struct nws_prefix sub = { .ip = { .fam = pf.ip.fam, .v = pf.ip.v | ((nws_u128)(uint64_t)idx << (bits - (unsigned)nl)) },
				  .len = (uint8_t)nl };
	char b[NWS_PREFIX_STRLEN];

	return str(p, nws_prefix_str(&sub, b));
}

static cJSON *f_cidrhost(struct px *p, const char *name, cJSON **a, int n)
{
	(void)n;
	struct nws_prefix pf;

	if (cidr_arg(p, name, a, &pf) < 0)
		return NULL;
	NEED_INT(1);
	double idx = a[1]->valuedouble;
	unsigned bits = nws_fam_bits(pf.ip.fam), hostbits = bits - pf.len;
	/* Host 0 is the first usable address: the one after the network's own. */
	bool fits = idx >= 0 && (hostbits >= 64 || idx + 1 < ldexp(1, (int)hostbits) - (pf.ip.fam == NWS_AF4 ? 1 : 0));

	if (!fits)
		return perr(p, "cidrHost(): %s has no usable host number %.0f", a[0]->valuestring, idx);
	return ip_at(p, pf.ip.fam, pf.ip.v + (nws_u128)(uint64_t)idx + 1);
}

static const struct ax_func {
	const char *name;
	int min, max;
	ax_fn fn;
} funcs[] = {
	{ "parameters", 1, 1, f_parameters },
	{ "variables", 1, 1, f_variables },
	{ "copyIndex", 0, 2, f_copyindex },
	{ "concat", 0, 64, f_concat },
	{ "format", 1, 64, f_format },
	{ "resourceId", 2, 12, f_resourceid },
	{ "subscriptionResourceId", 2, 12, f_subscriptionresourceid },
	{ "tenantResourceId", 2, 12, f_tenantresourceid },
	{ "extensionResourceId", 3, 12, f_extensionresourceid },
	{ "subscription", 0, 0, f_subscription },
	{ "resourceGroup", 0, 0, f_resourcegroup },
	{ "deployment", 0, 0, f_deployment },
	{ "environment", 0, 0, f_environment },
	{ "equals", 2, 2, f_equals },
	{ "not", 1, 1, f_not },
	{ "and", 2, 64, f_andor },
	{ "or", 2, 64, f_andor },
	{ "bool", 1, 1, f_bool },
	{ "true", 0, 0, f_true },
	{ "false", 0, 0, f_true },
	{ "null", 0, 0, f_null },
	{ "string", 1, 1, f_string },
	{ "int", 1, 1, f_int },
	{ "add", 2, 2, f_arith },
	{ "sub", 2, 2, f_arith },
	{ "mul", 2, 2, f_arith },
	{ "div", 2, 2, f_arith },
	{ "mod", 2, 2, f_arith },
	{ "length", 1, 1, f_length },
	{ "empty", 1, 1, f_empty },
	{ "split", 2, 2, f_split },
	{ "replace", 3, 3, f_replace },
	{ "toLower", 1, 1, f_case },
	{ "toUpper", 1, 1, f_case },
	{ "trim", 1, 1, f_trim },
	{ "substring", 2, 3, f_substring },
	{ "take", 2, 2, f_takeskip },
	{ "skip", 2, 2, f_takeskip },
	{ "startsWith", 2, 2, f_strtest },
	{ "endsWith", 2, 2, f_strtest },
	{ "indexOf", 2, 2, f_strtest },
	{ "lastIndexOf", 2, 2, f_strtest },
	{ "contains", 2, 2, f_contains },
	{ "padLeft", 2, 3, f_padleft },
	{ "coalesce", 1, 64, f_coalesce },
	{ "createArray", 0, 64, f_createarray },
	{ "array", 1, 1, f_array },
	{ "createObject", 0, 64, f_createobject },
	{ "json", 1, 1, f_json },
	{ "union", 1, 64, f_union },
	{ "intersection", 1, 64, f_intersection },
	{ "first", 1, 1, f_firstlast },
	{ "last", 1, 1, f_firstlast },
	{ "range", 2, 2, f_range },
	{ "min", 1, 64, f_minmax },
	{ "max", 1, 64, f_minmax },
	{ "greater", 2, 2, f_compare },
	{ "less", 2, 2, f_compare },
	{ "greaterOrEquals", 2, 2, f_compare },
	{ "lessOrEquals", 2, 2, f_compare },
	{ "uniqueString", 1, 64, f_uniquestring },
	{ "base64", 1, 1, f_base64 },
	{ "parseCidr", 1, 1, f_parsecidr },
	{ "cidrSubnet", 3, 3, f_cidrsubnet },
	{ "cidrHost", 2, 2, f_cidrhost },
};

/* ---- the parser ------------------------------------------------------------------------------- */

#define AX_MAX_ARGS 64

static void ws(struct px *p)
{
	while (*p->p == ' ' || *p->p == '\t' || *p->p == '\n' || *p->p == '\r')
		p->p++;
}

static cJSON *expr(struct px *p, bool skip, int depth);

static cJSON *literal_string(struct px *p)
{
	struct sb b = { 0 };

	sb_add(&b, "", 0);
	p->p++;
	for (;;) {
		if (!*p->p) {
			free(b.s);
			return perr(p, "a string is not closed (a quote is written '')");
		}
		if (*p->p == '\'') {
			if (p->p[1] != '\'')
				break;
			p->p++;
		}
		sb_add(&b, p->p, 1);
		p->p++;
	}
	p->p++;
	return sb_take(p, &b);
}

/* .property and [index] after a value. */
static cJSON *accessors(struct px *p, cJSON *v, bool skip, int depth)
{
	for (;;) {
		ws(p);
		if (*p->p == '.') {
			p->p++;
			ws(p);
			const char *s = p->p;

			while (isalnum((unsigned char)*p->p) || *p->p == '_' || *p->p == '$')
				p->p++;
			if (p->p == s) {
				cJSON_Delete(v);
				return perr(p, "a property name must follow '.'");
			}
			if (skip)
				continue;
			char nm[256];

			snprintf(nm, sizeof(nm), "%.*s", (int)(p->p - s), s);
			cJSON *f = cJSON_IsObject(v) ? cJSON_DetachItemFromObject(v, nm) : NULL;

			if (!f) {
				const char *t = ax_type(v);

				cJSON_Delete(v);
				if (strcmp(t, "an object"))
					return perr(p, "'.%s': %s has no properties", nm, t);
				return perr(p, "the object has no property '%s'", nm);
			}
			cJSON_Delete(v);
			v = f;
			continue;
		}
		if (*p->p == '[') {
			p->p++;
			cJSON *i = expr(p, skip, depth + 1);

			ws(p);
			if (!i || *p->p != ']') {
				cJSON_Delete(i);
				cJSON_Delete(v);
				return perr(p, "expected ']' after an index");
			}
			p->p++;
			if (skip) {
				cJSON_Delete(i);
				continue;
			}
			cJSON *f = NULL;

			if (cJSON_IsArray(v) && is_int(i)) {
				int k = cJSON_GetArraySize(v);

				if (i->valuedouble < 0 || i->valuedouble >= k) {
					double at = i->valuedouble;

					cJSON_Delete(i);
					cJSON_Delete(v);
					return perr(p, "index %.0f is outside the array of %d", at, k);
				}
				f = cJSON_DetachItemFromArray(v, (int)i->valuedouble);
			} else if (cJSON_IsObject(v) && cJSON_IsString(i)) {
				f = cJSON_DetachItemFromObject(v, i->valuestring);
				if (!f) {
					perr(p, "the object has no property '%s'", i->valuestring);
					cJSON_Delete(i);
					cJSON_Delete(v);
					return NULL;
				}
			} else {
				perr(p, "%s cannot be indexed by %s", ax_type(v), ax_type(i));
				cJSON_Delete(i);
				cJSON_Delete(v);
				return NULL;
			}
			cJSON_Delete(i);
			cJSON_Delete(v);
			v = f;
			continue;
		}
		return v;
	}
}

static cJSON *call(struct px *p, const char *name, bool skip, int depth)
{
	const struct ax_func *f = NULL;
	cJSON *args[AX_MAX_ARGS];
	int n = 0;
	bool is_if = !strcasecmp(name, "if"), cond = false;
	cJSON *r = NULL;

	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		if (!strcasecmp(funcs[i].name, name))
			f = &funcs[i];
	if (!f && !is_if && !skip)
		return perr(p, "the template function '%s' is not supported by nwsim", name);
	p->p++; /* '(' */
	ws(p);
	while (*p->p != ')') {
		if (n == AX_MAX_ARGS) {
			r = perr(p, "%s(): more than %d arguments", name, AX_MAX_ARGS);
			goto out;
		}
		/* if(): the branch not taken is parsed but not evaluated. */
		bool sk = skip || (is_if && n == 1 && !cond) || (is_if && n == 2 && cond);

		if (!(args[n] = expr(p, sk, depth + 1)))
			goto out;
		n++;
		if (is_if && n == 1 && !skip) {
			if (!cJSON_IsBool(args[0])) {
				r = perr(p, "if(): the condition must be a boolean, found %s", ax_type(args[0]));
				goto out;
			}
			cond = cJSON_IsTrue(args[0]);
		}
		ws(p);
		if (*p->p == ',') {
			p->p++;
			ws(p);
			if (*p->p == ')') {
				r = perr(p, "%s(): an argument is missing after ','", name);
				goto out;
			}
		} else if (*p->p != ')') {
			r = perr(p, "%s(): expected ',' or ')' at '%.20s'", name, p->p);
			goto out;
		}
	}
	p->p++;
	if (skip) {
		r = cJSON_CreateNull();
		goto out;
	}
	if (is_if) {
		if (n != 3)
			r = perr(p, "if(): takes 3 arguments, %d given", n);
		else
			r = cJSON_Duplicate(cond ? args[1] : args[2], true);
		goto out;
	}
	if (n < f->min || n > f->max) {
		if (f->min == f->max)
			r = perr(p, "%s(): takes %d argument%s, %d given", f->name, f->min, f->min == 1 ? "" : "s", n);
		else
			r = perr(p, "%s(): takes %d to %d arguments, %d given", f->name, f->min, f->max, n);
		goto out;
	}
	r = f->fn(p, f->name, args, n);
out:
	for (int i = 0; i < n; i++)
		cJSON_Delete(args[i]);
	return r;
}

static cJSON *expr(struct px *p, bool skip, int depth)
{
	cJSON *v;

	if (depth > 64)
		return perr(p, "nested more than 64 calls deep");
	ws(p);
	if (*p->p == '\'') {
		v = literal_string(p);
	} else if (isdigit((unsigned char)*p->p) || (*p->p == '-' && isdigit((unsigned char)p->p[1]))) {
		char *end;

		errno = 0;
		long long k = strtoll(p->p, &end, 10);

		if (errno || isalpha((unsigned char)*end) || *end == '.')
			return perr(p, "'%.20s' is not an integer", p->p);
		p->p = end;
		v = cJSON_CreateNumber((double)k);
	} else if (isalpha((unsigned char)*p->p) || *p->p == '_') {
		const char *s = p->p;
		char name[64];

		while (isalnum((unsigned char)*p->p) || *p->p == '_' || *p->p == '.')
			p->p++;
		snprintf(name, sizeof(name), "%.*s", (int)(p->p - s), s);
		ws(p);
		if (*p->p != '(') {
			/* Bare true, false and null are literals too. */
			if (!strcasecmp(name, "true") || !strcasecmp(name, "false"))
				v = cJSON_CreateBool(!strcasecmp(name, "true"));
			else if (!strcasecmp(name, "null"))
				v = cJSON_CreateNull();
			else
				return perr(p, "'%s' is neither a function call nor a literal", name);
		} else {
			v = call(p, name, skip, depth);
		}
	} else if (!*p->p) {
		return perr(p, "the expression ends where a value was expected");
	} else {
		return perr(p, "unexpected '%c' where a value was expected", *p->p);
	}
	if (!v)
		return p->failed ? NULL : perr(p, "out of memory");
	return accessors(p, v, skip, depth);
}

cJSON *ax_string(struct ax_ctx *x, const char *s, struct nws_err *err)
{
	size_t l = strlen(s);

	if (l < 2 || s[0] != '[' || s[l - 1] != ']' || s[1] == '[') {
		cJSON *r = cJSON_CreateString(l >= 2 && s[0] == '[' && s[1] == '[' ? s + 1 : s);

		if (!r)
			nws_err_set(err, "out of memory");
		return r;
	}
	char *body = strndup(s + 1, l - 2);
	struct px p = { .x = x, .s = body, .p = body, .err = err };

	if (!body) {
		nws_err_set(err, "out of memory");
		return NULL;
	}
	if (x->nest++ == 0)
		x->placed = false;
	cJSON *v = expr(&p, false, 0);

	if (v) {
		ws(&p);
		if (*p.p) {
			perr(&p, "unexpected '%.20s' after the expression", p.p);
			cJSON_Delete(v);
			v = NULL;
		}
	}
	if (!v && !x->placed) {
		char inner[sizeof(err->msg)];

		snprintf(inner, sizeof(inner), "%s", err->msg);
		nws_err_set(err, "'%.200s%s': %s", s, l > 200 ? "..." : "", inner);
	}
	free(body);
	x->nest--;
	return v;
}

/* ---- values, parameters and variables --------------------------------------------------------- */

static size_t push(struct ax_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t push(struct ax_ctx *x, const char *fmt, ...)
{
	size_t mark = x->plen;
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(x->path + x->plen, sizeof(x->path) - x->plen, fmt, ap);
	va_end(ap);
	if (n > 0)
		x->plen = x->plen + (size_t)n < sizeof(x->path) ? x->plen + (size_t)n : sizeof(x->path) - 1;
	return mark;
}

static void pop(struct ax_ctx *x, size_t mark)
{
	x->plen = mark;
	x->path[mark] = 0;
}

/* The error with the path where it happened, once (inner calls have already added theirs). */
static cJSON *at_path(struct ax_ctx *x, struct nws_err *err)
{
	if (x->placed)
		return NULL;
	x->placed = true;
	if (x->plen && x->path[0]) {
		char inner[sizeof(err->msg)];

		snprintf(inner, sizeof(inner), "%s", err->msg);
		nws_err_set(err, "%s: %s", x->path[0] == '.' ? x->path + 1 : x->path, inner);
		x->plen = 0;
		x->path[0] = 0;
	}
	return NULL;
}

static long loop_count(struct ax_ctx *x, const cJSON *c, struct nws_err *err)
{
	const cJSON *cnt = cJSON_GetObjectItem(c, "count");
	cJSON *v;
	long n;

	if (!cnt)
		return nws_err_set(err, "copy: no count"), -1;
	v = cJSON_IsString(cnt) ? ax_string(x, cnt->valuestring, err) : cJSON_Duplicate(cnt, true);
	if (!v)
		return -1;
	if (!is_int(v) || v->valuedouble < 0 || v->valuedouble > 800) {
		nws_err_set(err, "copy.count: expected an integer in 0..800 (ARM's limit), found %s", ax_type(v));
		if (is_int(v))
			nws_err_set(err, "copy.count: %.0f is outside 0..800 (ARM's limit)", v->valuedouble);
		cJSON_Delete(v);
		return -1;
	}
	n = (long)v->valuedouble;
	cJSON_Delete(v);
	return n;
}

/* A property copy: "copy": [{"name": "subnets", "count": 3, "input": {...}}] becomes "subnets": [...]. */
static int property_copy(struct ax_ctx *x, const cJSON *copy, cJSON *out, struct nws_err *err)
{
	const cJSON *c;
	size_t i = 0;

	cJSON_ArrayForEach(c, copy) {
		size_t m = push(x, ".copy[%zu]", i++);
		const cJSON *nm = cJSON_GetObjectItem(c, "name"), *in = cJSON_GetObjectItem(c, "input");

		if (!cJSON_IsObject(c) || !cJSON_IsString(nm) || !in) {
			nws_err_set(err, "a copy loop needs a name, a count and an input");
			return at_path(x, err), -1;
		}
		long n = loop_count(x, c, err);

		if (n < 0)
			return at_path(x, err), -1;
		cJSON *arr = cJSON_CreateArray();

		if (!arr || !cJSON_AddItemToObject(out, nm->valuestring, arr))
			return cJSON_Delete(arr), nws_err_set(err, "out of memory");
		push(x, ".input");
		for (long k = 0; k < n; k++) {
			if (ax_loop_push(x, nm->valuestring, k, false, err) < 0)
				return at_path(x, err), -1;
			cJSON *v = ax_value(x, in, err);

			ax_loop_pop(x);
			if (!v)
				return -1;
			cJSON_AddItemToArray(arr, v);
		}
		pop(x, m);
	}
	return 0;
}

cJSON *ax_value(struct ax_ctx *x, const cJSON *v, struct nws_err *err)
{
	cJSON *r;

	if (cJSON_IsString(v)) {
		r = ax_string(x, v->valuestring, err);
		return r ? r : at_path(x, err);
	}
	if (cJSON_IsArray(v)) {
		const cJSON *e;
		size_t i = 0;

		if (!(r = cJSON_CreateArray()))
			return nws_err_set(err, "out of memory"), NULL;
		cJSON_ArrayForEach(e, v) {
			size_t m = push(x, "[%zu]", i++);
			cJSON *c = ax_value(x, e, err);

			if (!c)
				return cJSON_Delete(r), NULL;
			cJSON_AddItemToArray(r, c);
			pop(x, m);
		}
		return r;
	}
	if (cJSON_IsObject(v)) {
		const cJSON *e;

		if (!(r = cJSON_CreateObject()))
			return nws_err_set(err, "out of memory"), NULL;
		cJSON_ArrayForEach(e, v) {
			if (!strcasecmp(e->string, "copy") && cJSON_IsArray(e)) {
				if (property_copy(x, e, r, err) < 0)
					return cJSON_Delete(r), NULL;
				continue;
			}
			size_t m = push(x, ".%s", e->string);
			cJSON *c = ax_value(x, e, err);

			if (!c)
				return cJSON_Delete(r), NULL;
			cJSON_AddItemToObject(r, e->string, c);
			pop(x, m);
		}
		return r;
	}
	r = cJSON_Duplicate(v, true);
	if (!r)
		nws_err_set(err, "out of memory");
	return r;
}

/* Evaluated once, kept in the cache under "p:" or "v:" and the name as declared. */
static const cJSON *cached(struct ax_ctx *x, char kind, const char *name)
{
	char key[300];

	snprintf(key, sizeof(key), "%c:%s", kind, name);
	return cJSON_GetObjectItem(x->cache, key);
}

static const cJSON *keep(struct ax_ctx *x, char kind, const char *name, cJSON *v, struct nws_err *err)
{
	char key[300];

	snprintf(key, sizeof(key), "%c:%s", kind, name);
	if (!cJSON_AddItemToObject(x->cache, key, v)) {
		cJSON_Delete(v);
		nws_err_set(err, "out of memory");
		return NULL;
	}
	return v;
}

/* Evaluating a parameter or variable is a fresh place: its own path, outside any loop. */
struct saved {
	char path[AX_PATH_MAX];
	size_t plen;
	int nloops;
};

static void save(struct ax_ctx *x, struct saved *s, const char *fmt, const char *name)
{
	memcpy(s->path, x->path, sizeof(s->path));
	s->plen = x->plen;
	s->nloops = x->nloops;
	x->plen = 0;
	x->path[0] = 0;
	push(x, fmt, name);
	x->nloops = 0;
	x->depth++;
}

static void restore(struct ax_ctx *x, const struct saved *s)
{
	memcpy(x->path, s->path, sizeof(s->path));
	x->plen = s->plen;
	x->nloops = s->nloops;
	x->depth--;
}

const cJSON *ax_parameter(struct ax_ctx *x, const char *name, struct nws_err *err)
{
	const cJSON *c = cached(x, 'p', name), *decl = cJSON_GetObjectItem(x->params, name);
	cJSON *v;

	if (c)
		return c;
	if (!cJSON_IsObject(decl))
		return nws_err_set(err, "parameters('%s'): the template declares no such parameter", name), NULL;
	if (x->depth > 32)
		return nws_err_set(err, "parameters('%s'): defined in terms of itself", name), NULL;
	const cJSON *given = cJSON_GetObjectItem(x->given, decl->string), *dflt = cJSON_GetObjectItem(decl, "defaultValue");

	if (cJSON_IsRaw(given)) {
		return nws_err_set(err, "parameter '%s': %s", decl->string, given->valuestring), NULL;
	} else if (given) {
		v = cJSON_Duplicate(given, true);
	} else if (dflt) {
		struct saved s;

		save(x, &s, "parameters.%s.defaultValue", decl->string);
		v = ax_value(x, dflt, err);
		restore(x, &s);
		if (!v)
			return NULL;
	} else {
		return nws_err_set(err, "parameter '%s' has no value and no default: give it with --parameters FILE or --parameter %s=VALUE",
				   decl->string, decl->string),
		       NULL;
	}
	if (!v)
		return nws_err_set(err, "out of memory"), NULL;
	const cJSON *allowed = cJSON_GetObjectItem(decl, "allowedValues"), *e;

	if (cJSON_IsArray(allowed) && !cJSON_IsArray(v)) {
		bool ok = false;

		cJSON_ArrayForEach(e, allowed) if (cJSON_Compare(e, v, true)) ok = true;
		if (!ok) {
			char *t = to_text(v);

			nws_err_set(err, "parameter '%s': '%s' is not one of its allowedValues", decl->string, t ? t : "?");
			free(t);
			cJSON_Delete(v);
			return NULL;
		}
	}
	return keep(x, 'p', decl->string, v, err);
}

static const cJSON *variable(struct ax_ctx *x, const char *name, struct nws_err *err)
{
	const cJSON *c = cached(x, 'v', name), *decl = cJSON_GetObjectItem(x->vars, name);
	cJSON *v = NULL;
	struct saved s;

	if (c)
		return c;
	if (x->depth > 32)
		return nws_err_set(err, "variables('%s'): defined in terms of itself", name), NULL;
	if (decl && strcasecmp(name, "copy")) {
		save(x, &s, "variables.%s", decl->string);
		v = ax_value(x, decl, err);
		restore(x, &s);
		return v ? keep(x, 'v', decl->string, v, err) : NULL;
	}
	/* A variable made by the variables' own copy loop. */
	const cJSON *copy = cJSON_GetObjectItem(x->vars, "copy"), *e;

	cJSON_ArrayForEach(e, copy) {
		const cJSON *nm = cJSON_GetObjectItem(e, "name");

		if (cJSON_IsString(nm) && !strcasecmp(nm->valuestring, name)) {
			cJSON *out = cJSON_CreateObject();

			if (!out)
				return nws_err_set(err, "out of memory"), NULL;
			save(x, &s, "%s", "variables");
			/* property_copy walks an array: give it this one entry alone. */
			cJSON *arr = cJSON_CreateArray();

			if (arr && cJSON_AddItemToArray(arr, cJSON_Duplicate(e, true)) && property_copy(x, arr, out, err) == 0)
				v = cJSON_DetachItemFromObject(out, nm->valuestring);
			cJSON_Delete(arr);
			cJSON_Delete(out);
			restore(x, &s);
			return v ? keep(x, 'v', nm->valuestring, v, err) : NULL;
		}
	}
	return nws_err_set(err, "variables('%s'): the template defines no such variable", name), NULL;
}
