/*
 * Topology loader: topology-format.md, ARM and flattened shapes, strict validation.
 * Every error names the JSON path as the file spells it (".properties" included), so a user can
 * find the value; deep functions fill ld->err and return -1.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "topo.h"
#include "jbump.h"
#include "topo_gather.h"

/* Names taken, each with the index that holds it (see names_take). */
enum { NM_ASG, NM_RT, NM_NSG, NM_VNET, NM_VM, NM_NIC, NM_COUNT };

struct names {
	struct name_slot {
		const char *name;
		size_t idx;
	} *slot;
	size_t cap, n;
};

struct ld {
	struct topo *t;
	struct nws_err *err;
	char path[1024];
	size_t plen;
	cJSON *root;
	bool strict_prefix; /* address spaces and subnets: host bits are an error */
	const struct tg_result *gr; /* several files made one: places are named in their own file */
	size_t subnet_cap, nic_cap; /* room in t->subnets and t->nics, which grow as they fill */
	const char **warn;          /* what is read but takes no part (a peering that passes nothing) */
	size_t nwarn, warn_cap;
	struct names by_name[NM_COUNT]; /* each kind's names, with their indexes */
};

#define A(ld) (&(ld)->t->arena)

/*
 * Azure's limits (azure-semantics-detail.md, LIMITS): 1,000 rules per NSG unless raised, to
 * 4,000 at most, which nwsim accepts; 4,000 addresses and ranges per side of a rule.
 */
#define TOPO_MAX_NSG_RULES 4000
#define TOPO_MAX_SIDE_PREFIXES 4000

static size_t push(struct ld *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t push(struct ld *ld, const char *fmt, ...)
{
	size_t mark = ld->plen;
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(ld->path + ld->plen, sizeof(ld->path) - ld->plen, fmt, ap);
	va_end(ap);
	if (n > 0)
		ld->plen += (size_t)n < sizeof(ld->path) - ld->plen ? (size_t)n
								  : sizeof(ld->path) - ld->plen - 1;
	return mark;
}

static void pop(struct ld *ld, size_t mark)
{
	ld->plen = mark;
	ld->path[mark] = 0;
}

/* "file: place" for the current place, in the file it came from when several files made one. */
static void where(struct ld *ld, char *out, size_t len)
{
	const char *p = ld->path[0] == '.' ? ld->path + 1 : ld->path, *file;
	char orig[sizeof(ld->path) + 64];

	if (*p && ld->gr && tg_translate(ld->gr, p, &file, orig, sizeof(orig)))
		snprintf(out, len, orig[0] ? "%s: %s" : "%s", file, orig);
	else if (*p)
		snprintf(out, len, "%s: %s", ld->t->file, p);
	else
		snprintf(out, len, "%s", ld->t->file);
}

static int fail(struct ld *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ld *ld, const char *fmt, ...)
{
	char msg[512], at[sizeof(ld->path) + 1100];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	where(ld, at, sizeof(at));
	return nws_err_set(ld->err, "%s: %s", at, msg);
}

static void *grow(struct ld *ld, void *arr, size_t n, size_t *cap, size_t size);

/* A warning at the current place: nwsim reads it, and says how it takes it. -1 out of memory. */
static int warn(struct ld *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int warn(struct ld *ld, const char *fmt, ...)
{
	char msg[512], at[sizeof(ld->path) + 1100], *w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	where(ld, at, sizeof(at));
	ld->warn = grow(ld, ld->warn, ld->nwarn, &ld->warn_cap, sizeof(*ld->warn));
	if (!ld->warn || !(w = nws_arena_alloc(A(ld), strlen(at) + strlen(msg) + 3)))
		return nws_err_set(ld->err, "out of memory");
	sprintf(w, "%s: %s", at, msg);
	ld->warn[ld->nwarn++] = w;
	return 0;
}

static int oom(struct ld *ld)
{
	return fail(ld, "out of memory");
}

/*
 * An array with room for element n: the same one, or a copy twice its size (the arena keeps the
 * old). Counting elements beforehand would have to find them exactly as the loading does; an
 * array that grows as it fills cannot disagree with it. NULL when out of memory.
 */
static void *grow(struct ld *ld, void *arr, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return arr;
	size_t c = *cap ? *cap * 2 : 16;
	void *na = nws_arena_array(A(ld), c, size);

	if (na && n)
		memcpy(na, arr, n * size);
	if (na)
		*cap = c;
	return na;
}

/*
 * The one way the loader walks a JSON array: each step puts "[i]" on
 * the error path and takes it off at the next, so a loop body only loads its element and
 * returns on error, leaving the place of the error on the path:
 *	for (struct item it = { 0 }; next_item(ld, arr, &it);) { ... it.e, it.i ... }
 * A loop that leaves early with success must pop(ld, it.mark) itself.
 */
struct item {
	const cJSON *e;
	size_t i, mark;
};

static bool next_item(struct ld *ld, const cJSON *arr, struct item *it)
{
	if (it->e) {
		pop(ld, it->mark);
		it->e = it->e->next;
		it->i++;
	} else if (it->i == 0) {
		it->e = arr ? arr->child : NULL;
	}
	if (!it->e)
		return false;
	it->mark = push(ld, "[%zu]", it->i);
	return true;
}

/*
 * Names taken, compared as Azure compares them (case-insensitively): a duplicate check in
 * constant time. A loop comparing each name with all those before
 * it took seconds on thousands of NICs or an NSG of 4,000 rules.
 */
static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)tolower((unsigned char)*s)) * 0x100000001b3ull;
	return h;
}

/* The index that already holds name; else name is taken for idx: NAMES_NEW, or NAMES_OOM. */
#define NAMES_NEW ((size_t)-1)
#define NAMES_OOM ((size_t)-2)

/* The slot holding name, or the empty one where it would go (the table is never full). */
static struct name_slot *names_slot(const struct names *ns, const char *name)
{
	for (size_t i = name_hash(name) & (ns->cap - 1);; i = (i + 1) & (ns->cap - 1))
		if (!ns->slot[i].name || !strcasecmp(ns->slot[i].name, name))
			return &ns->slot[i];
}

static size_t names_take(struct names *ns, const char *name, size_t idx)
{
	if (2 * (ns->n + 1) > ns->cap) {
		struct names bigger = { .cap = ns->cap ? 2 * ns->cap : 64 };

		if (!(bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot))))
			return NAMES_OOM;
		for (size_t i = 0; i < ns->cap; i++)
			if (ns->slot[i].name)
				names_take(&bigger, ns->slot[i].name, ns->slot[i].idx);
		free(ns->slot);
		*ns = bigger;
	}
	struct name_slot *sl = names_slot(ns, name);

	if (sl->name)
		return sl->idx;
	*sl = (struct name_slot){ name, idx };
	ns->n++;
	return NAMES_NEW;
}

/* The index that holds name, or NAMES_NEW when none does. */
static size_t names_find(const struct names *ns, const char *name)
{
	const struct name_slot *sl = ns->cap ? names_slot(ns, name) : NULL;

	return sl && sl->name ? sl->idx : NAMES_NEW;
}

static void names_free(struct names *ns)
{
	free(ns->slot);
	memset(ns, 0, sizeof(*ns));
}

/* A resource's name, taken in its kind's index for idx; -1 (failed) when it is there already. */
static int take_name(struct ld *ld, int kind, const char *name, size_t idx, const char *what)
{
	size_t j = names_take(&ld->by_name[kind], name, idx);

	if (j == NAMES_OOM)
		return oom(ld);
	if (j != NAMES_NEW)
		return fail(ld, "%s name '%s' is used twice", what, name);
	return 0;
}

/* Arena room for the elements of arr (at least one, so that NULL means out of memory). */
static void *items_alloc(struct ld *ld, const cJSON *arr, size_t size, size_t *n)
{
	*n = (size_t)cJSON_GetArraySize(arr);
	void *p = nws_arena_array(A(ld), *n ? *n : 1, size);

	if (!p)
		oom(ld);
	return p;
}

static const char *jtype(const cJSON *j)
{
	if (cJSON_IsString(j))
		return "a string";
	if (cJSON_IsNumber(j))
		return "a number";
	if (cJSON_IsBool(j))
		return "a boolean";
	if (cJSON_IsNull(j))
		return "null";
	if (cJSON_IsArray(j))
		return "an array";
	if (cJSON_IsObject(j))
		return "an object";
	return "something else";
}

/*
 * Field lookup: case-insensitive, at the top of the resource or under "properties" (ARM shape).
 * A null value counts as absent, as az prints null for unset fields. On success the path is
 * extended with the field and the caller pops it back to *mark.
 */
static cJSON *field(struct ld *ld, const cJSON *obj, const char *key, size_t *mark)
{
	cJSON *v = cJSON_GetObjectItem(obj, key);
	const char *via = "";

	if (!v || cJSON_IsNull(v)) {
		cJSON *props = cJSON_GetObjectItem(obj, "properties");

		v = cJSON_IsObject(props) ? cJSON_GetObjectItem(props, key) : NULL;
		via = ".properties";
	}
	if (!v || cJSON_IsNull(v))
		return NULL;
	*mark = push(ld, "%s.%s", via, v->string ? v->string : key);
	return v;
}

static int missing(struct ld *ld, const char *key)
{
	size_t m = push(ld, ".%s", key);
	int r = fail(ld, "missing required field");

	pop(ld, m);
	return r;
}

static int want(struct ld *ld, const cJSON *v, int ok, const char *what)
{
	if (ok)
		return 0;
	return fail(ld, "expected %s, found %s", what, jtype(v));
}

/* Optional string field: 1 found, 0 absent, -1 error. */
static int opt_str(struct ld *ld, const cJSON *obj, const char *key, const char **out)
{
	size_t m;
	cJSON *v = field(ld, obj, key, &m);

	if (!v)
		return 0;
	if (want(ld, v, cJSON_IsString(v), "a string") < 0)
		return -1;
	*out = nws_arena_strdup(A(ld), v->valuestring);
	pop(ld, m);
	return *out ? 1 : oom(ld);
}

static int req_str(struct ld *ld, const cJSON *obj, const char *key, const char **out)
{
	int r = opt_str(ld, obj, key, out);

	if (r == 0)
		return missing(ld, key);
	if (r > 0 && !**out) {
		size_t m = push(ld, ".%s", key);

		fail(ld, "must not be empty");
		pop(ld, m);
		return -1;
	}
	return r < 0 ? -1 : 0;
}

static int opt_bool(struct ld *ld, const cJSON *obj, const char *key, bool *out)
{
	size_t m;
	cJSON *v = field(ld, obj, key, &m);

	if (!v)
		return 0;
	if (want(ld, v, cJSON_IsBool(v), "true or false") < 0)
		return -1;
	*out = cJSON_IsTrue(v);
	pop(ld, m);
	return 1;
}

/* Optional array (or, with allow_obj_key, {"allow_obj_key": [...]} as ARM's addressSpace). */
static int opt_array(struct ld *ld, const cJSON *obj, const char *key, cJSON **out, size_t *mark)
{
	cJSON *v = field(ld, obj, key, mark);

	*out = NULL;
	if (!v)
		return 0;
	if (want(ld, v, cJSON_IsArray(v), "an array") < 0)
		return -1;
	*out = v;
	return 1;
}

/* Last segment of an ARM id, or the string itself. */
static const char *id_tail(const char *s)
{
	const char *slash = strrchr(s, '/');

	return slash ? slash + 1 : s;
}

/* A reference: "name", or {"id": ".../name"}. Returns the referenced text (name or id). */
static int ref_text(struct ld *ld, const cJSON *v, const char **out)
{
	if (cJSON_IsString(v)) {
		*out = v->valuestring;
	} else if (cJSON_IsObject(v)) {
		cJSON *id = cJSON_GetObjectItem(v, "id");

		if (!id) {
			cJSON *nm = cJSON_GetObjectItem(v, "name");

			if (cJSON_IsString(nm)) {
				*out = nm->valuestring;
				return 0;
			}
			return fail(ld, "expected a name or {\"id\": ...}, found an object without \"id\"");
		}
		if (!cJSON_IsString(id)) {
			size_t m = push(ld, ".id");

			want(ld, id, 0, "a string");
			pop(ld, m);
			return -1;
		}
		*out = id->valuestring;
	} else {
		return want(ld, v, 0, "a name or {\"id\": ...}");
	}
	if (!**out)
		return fail(ld, "empty reference");
	return 0;
}

/* A reference by name or ARM id to a resource of a kind loaded before (NM_ASG, ...). */
static int ref_lookup(struct ld *ld, const cJSON *v, const char *what, int kind, int *out)
{
	const char *s = NULL;

	if (ref_text(ld, v, &s) < 0)
		return -1;
	size_t i = names_find(&ld->by_name[kind], id_tail(s));

	if (i == NAMES_NEW)
		return fail(ld, "unknown %s '%s'", what, id_tail(s));
	*out = (int)i;
	return 0;
}

static const char *make_id(struct ld *ld, const cJSON *obj, const char *type, const char *name)
{
	cJSON *id = cJSON_GetObjectItem(obj, "id");

	if (cJSON_IsString(id) && id->valuestring[0] == '/')
		return nws_arena_strdup(A(ld), id->valuestring);
	return nws_arena_printf(A(ld), "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/%s/%s",
				AZ_SUBSCRIPTION, AZ_RESOURCE_GROUP, type, name);
}

/* Prefix list from an array of strings. */
static int prefix_array(struct ld *ld, const cJSON *arr, struct topo_plist *out)
{
	size_t n;

	if (!(out->p = items_alloc(ld, arr, sizeof(*out->p), &n)))
		return -1;
	for (struct item it = { 0 }; next_item(ld, arr, &it);) {
		const cJSON *e = it.e;

		if (want(ld, e, cJSON_IsString(e), "a prefix string") < 0)
			return -1;
		if (nws_prefix_parse(e->valuestring, &out->p[it.i]) < 0)
			return fail(ld, "'%s' is not an IPv4 or IPv6 address or CIDR prefix", e->valuestring);
		if (ld->strict_prefix && nws_prefix_has_host_bits(e->valuestring)) {
			char b[NWS_PREFIX_STRLEN];

			return fail(ld, "'%s' has host bits set; Azure wants %s", e->valuestring,
				    nws_prefix_str(&out->p[it.i], b));
		}
	}
	out->n = n;
	return 0;
}

/* Prefixes given as a string, a list, or {"addressPrefixes": [...]}; keys tried in order. */
static int prefixes_field(struct ld *ld, const cJSON *obj, const char *one, const char *many, bool required,
			  struct topo_plist *out)
{
	size_t m;
	cJSON *v;

	if (one && (v = field(ld, obj, one, &m))) {
		if (cJSON_IsString(v)) {
			out->p = nws_arena_alloc(A(ld), sizeof(*out->p));
			if (!out->p)
				return oom(ld);
			if (nws_prefix_parse(v->valuestring, out->p) < 0)
				return fail(ld, "'%s' is not an IPv4 or IPv6 CIDR prefix", v->valuestring);
			if (nws_prefix_has_host_bits(v->valuestring)) {
				char b[NWS_PREFIX_STRLEN];

				return fail(ld, "'%s' has host bits set; Azure wants %s", v->valuestring,
					    nws_prefix_str(out->p, b));
			}
			out->n = 1;
			pop(ld, m);
			return 1;
		}
		if (!cJSON_IsArray(v))
			return want(ld, v, 0, "a prefix string");
		pop(ld, m);
	}
	if ((v = field(ld, obj, many, &m))) {
		if (cJSON_IsObject(v)) {
			/* ARM: "addressSpace": {"addressPrefixes": [...]} */
			cJSON *inner = cJSON_GetObjectItem(v, "addressPrefixes");

			if (!inner)
				return missing(ld, "addressPrefixes");
			push(ld, ".addressPrefixes");
			v = inner;
		}
		if (want(ld, v, cJSON_IsArray(v), "an array of prefixes") < 0)
			return -1;
		ld->strict_prefix = true;
		int r = prefix_array(ld, v, out);

		ld->strict_prefix = false;
		if (r < 0)
			return -1;
		pop(ld, m);
		if (out->n == 0 && required) {
			m = push(ld, ".%s", many);
			fail(ld, "must list at least one prefix");
			pop(ld, m);
			return -1;
		}
		return out->n > 0;
	}
	if (required)
		return missing(ld, one ? one : many);
	return 0;
}

/* ---- NSG rules ------------------------------------------------------------------------------ */

static int parse_port_text(const char *s, struct topo_portrange *r, bool *any)
{
	char *end;
	long lo, hi;

	*any = false;
	if (!strcmp(s, "*")) {
		*any = true;
		r->lo = 0;
		r->hi = 65535;
		return 0;
	}
	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	lo = strtol(s, &end, 10);
	hi = lo;
	if (*end == '-') {
		const char *h = end + 1;

		if (*h < '0' || *h > '9')
			return -1;
		hi = strtol(h, &end, 10);
	}
	if (*end || errno)
		return -1;
	if (lo < 0 || lo > 65535 || hi < 0 || hi > 65535)
		return -2;
	if (lo > hi)
		return -3;
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return 0;
}

static int port_one(struct ld *ld, const cJSON *v, struct topo_ports *p, size_t i)
{
	bool any;

	if (want(ld, v, cJSON_IsString(v) || cJSON_IsNumber(v), "a port, range or '*'") < 0)
		return -1;
	char buf[32];
	const char *s = v->valuestring;

	if (cJSON_IsNumber(v)) {
		/* Beyond any port, and beyond what converts to an integer without undefined behaviour. */
		if (!(v->valuedouble > -65536 && v->valuedouble < 65536))
			return fail(ld, "%g is outside 0..65535", v->valuedouble);
		snprintf(buf, sizeof(buf), "%.0f", v->valuedouble);
		if (v->valuedouble != (double)(long long)v->valuedouble)
			return fail(ld, "%g is not a whole port number", v->valuedouble);
		s = buf;
	}
	int r = parse_port_text(s, &p->r[i], &any);

	if (r == -2)
		return fail(ld, "'%s' is outside 0..65535", s);
	if (r == -3)
		return fail(ld, "'%s' is an empty range (start above end)", s);
	if (r < 0)
		return fail(ld, "'%s' is not a port, a range 'lo-hi' or '*'", s);
	p->text[i] = nws_arena_strdup(A(ld), s);
	if (any)
		p->any = true;
	return 0;
}

static int rule_ports(struct ld *ld, const cJSON *obj, const char *one, const char *many, struct topo_ports *p)
{
	size_t m;
	cJSON *v = field(ld, obj, many, &m);

	if (v) {
		if (want(ld, v, cJSON_IsArray(v), "an array of ports") < 0)
			return -1;
		size_t n = (size_t)cJSON_GetArraySize(v);

		if (n > 0) {
			p->plural = true;
			p->r = nws_arena_array(A(ld), n, sizeof(*p->r));
			p->text = nws_arena_array(A(ld), n, sizeof(*p->text));
			if (!p->r || !p->text)
				return oom(ld);
			for (struct item it = { 0 }; next_item(ld, v, &it);)
				if (port_one(ld, it.e, p, it.i) < 0)
					return -1;
			p->n = p->ntext = n;
			pop(ld, m);
			size_t m1;
			cJSON *s = field(ld, obj, one, &m1);

			if (s && cJSON_IsString(s) && *s->valuestring)
				return fail(ld, "give either %s or %s, not both", one, many);
			if (s)
				pop(ld, m1);
			return 0;
		}
		pop(ld, m);
	}
	v = field(ld, obj, one, &m);
	if (!v)
		return missing(ld, one);
	p->r = nws_arena_alloc(A(ld), sizeof(*p->r));
	p->text = nws_arena_alloc(A(ld), sizeof(*p->text));
	if (!p->r || !p->text)
		return oom(ld);
	if (port_one(ld, v, p, 0) < 0)
		return -1;
	p->n = p->ntext = 1;
	pop(ld, m);
	return 0;
}

static int resolve_tag(struct ld *ld, const char *s)
{
	int b = az_builtin_tag_parse(s);

	if (b >= 0)
		return b;
	for (size_t i = 0; i < ld->t->ntags; i++)
		if (ld->t->tags[i].builtin < 0 && !strcasecmp(ld->t->tags[i].name, s))
			return AZ_TAG_BUILTIN_COUNT + (int)i;
	return -1;
}

/*
 * "789" as an address: Azure accepts it where an address prefix goes, its parser taking a bare
 * number as the 32-bit IPv4 address it spells (inet_aton's one-part form: 789 is 0.0.3.21).
 */
static bool bare_number_address(const char *s, struct nws_prefix *p)
{
	unsigned long long v = 0;
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n > 10 || s[n])
		return false;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (v > 0xffffffffULL)
		return false;
	*p = (struct nws_prefix){ .ip = { .fam = NWS_AF4, .v = v }, .len = 32 };
	return true;
}

static int side_single(struct ld *ld, const char *s, struct topo_side *sd)
{
	sd->text = nws_arena_strdup(A(ld), s);
	if (!sd->text)
		return oom(ld);
	if (!strcmp(s, "*") || !strcasecmp(s, "Any")) {
		sd->kind = TOPO_SIDE_ANY;
		return 0;
	}
	struct nws_prefix p;

	if (nws_prefix_parse(s, &p) == 0) {
		sd->kind = TOPO_SIDE_PREFIXES;
		sd->pfx.p = nws_arena_alloc(A(ld), sizeof(p));
		if (!sd->pfx.p)
			return oom(ld);
		sd->pfx.p[0] = p;
		sd->pfx.n = 1;
		return 0;
	}
	if (bare_number_address(s, &p)) {
		char b[NWS_PREFIX_STRLEN];

		/* The az CLI's own tests create rules with source 789 and destination 1234; Azure stores them. */
		if (warn(ld, "'%s' is read as %s, as Azure's parser reads a bare number: it matches no traffic a VM sends or receives",
			 s, nws_prefix_str(&p, b)) < 0)
			return -1;
		sd->kind = TOPO_SIDE_PREFIXES;
		if (!(sd->pfx.p = nws_arena_alloc(A(ld), sizeof(p))))
			return oom(ld);
		sd->pfx.p[0] = p;
		sd->pfx.n = 1;
		return 0;
	}
	int tag = resolve_tag(ld, s);

	if (tag < 0) {
		if (strchr(s, '.') && strchr(s, '/') == NULL && (s[0] >= '0' && s[0] <= '9'))
			return fail(ld, "'%s' is not a valid IPv4 address", s);
		if (strchr(s, '/') || strchr(s, ':'))
			return fail(ld, "'%s' is not a valid IPv4 or IPv6 address or CIDR prefix", s);
		if (az_service_tag_known(s))
			return fail(ld, "service tag '%s': no file gave its addresses: pass Azure's service-tag file with -t "
				    "(az network list-service-tags --location REGION, or ServiceTags_Public_*.json from the Microsoft Download Center)",
				    s);
		return fail(ld, "unknown service tag '%s' (not one of Azure's service tags, not a built-in one, not in serviceTags)", s);
	}
	sd->kind = TOPO_SIDE_TAG;
	sd->tag = tag;
	return 0;
}

static int side_plural(struct ld *ld, const cJSON *arr, const char *key, struct topo_side *sd)
{
	size_t n = (size_t)cJSON_GetArraySize(arr);

	if (n > TOPO_MAX_SIDE_PREFIXES)
		return fail(ld, "%zu addresses: Azure allows at most 4,000 in one side of a rule", n);
	sd->kind = TOPO_SIDE_PREFIXES;
	sd->pfx.p = nws_arena_array(A(ld), n, sizeof(*sd->pfx.p));
	sd->texts = nws_arena_array(A(ld), n, sizeof(*sd->texts));
	if (!sd->pfx.p || !sd->texts)
		return oom(ld);
	for (struct item it = { 0 }; next_item(ld, arr, &it);) {
		const cJSON *e = it.e;
		size_t i = it.i;

		if (want(ld, e, cJSON_IsString(e), "an address or prefix string") < 0)
			return -1;
		const char *s = e->valuestring;

		if (nws_prefix_parse(s, &sd->pfx.p[i]) < 0) {
			if (!strcmp(s, "*") || resolve_tag(ld, s) >= 0)
				return fail(ld, "'%s': service tags and '*' are not allowed in %s (use the singular field)",
					    s, key);
			return fail(ld, "'%s' is not a valid IPv4 or IPv6 address or CIDR prefix", s);
		}
		if (i > 0 && sd->pfx.p[i].ip.fam != sd->pfx.p[0].ip.fam)
			return fail(ld, "'%s' mixes IPv4 and IPv6 in one side of a rule", s);
		sd->texts[i] = nws_arena_strdup(A(ld), s);
	}
	sd->pfx.n = sd->ntexts = n;
	return 0;
}

static int rule_side(struct ld *ld, const cJSON *obj, const char *which, struct topo_side *sd)
{
	char one[64], many[64], asgk[64];
	size_t m;
	cJSON *v;
	bool have_pfx = false;

	snprintf(one, sizeof(one), "%sAddressPrefix", which);
	snprintf(many, sizeof(many), "%sAddressPrefixes", which);
	snprintf(asgk, sizeof(asgk), "%sApplicationSecurityGroups", which);

	if ((v = field(ld, obj, many, &m))) {
		if (want(ld, v, cJSON_IsArray(v), "an array of prefixes") < 0)
			return -1;
		if (cJSON_GetArraySize(v) > 0) {
			if (side_plural(ld, v, many, sd) < 0)
				return -1;
			have_pfx = true;
		}
		pop(ld, m);
	}
	if ((v = field(ld, obj, one, &m))) {
		if (want(ld, v, cJSON_IsString(v), "a string") < 0)
			return -1;
		if (*v->valuestring) {
			if (have_pfx)
				return fail(ld, "give either %s or %s, not both", one, many);
			if (side_single(ld, v->valuestring, sd) < 0)
				return -1;
			have_pfx = true;
		}
		pop(ld, m);
	}
	if ((v = field(ld, obj, asgk, &m))) {
		if (want(ld, v, cJSON_IsArray(v), "an array of application security groups") < 0)
			return -1;
		size_t n = (size_t)cJSON_GetArraySize(v);

		if (n > 0) {
			if (have_pfx)
				return fail(ld, "application security groups cannot be mixed with address prefixes on one side of a rule");
			sd->kind = TOPO_SIDE_ASG;
			sd->asgs = nws_arena_array(A(ld), n, sizeof(int));
			if (!sd->asgs)
				return oom(ld);
			for (struct item it = { 0 }; next_item(ld, v, &it);)
				if (ref_lookup(ld, it.e, "application security group", NM_ASG, &sd->asgs[it.i]) < 0)
					return -1;
			sd->nasgs = n;
			have_pfx = true;
		}
		pop(ld, m);
	}
	if (!have_pfx)
		return missing(ld, one);
	return 0;
}

static int load_rule(struct ld *ld, const cJSON *obj, struct topo_rule *r, bool is_default)
{
	const char *s;
	size_t m;
	cJSON *v;

	if (want(ld, obj, cJSON_IsObject(obj), "a security rule object") < 0)
		return -1;
	if (req_str(ld, obj, "name", &r->name) < 0)
		return -1;
	if (opt_str(ld, obj, "description", &r->description) < 0)
		return -1;
	r->is_default = is_default;

	if (!(v = field(ld, obj, "priority", &m)))
		return missing(ld, "priority");
	if (want(ld, v, cJSON_IsNumber(v), "an integer") < 0)
		return -1;
	/*
	 * The range first: converting a double beyond an int's range (1e300, a NaN) is undefined.
	 * Default rules keep Azure's own priorities (65000 and up), any int.
	 */
	int plo = is_default ? INT_MIN : AZ_PRIORITY_MIN, phi = is_default ? INT_MAX : AZ_PRIORITY_MAX;

	if (!(v->valuedouble >= plo && v->valuedouble <= phi))
		return fail(ld, "%g is outside %d..%d", v->valuedouble, plo, phi);
	if (v->valuedouble != (double)(long long)v->valuedouble)
		return fail(ld, "%g is not an integer", v->valuedouble);
	r->priority = (int)v->valuedouble;
	pop(ld, m);

	if (req_str(ld, obj, "direction", &s) < 0)
		return -1;
	int d = az_dir_parse(s);

	if (d < 0) {
		field(ld, obj, "direction", &m);
		return fail(ld, "'%s' is not Inbound or Outbound", s);
	}
	r->dir = (enum az_dir)d;
	if (req_str(ld, obj, "access", &s) < 0)
		return -1;
	int a = az_access_parse(s);

	if (a < 0) {
		field(ld, obj, "access", &m);
		return fail(ld, "'%s' is not Allow or Deny", s);
	}
	r->access = (enum az_access)a;
	if (req_str(ld, obj, "protocol", &s) < 0)
		return -1;
	if (az_proto_parse(s, &r->proto) < 0) {
		field(ld, obj, "protocol", &m);
		return fail(ld, "'%s' is not one of Tcp, Udp, Icmp, Esp, Ah, *", s);
	}
	if (rule_side(ld, obj, "source", &r->src) < 0 || rule_side(ld, obj, "destination", &r->dst) < 0)
		return -1;
	/* Azure refuses a rule whose source is of one IP family and destination of the other. */
	if (r->src.kind == TOPO_SIDE_PREFIXES && r->dst.kind == TOPO_SIDE_PREFIXES &&
	    r->src.pfx.p[0].ip.fam != r->dst.pfx.p[0].ip.fam)
		return fail(ld, "the source is %s and the destination %s: one rule holds one IP family (Azure refuses it too)",
			    r->src.pfx.p[0].ip.fam == NWS_AF6 ? "IPv6" : "IPv4", r->dst.pfx.p[0].ip.fam == NWS_AF6 ? "IPv6" : "IPv4");
	if (rule_ports(ld, obj, "sourcePortRange", "sourcePortRanges", &r->sport) < 0 ||
	    rule_ports(ld, obj, "destinationPortRange", "destinationPortRanges", &r->dport) < 0)
		return -1;
	return 0;
}

/* The six defaults, built from azure.c's table so names and values are Azure's exactly. */
static int add_defaults(struct ld *ld, struct topo_nsg *g)
{
	for (int d = 0; d < AZ_NDIR; d++)
		for (int k = 0; k < AZ_DEFAULT_RULES_PER_DIR; k++) {
			const struct az_default_rule *dr = &az_default_rules[d][k];
			struct topo_rule *r = &g->rules[g->nrules++];
			static const char *const star[] = { "*" };

			r->name = dr->name;
			r->description = dr->description;
			r->priority = dr->priority;
			r->dir = dr->dir;
			r->access = dr->access;
			r->proto = AZ_PROTO_ANY;
			r->is_default = true;
			r->src.kind = dr->src_tag < 0 ? TOPO_SIDE_ANY : TOPO_SIDE_TAG;
			r->src.tag = dr->src_tag;
			r->src.text = dr->src_tag < 0 ? "*" : az_tag_name[dr->src_tag];
			r->dst.kind = dr->dst_tag < 0 ? TOPO_SIDE_ANY : TOPO_SIDE_TAG;
			r->dst.tag = dr->dst_tag;
			r->dst.text = dr->dst_tag < 0 ? "*" : az_tag_name[dr->dst_tag];
			struct topo_portrange *all = nws_arena_alloc(A(ld), sizeof(*all));

			if (!all)
				return oom(ld);
			all->hi = 65535;
			r->sport = (struct topo_ports){ .r = all, .n = 1, .any = true, .text = (const char **)star, .ntext = 1 };
			r->dport = r->sport;
		}
	return 0;
}

/* A defaultSecurityRules list, when pasted from Azure, must be Azure's. */
static int check_defaults(struct ld *ld, const cJSON *arr)
{
	for (struct item it = { 0 }; next_item(ld, arr, &it);) {
		struct topo_rule r = { 0 };

		if (load_rule(ld, it.e, &r, true) < 0)
			return -1;
		const struct az_default_rule *found = NULL;

		for (int k = 0; k < AZ_DEFAULT_RULES_PER_DIR; k++)
			if (!strcasecmp(az_default_rules[r.dir][k].name, r.name))
				found = &az_default_rules[r.dir][k];
		if (!found)
			return fail(ld, "'%s' is not one of Azure's default %s rules", r.name, az_dir_name[r.dir]);
		if (found->priority != r.priority || found->access != r.access || r.proto != AZ_PROTO_ANY ||
		    !r.sport.any || !r.dport.any)
			return fail(ld, "'%s' differs from Azure's default rule (priority %d, %s, any protocol and port)",
				    r.name, found->priority, az_access_name[found->access]);
	}
	return 0;
}

static int rule_cmp(const void *a, const void *b)
{
	const struct topo_rule *x = *(const struct topo_rule *const *)a, *y = *(const struct topo_rule *const *)b;

	return (x->priority > y->priority) - (x->priority < y->priority);
}

static int load_nsg(struct ld *ld, const cJSON *obj, struct topo_nsg *g)
{
	size_t m;
	cJSON *arr;

	if (want(ld, obj, cJSON_IsObject(obj), "a network security group object") < 0)
		return -1;
	if (req_str(ld, obj, "name", &g->name) < 0)
		return -1;
	g->id = make_id(ld, obj, "networkSecurityGroups", g->name);
	int r = opt_array(ld, obj, "securityRules", &arr, &m);

	if (r < 0)
		return -1;
	size_t n = arr ? (size_t)cJSON_GetArraySize(arr) : 0;

	if (n > TOPO_MAX_NSG_RULES)
		return fail(ld, "%zu rules: an NSG holds at most 4,000 (Azure's limit is 1,000, 4,000 when raised)", n);
	g->rules = nws_arena_array(A(ld), n + AZ_NDIR * AZ_DEFAULT_RULES_PER_DIR, sizeof(*g->rules));
	if (!g->rules || !g->id)
		return oom(ld);
	if (arr) {
		/* Per direction and priority, the rule that holds it, plus one (user priorities are small). */
		uint32_t *holder = calloc(AZ_NDIR * (AZ_PRIORITY_MAX + 1), sizeof(*holder));
		struct names names = { 0 };
		int rc = 0;

		if (!holder)
			return oom(ld);
		for (struct item it = { 0 }; rc == 0 && next_item(ld, arr, &it);) {
			struct topo_rule *rule = &g->rules[it.i];
			size_t j;

			if (load_rule(ld, it.e, rule, false) < 0) {
				rc = -1;
				break;
			}
			if ((j = names_take(&names, rule->name, it.i)) == NAMES_OOM) {
				rc = oom(ld);
			} else if (j != NAMES_NEW) {
				rc = fail(ld, "rule name '%s' is used twice (also securityRules[%zu])", rule->name, j);
			} else if ((j = holder[rule->dir * (AZ_PRIORITY_MAX + 1) + (size_t)rule->priority])) {
				push(ld, ".priority");
				rc = fail(ld, "%d is already used by %s rule '%s'", rule->priority, az_dir_name[rule->dir],
					  g->rules[j - 1].name);
			} else {
				holder[rule->dir * (AZ_PRIORITY_MAX + 1) + (size_t)rule->priority] = (uint32_t)it.i + 1;
			}
		}
		free(holder);
		names_free(&names);
		if (rc < 0)
			return -1;
		pop(ld, m);
	}
	g->nrules = g->nuser = n;
	if (opt_array(ld, obj, "defaultSecurityRules", &arr, &m) < 0)
		return -1;
	if (arr) {
		if (check_defaults(ld, arr) < 0)
			return -1;
		pop(ld, m);
	}
	if (add_defaults(ld, g) < 0)
		return -1;
	for (int d = 0; d < AZ_NDIR; d++) {
		g->order[d] = nws_arena_array(A(ld), g->nrules, sizeof(*g->order[d]));
		if (!g->order[d])
			return oom(ld);
		for (size_t i = 0; i < g->nrules; i++)
			if (g->rules[i].dir == (enum az_dir)d)
				g->order[d][g->norder[d]++] = &g->rules[i];
		/* Priorities are unique per direction, so the order is total. */
		qsort(g->order[d], g->norder[d], sizeof(*g->order[d]), rule_cmp);
	}
	return 0;
}

/* ---- other resources ------------------------------------------------------------------------- */

static int load_asg(struct ld *ld, const cJSON *obj, struct topo_asg *a)
{
	if (cJSON_IsString(obj)) {
		a->name = nws_arena_strdup(A(ld), obj->valuestring);
	} else {
		if (want(ld, obj, cJSON_IsObject(obj), "an application security group object") < 0)
			return -1;
		if (req_str(ld, obj, "name", &a->name) < 0)
			return -1;
	}
	a->id = make_id(ld, obj, "applicationSecurityGroups", a->name);
	return a->id ? 0 : oom(ld);
}

static int load_tags(struct ld *ld, const cJSON *obj)
{
	size_t n = (size_t)cJSON_GetArraySize(obj), i = 0;
	const cJSON *e;

	ld->t->tags = nws_arena_array(A(ld), n, sizeof(*ld->t->tags));
	if (!ld->t->tags)
		return oom(ld);
	cJSON_ArrayForEach(e, obj) {
		struct topo_tag *tg = &ld->t->tags[i];
		size_t m = push(ld, ".%s", e->string);

		tg->name = nws_arena_strdup(A(ld), e->string);
		tg->builtin = az_builtin_tag_parse(e->string);
		if (tg->builtin == AZ_TAG_VIRTUALNETWORK)
			return fail(ld, "VirtualNetwork is computed from the topology and cannot be given");
		for (size_t j = 0; j < i; j++)
			if (!strcasecmp(ld->t->tags[j].name, e->string))
				return fail(ld, "tag '%s' is given twice", e->string);
		if (!*e->string || strchr(e->string, '/') || nws_prefix_parse(e->string, &(struct nws_prefix){ 0 }) == 0 ||
		    !strcmp(e->string, "*"))
			return fail(ld, "'%s' is not a usable tag name", e->string);
		if (want(ld, e, cJSON_IsArray(e), "an array of prefixes") < 0)
			return -1;
		if (prefix_array(ld, e, &tg->pfx) < 0)
			return -1;
		pop(ld, m);
		i++;
	}
	ld->t->ntags = n;
	return 0;
}

static int load_rt(struct ld *ld, const cJSON *obj, struct topo_rt *rt)
{
	static const struct {
		const char *name;
		enum az_nexthop t;
	} types[] = {
		{ "VirtualAppliance", AZ_NH_VIRTUALAPPLIANCE }, { "VirtualNetworkGateway", AZ_NH_VNETGATEWAY },
		{ "VnetLocal", AZ_NH_VNETLOCAL }, { "Internet", AZ_NH_INTERNET }, { "None", AZ_NH_NONE },
	};
	size_t m;
	cJSON *arr;

	if (want(ld, obj, cJSON_IsObject(obj), "a route table object") < 0)
		return -1;
	if (req_str(ld, obj, "name", &rt->name) < 0)
		return -1;
	rt->id = make_id(ld, obj, "routeTables", rt->name);
	if (opt_bool(ld, obj, "disableBgpRoutePropagation", &rt->disable_bgp) < 0)
		return -1;
	if (opt_array(ld, obj, "routes", &arr, &m) < 0)
		return -1;
	if (!arr)
		return 0;
	size_t n;

	if (!(rt->routes = items_alloc(ld, arr, sizeof(*rt->routes), &n)))
		return -1;
	for (struct item it = { 0 }; next_item(ld, arr, &it);) {
		const cJSON *e = it.e;
		size_t i = it.i, m3;
		struct topo_route *ro = &rt->routes[i];
		const char *s, *pfx;

		if (want(ld, e, cJSON_IsObject(e), "a route object") < 0)
			return -1;
		if (req_str(ld, e, "name", &ro->name) < 0 || req_str(ld, e, "addressPrefix", &pfx) < 0)
			return -1;
		if (nws_prefix_parse(pfx, &ro->prefix) < 0) {
			field(ld, e, "addressPrefix", &m3);
			return fail(ld, "'%s' is not an IPv4 or IPv6 CIDR prefix", pfx);
		}
		if (nws_prefix_has_host_bits(pfx)) {
			char b[NWS_PREFIX_STRLEN];

			field(ld, e, "addressPrefix", &m3);
			return fail(ld, "'%s' has host bits set; Azure wants %s", pfx, nws_prefix_str(&ro->prefix, b));
		}
		if (req_str(ld, e, "nextHopType", &s) < 0)
			return -1;
		size_t k;

		for (k = 0; k < sizeof(types) / sizeof(types[0]); k++)
			if (!strcasecmp(s, types[k].name))
				break;
		if (k == sizeof(types) / sizeof(types[0])) {
			field(ld, e, "nextHopType", &m3);
			return fail(ld, "'%s' is not one of VirtualAppliance, VirtualNetworkGateway, VnetLocal, Internet, None", s);
		}
		ro->type = types[k].t;
		const char *ip = NULL;
		int r = opt_str(ld, e, "nextHopIpAddress", &ip);

		if (r < 0)
			return -1;
		if (r > 0 && *ip) {
			if (ro->type != AZ_NH_VIRTUALAPPLIANCE) {
				field(ld, e, "nextHopIpAddress", &m3);
				return fail(ld, "next hop type %s takes no address, found '%s'", types[k].name, ip);
			}
			if (nws_ip_parse(ip, &ro->ip) < 0) {
				field(ld, e, "nextHopIpAddress", &m3);
				return fail(ld, "'%s' is not an IP address", ip);
			}
			ro->has_ip = true;
		} else if (ro->type == AZ_NH_VIRTUALAPPLIANCE) {
			return missing(ld, "nextHopIpAddress");
		}
		for (size_t j = 0; j < i; j++)
			if (!strcasecmp(rt->routes[j].name, ro->name))
				return fail(ld, "route name '%s' is used twice (also routes[%zu])", ro->name, j);
		for (size_t j = 0; j < i; j++)
			if (rt->routes[j].prefix.len == ro->prefix.len && nws_ip_eq(&rt->routes[j].prefix.ip, &ro->prefix.ip)) {
				field(ld, e, "addressPrefix", &m3);
				return fail(ld, "prefix '%s' is already routed by routes[%zu] '%s'", pfx, j, rt->routes[j].name);
			}
	}
	rt->nroutes = n;
	pop(ld, m);
	return 0;
}

static int load_gateway(struct ld *ld, const cJSON *obj, struct topo_gateway *gw)
{
	const char *s = NULL;
	size_t m;
	cJSON *arr;
	int r;

	if (want(ld, obj, cJSON_IsObject(obj), "a gateway object") < 0)
		return -1;
	if (req_str(ld, obj, "name", &gw->name) < 0)
		return -1;
	r = opt_str(ld, obj, "type", &s);
	if (r == 0)
		r = opt_str(ld, obj, "gatewayType", &s);
	if (r < 0)
		return -1;
	gw->vpn = true;
	if (r > 0) {
		if (!strcasecmp(s, "ExpressRoute")) {
			gw->vpn = false;
		} else if (strcasecmp(s, "Vpn")) {
			if (!field(ld, obj, "type", &m))
				field(ld, obj, "gatewayType", &m);
			return fail(ld, "'%s' is not Vpn or ExpressRoute", s);
		}
	}
	r = opt_str(ld, obj, "publicIpAddress", &s);
	if (r < 0)
		return -1;
	if (r > 0) {
		if (nws_ip_parse(s, &gw->public_ip) < 0) {
			field(ld, obj, "publicIpAddress", &m);
			return fail(ld, "'%s' is not an IP address", s);
		}
		gw->has_public_ip = true;
	}
	if (opt_array(ld, obj, "localNetworks", &arr, &m) < 0)
		return -1;
	if (arr) {
		size_t n;

		if (!(gw->localnets = items_alloc(ld, arr, sizeof(*gw->localnets), &n)))
			return -1;
		for (struct item it = { 0 }; next_item(ld, arr, &it);) {
			const cJSON *e = it.e;
			struct topo_localnet *ln = &gw->localnets[it.i];

			if (want(ld, e, cJSON_IsObject(e), "a local network object") < 0)
				return -1;
			if (req_str(ld, e, "name", &ln->name) < 0)
				return -1;
			if (prefixes_field(ld, e, NULL, "addressPrefixes", false, &ln->pfx) < 0)
				return -1;
			if (ln->pfx.n == 0) {
				cJSON *las = cJSON_GetObjectItem(e, "localNetworkAddressSpace");

				if (!las)
					return missing(ld, "addressPrefixes");
				size_t m3 = push(ld, ".localNetworkAddressSpace");

				if (prefixes_field(ld, las, NULL, "addressPrefixes", true, &ln->pfx) < 0)
					return -1;
				pop(ld, m3);
			}
		}
		gw->nlocalnets = n;
		pop(ld, m);
	}
	if (opt_array(ld, obj, "arpTable", &arr, &m) < 0)
		return -1;
	if (arr) {
		size_t n;

		if (!(gw->arp = items_alloc(ld, arr, sizeof(*gw->arp), &n)))
			return -1;
		for (struct item it = { 0 }; next_item(ld, arr, &it);) {
			const cJSON *e = it.e, *ipv = cJSON_IsObject(e) ? cJSON_GetObjectItem(e, "ipAddress") : e;

			if (want(ld, ipv, cJSON_IsString(ipv), "an IP address string") < 0)
				return -1;
			if (nws_ip_parse(ipv->valuestring, &gw->arp[it.i]) < 0)
				return fail(ld, "'%s' is not an IP address", ipv->valuestring);
		}
		gw->narp = n;
		pop(ld, m);
	}
	return 0;
}

/* Whether two prefix lists share an address; *ia, *ib: the first pair that does. */
static bool plist_overlap(const struct topo_plist *a, const struct topo_plist *b, size_t *ia, size_t *ib)
{
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++)
			if (a->p[i].ip.fam == b->p[j].ip.fam &&
			    (nws_prefix_contains(&a->p[i], &b->p[j].ip) || nws_prefix_contains(&b->p[j], &a->p[i].ip))) {
				*ia = i;
				*ib = j;
				return true;
			}
	return false;
}

static bool plist_within(const struct topo_plist *inner, const struct topo_plist *outer, size_t *bad)
{
	for (size_t i = 0; i < inner->n; i++) {
		bool ok = false;

		for (size_t j = 0; j < outer->n && !ok; j++)
			ok = outer->p[j].len <= inner->p[i].len && nws_prefix_contains(&outer->p[j], &inner->p[i].ip);
		if (!ok) {
			*bad = i;
			return false;
		}
	}
	return true;
}

/* First pass: names and address spaces, so peerings can refer forward. */
static int load_vnet_head(struct ld *ld, const cJSON *obj, struct topo_vnet *vn)
{
	if (want(ld, obj, cJSON_IsObject(obj), "a virtual network object") < 0)
		return -1;
	if (req_str(ld, obj, "name", &vn->name) < 0)
		return -1;
	vn->id = make_id(ld, obj, "virtualNetworks", vn->name);
	if (prefixes_field(ld, obj, NULL, "addressSpace", true, &vn->space) < 0)
		return -1;
	return vn->id ? 0 : oom(ld);
}

static int load_subnet(struct ld *ld, const cJSON *obj, int vi, struct topo_subnet *sn)
{
	const struct topo_vnet *vn = &ld->t->vnets[vi];
	size_t m, bad;
	cJSON *v;

	if (want(ld, obj, cJSON_IsObject(obj), "a subnet object") < 0)
		return -1;
	if (req_str(ld, obj, "name", &sn->name) < 0)
		return -1;
	sn->vnet = vi;
	sn->id = nws_arena_printf(A(ld), "%s/subnets/%s", vn->id, sn->name);
	if (prefixes_field(ld, obj, "addressPrefix", "addressPrefixes", true, &sn->pfx) < 0)
		return -1;
	if (!plist_within(&sn->pfx, &vn->space, &bad)) {
		char b[NWS_PREFIX_STRLEN];

		if (!field(ld, obj, "addressPrefix", &m))
			field(ld, obj, "addressPrefixes", &m);
		return fail(ld, "%s is outside the address space of virtual network '%s'",
			    nws_prefix_str(&sn->pfx.p[bad], b), vn->name);
	}
	sn->nsg = sn->rt = -1;
	if ((v = field(ld, obj, "networkSecurityGroup", &m))) {
		if (ref_lookup(ld, v, "network security group", NM_NSG, &sn->nsg) < 0)
			return -1;
		pop(ld, m);
	}
	if ((v = field(ld, obj, "routeTable", &m))) {
		if (ref_lookup(ld, v, "route table", NM_RT, &sn->rt) < 0)
			return -1;
		pop(ld, m);
	}
	return 0;
}

static int load_vnet_body(struct ld *ld, const cJSON *obj, int vi)
{
	struct topo_vnet *vn = &ld->t->vnets[vi];
	size_t m;
	cJSON *arr, *v;

	if (opt_array(ld, obj, "subnets", &arr, &m) < 0)
		return -1;
	vn->first_subnet = ld->t->nsubnets;
	if (arr) {
		for (struct item it = { 0 }; next_item(ld, arr, &it);) {
			ld->t->subnets = grow(ld, ld->t->subnets, ld->t->nsubnets, &ld->subnet_cap, sizeof(*ld->t->subnets));
			if (!ld->t->subnets)
				return oom(ld);
			struct topo_subnet *sn = &ld->t->subnets[ld->t->nsubnets];

			if (load_subnet(ld, it.e, vi, sn) < 0)
				return -1;
			for (size_t j = vn->first_subnet; j < ld->t->nsubnets; j++) {
				const struct topo_subnet *o = &ld->t->subnets[j];
				size_t a, b;

				if (!strcasecmp(o->name, sn->name))
					return fail(ld, "subnet name '%s' is used twice in virtual network '%s'", sn->name, vn->name);
				if (plist_overlap(&sn->pfx, &o->pfx, &a, &b)) {
					char s1[NWS_PREFIX_STRLEN], s2[NWS_PREFIX_STRLEN];

					return fail(ld, "%s overlaps subnet '%s' (%s): subnets of one network cannot overlap (Azure refuses it too)",
						    nws_prefix_str(&sn->pfx.p[a], s1), o->name, nws_prefix_str(&o->pfx.p[b], s2));
				}
			}
			ld->t->nsubnets++;
		}
		pop(ld, m);
	}
	vn->nsubnets = ld->t->nsubnets - vn->first_subnet;

	if (opt_array(ld, obj, "peerings", &arr, &m) < 0)
		return -1;
	if (!arr && opt_array(ld, obj, "virtualNetworkPeerings", &arr, &m) < 0)
		return -1;
	if (arr) {
		size_t n, m3;

		if (!(vn->peerings = items_alloc(ld, arr, sizeof(*vn->peerings), &n)))
			return -1;
		for (struct item it = { 0 }; next_item(ld, arr, &it);) {
			const cJSON *e = it.e;
			struct topo_peering *p = &vn->peerings[it.i];

			if (want(ld, e, cJSON_IsObject(e), "a peering object") < 0)
				return -1;
			if (req_str(ld, e, "name", &p->name) < 0)
				return -1;
			if (!(v = field(ld, e, "remoteVirtualNetwork", &m3)))
				return missing(ld, "remoteVirtualNetwork");
			if (ref_lookup(ld, v, "virtual network", NM_VNET, &p->remote) < 0)
				return -1;
			if (p->remote == vi)
				return fail(ld, "a virtual network cannot peer with itself");
			pop(ld, m3);
			if (opt_bool(ld, e, "allowForwardedTraffic", &p->allow_forwarded) < 0 ||
			    opt_bool(ld, e, "allowGatewayTransit", &p->allow_gateway_transit) < 0 ||
			    opt_bool(ld, e, "useRemoteGateways", &p->use_remote_gateways) < 0 ||
			    opt_str(ld, e, "peeringState", &p->state) < 0)
				return -1;
			if (!(p->at = nws_arena_strdup(A(ld), ld->path)))
				return oom(ld);
		}
		vn->npeerings = n;
		pop(ld, m);
	}
	if ((v = field(ld, obj, "gateway", &m))) {
		vn->gateway = nws_arena_alloc(A(ld), sizeof(*vn->gateway));
		if (!vn->gateway)
			return oom(ld);
		if (load_gateway(ld, v, vn->gateway) < 0)
			return -1;
		pop(ld, m);
	}
	return 0;
}

static int find_subnet_ref(struct ld *ld, const char *ref)
{
	const struct topo *t = ld->t;
	const char *sub = strstr(ref, "/subnets/");
	char vname[256] = "";
	const char *sname = ref;

	if (sub) {
		/* ARM id: .../virtualNetworks/V/subnets/S */
		const char *vs = strstr(ref, "/virtualNetworks/");

		if (vs) {
			vs += strlen("/virtualNetworks/");
			snprintf(vname, sizeof(vname), "%.*s", (int)(sub - vs), vs);
		}
		sname = sub + strlen("/subnets/");
	} else if (strchr(ref, '/')) {
		const char *sl = strchr(ref, '/');

		snprintf(vname, sizeof(vname), "%.*s", (int)(sl - ref), ref);
		sname = sl + 1;
	}
	int found = -1, count = 0;
	size_t lo = 0, hi = t->nsubnets;

	/* Named with its network: only that network's subnets need looking at. */
	if (vname[0]) {
		size_t v = names_find(&ld->by_name[NM_VNET], vname);

		if (v == NAMES_NEW)
			return fail(ld, "unknown subnet '%s'", ref), -2;
		lo = t->vnets[v].first_subnet;
		hi = lo + t->vnets[v].nsubnets;
	}
	for (size_t i = lo; i < hi; i++) {
		if (strcasecmp(t->subnets[i].name, sname))
			continue;
		if (vname[0] && strcasecmp(t->vnets[t->subnets[i].vnet].name, vname))
			continue;
		found = (int)i;
		count++;
	}
	if (count > 1)
		return fail(ld, "subnet name '%s' is ambiguous: write it as 'vnet/%s'", sname, sname), -2;
	if (found < 0)
		return fail(ld, "unknown subnet '%s'", ref), -2;
	return found;
}

static int asg_list(struct ld *ld, const cJSON *obj, int **out, size_t *n)
{
	size_t m;
	cJSON *arr;

	if (opt_array(ld, obj, "applicationSecurityGroups", &arr, &m) < 0)
		return -1;
	if (!arr)
		return 0;
	size_t k;

	if (!(*out = items_alloc(ld, arr, sizeof(int), &k)))
		return -1;
	for (struct item it = { 0 }; next_item(ld, arr, &it);)
		if (ref_lookup(ld, it.e, "application security group", NM_ASG, &(*out)[it.i]) < 0)
			return -1;
	*n = k;
	pop(ld, m);
	return 0;
}

static int ipcfg_subnet(struct ld *ld, const cJSON *obj, int *sub)
{
	size_t m;
	cJSON *v = field(ld, obj, "subnet", &m);
	const char *s;

	if (!v)
		return missing(ld, "subnet");
	if (ref_text(ld, v, &s) < 0)
		return -1;
	*sub = find_subnet_ref(ld, s);
	if (*sub < 0)
		return -1;
	pop(ld, m);
	return 0;
}

static int ipcfg_address(struct ld *ld, const cJSON *obj, struct topo_ipcfg *c)
{
	const char *s, *method = NULL;
	size_t m;

	/* A template's Dynamic address is Azure's to choose: the subnet's next free one (assign_dynamic). */
	if (!field(ld, obj, "privateIpAddress", &m)) {
		if (opt_str(ld, obj, "privateIPAllocationMethod", &method) < 0)
			return -1;
		if (!method || !strcasecmp(method, "Dynamic")) {
			c->dynamic = true;
			return 0;
		}
	} else {
		pop(ld, m);
	}
	if (req_str(ld, obj, "privateIpAddress", &s) < 0)
		return -1;
	if (nws_ip_parse(s, &c->ip) < 0) {
		field(ld, obj, "privateIpAddress", &m);
		return fail(ld, "'%s' is not an IP address", s);
	}
	const struct topo_subnet *sn = &ld->t->subnets[c->subnet];
	bool in = false;

	for (size_t i = 0; i < sn->pfx.n; i++)
		in |= nws_prefix_contains(&sn->pfx.p[i], &c->ip);
	if (!in) {
		field(ld, obj, "privateIpAddress", &m);
		return fail(ld, "%s is not inside subnet '%s/%s'", s, ld->t->vnets[sn->vnet].name, sn->name);
	}
	return 0;
}

/*
 * macAddress as Azure prints it ("00-0D-3A-11-22-33") or bare; without one, a stable address
 * in Azure's 00-0D-3A range made from the NIC's name, so flow logs always have one.
 */
static int nic_mac(struct ld *ld, const cJSON *obj, struct topo_nic *nic)
{
	const char *s = NULL;
	int r = opt_str(ld, obj, "macAddress", &s);
	size_t n = 0;

	if (r < 0)
		return -1;
	if (r == 0) {
		uint32_t h = 2166136261u;

		for (const char *p = nic->name; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
		snprintf(nic->mac, sizeof(nic->mac), "000D3A%06X", h & 0xffffff);
		return 0;
	}
	for (const char *p = s; *p; p++) {
		if (*p == '-' || *p == ':')
			continue;
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')) || n == 12) {
			size_t m;

			field(ld, obj, "macAddress", &m);
			return fail(ld, "'%s' is not a MAC address", s);
		}
		nic->mac[n++] = (char)(*p >= 'a' ? *p - 32 : *p);
	}
	if (n != 12) {
		size_t m;

		field(ld, obj, "macAddress", &m);
		return fail(ld, "'%s' is not a MAC address", s);
	}
	nic->mac[12] = 0;
	return 0;
}

static int load_nic(struct ld *ld, const cJSON *obj, int vm, struct topo_nic *nic)
{
	size_t m;
	cJSON *arr, *v;
	const char *s;
	int r;

	if (want(ld, obj, cJSON_IsObject(obj), "a network interface object") < 0)
		return -1;
	if (req_str(ld, obj, "name", &nic->name) < 0)
		return -1;
	nic->id = make_id(ld, obj, "networkInterfaces", nic->name);
	nic->vm = vm;
	nic->nsg = -1;
	if (opt_array(ld, obj, "ipConfigurations", &arr, &m) < 0)
		return -1;
	if (arr && cJSON_GetArraySize(arr) > 0) {
		size_t n;

		if (!(nic->ipcfgs = items_alloc(ld, arr, sizeof(*nic->ipcfgs), &n)))
			return -1;
		for (struct item it = { 0 }; next_item(ld, arr, &it);) {
			const cJSON *e = it.e;
			struct topo_ipcfg *c = &nic->ipcfgs[it.i];

			if (want(ld, e, cJSON_IsObject(e), "an IP configuration object") < 0)
				return -1;
			if (opt_str(ld, e, "name", &c->name) < 0 || ipcfg_subnet(ld, e, &c->subnet) < 0 ||
			    ipcfg_address(ld, e, c) < 0 || asg_list(ld, e, &c->asgs, &c->nasgs) < 0)
				return -1;
			if (it.i > 0 && ld->t->subnets[c->subnet].vnet != ld->t->subnets[nic->ipcfgs[0].subnet].vnet)
				return fail(ld, "all IP configurations of a network interface must be in one virtual network");
		}
		nic->nipcfgs = n;
		pop(ld, m);
	} else {
		nic->ipcfgs = nws_arena_alloc(A(ld), sizeof(*nic->ipcfgs));
		if (!nic->ipcfgs)
			return oom(ld);
		if (ipcfg_subnet(ld, obj, &nic->ipcfgs[0].subnet) < 0 || ipcfg_address(ld, obj, &nic->ipcfgs[0]) < 0)
			return -1;
		nic->nipcfgs = 1;
	}
	for (size_t i = 0; i < nic->nipcfgs; i++)
		if (!nic->ipcfgs[i].name && !(nic->ipcfgs[i].name = nws_arena_printf(A(ld), "ipconfig%zu", i + 1)))
			return oom(ld);
	/* NIC-level ASGs (flattened shape) apply to every IP configuration without its own. */
	int *asgs = NULL;
	size_t nasgs = 0;

	if (asg_list(ld, obj, &asgs, &nasgs) < 0)
		return -1;
	for (size_t i = 0; i < nic->nipcfgs; i++)
		if (nasgs && !nic->ipcfgs[i].nasgs) {
			nic->ipcfgs[i].asgs = asgs;
			nic->ipcfgs[i].nasgs = nasgs;
		}
	if ((v = field(ld, obj, "networkSecurityGroup", &m))) {
		if (ref_lookup(ld, v, "network security group", NM_NSG, &nic->nsg) < 0)
			return -1;
		pop(ld, m);
	}
	if (opt_bool(ld, obj, "enableIpForwarding", &nic->ip_forwarding) < 0)
		return -1;
	if (nic_mac(ld, obj, nic) < 0)
		return -1;
	if ((v = field(ld, obj, "publicIpAddress", &m))) {
		if (cJSON_IsString(v)) {
			if (nws_ip_parse(v->valuestring, &nic->public_ip) < 0)
				return fail(ld, "'%s' is not an IP address", v->valuestring);
			nic->has_public_ip = true;
		} else if (!cJSON_IsObject(v)) {
			return want(ld, v, 0, "an IP address string");
		}
		pop(ld, m);
	}
	(void)s;
	(void)r;
	return 0;
}

/* A VM's NIC entry is the NIC itself, or a reference to the top-level networkInterfaces list. */
static const cJSON *nic_object(struct ld *ld, const cJSON *e, size_t *topidx)
{
	const cJSON *top = cJSON_GetObjectItem(ld->root, "networkInterfaces");
	const char *ref = NULL;

	*topidx = (size_t)-1;
	if (cJSON_IsString(e))
		ref = e->valuestring;
	else if (cJSON_IsObject(e) && cJSON_GetArraySize(e) == 1 && cJSON_IsString(cJSON_GetObjectItem(e, "id")))
		ref = cJSON_GetObjectItem(e, "id")->valuestring;
	size_t i = 0;
	const cJSON *c;

	if (!ref) {
		/* Defined here and at the top level under one name: one of them would be dropped unseen. */
		const cJSON *nm = cJSON_GetObjectItem(e, "name");

		cJSON_ArrayForEach(c, top) {
			const cJSON *tn = cJSON_GetObjectItem(c, "name");

			if (cJSON_IsString(nm) && cJSON_IsString(tn) && !strcasecmp(nm->valuestring, tn->valuestring)) {
				fail(ld, "network interface '%s' is defined here and again in networkInterfaces[%zu]: refer to that one by name, or drop it",
				     nm->valuestring, i);
				return NULL;
			}
			i++;
		}
		return e;
	}

	cJSON_ArrayForEach(c, top) {
		const cJSON *nm = cJSON_GetObjectItem(c, "name");

		if (cJSON_IsString(nm) && !strcasecmp(nm->valuestring, id_tail(ref))) {
			*topidx = i;
			return c;
		}
		i++;
	}
	fail(ld, "unknown network interface '%s'", id_tail(ref));
	return NULL;
}

/* ---- runtime facts for connection troubleshoot ------------------------------------------------ */

/* A whole number in lo..hi, given as a JSON number or a numeric string. */
static int whole_in(struct ld *ld, const cJSON *v, long lo, long hi, const char *what, long *out)
{
	char *end;
	double d;

	if (cJSON_IsNumber(v)) {
		d = v->valuedouble;
	} else if (cJSON_IsString(v) && v->valuestring[0]) {
		d = strtod(v->valuestring, &end);
		if (*end)
			return fail(ld, "'%s' is not %s", v->valuestring, what);
	} else {
		return want(ld, v, 0, what);
	}
	/* The range first: converting a double beyond long's range (1e300, a NaN) is undefined. */
	if (!(d >= (double)lo && d <= (double)hi))
		return fail(ld, "%g is outside %ld..%ld", d, lo, hi);
	if (d != (double)(long)d)
		return fail(ld, "%g is not %s", d, what);
	*out = (long)d;
	return 0;
}

/* Optional number in lo..hi: 1 found, 0 absent, -1 error. */
static int opt_number(struct ld *ld, const cJSON *obj, const char *key, double lo, double hi, double *out)
{
	size_t m;
	cJSON *v = field(ld, obj, key, &m);

	if (!v)
		return 0;
	if (want(ld, v, cJSON_IsNumber(v), "a number") < 0)
		return -1;
	if (!(v->valuedouble >= lo && v->valuedouble <= hi))
		return fail(ld, "%g is outside %g..%g", v->valuedouble, lo, hi);
	*out = v->valuedouble;
	pop(ld, m);
	return 1;
}

/* listeningPorts / portsInUse: [{"protocol": "Tcp"|"Udp", "port": N}]. */
static int load_socks(struct ld *ld, const cJSON *obj, const char *key, struct topo_sock **out, size_t *n)
{
	cJSON *arr;
	size_t m;

	if (opt_array(ld, obj, key, &arr, &m) < 0)
		return -1;
	if (!arr)
		return 0;
	if (!(*out = items_alloc(ld, arr, sizeof(**out), n)))
		return -1;
	for (struct item it = { 0 }; next_item(ld, arr, &it);) {
		const cJSON *e = it.e;
		size_t m3;
		struct topo_sock *k = &(*out)[it.i];
		const char *ps = NULL;
		long port = 0;

		if (want(ld, e, cJSON_IsObject(e), "an object with protocol and port") < 0)
			return -1;
		if (req_str(ld, e, "protocol", &ps) < 0)
			return -1;
		if (!strcasecmp(ps, "Tcp")) {
			k->proto = AZ_PROTO_TCP;
		} else if (!strcasecmp(ps, "Udp")) {
			k->proto = AZ_PROTO_UDP;
		} else {
			field(ld, e, "protocol", &m3);
			return fail(ld, "'%s' is not Tcp or Udp", ps);
		}
		const cJSON *pv = field(ld, e, "port", &m3);

		if (!pv)
			return missing(ld, "port");
		if (whole_in(ld, pv, 0, 65535, "a port number", &port) < 0)
			return -1;
		k->port = (uint16_t)port;
		pop(ld, m3);
	}
	pop(ld, m);
	return 0;
}

/* "httpResponses": [{"path": "/...", "statusCode": N}]: what a web server answers. */
static int load_web(struct ld *ld, const cJSON *obj, struct topo_web *w)
{
	cJSON *arr;
	size_t m;

	if (opt_array(ld, obj, "httpResponses", &arr, &m) < 0)
		return -1;
	if (!arr)
		return 0;
	if (!(w->paths = items_alloc(ld, arr, sizeof(*w->paths), &w->npaths)))
		return -1;
	for (struct item it = { 0 }; next_item(ld, arr, &it);) {
		const cJSON *e = it.e;
		struct topo_http *h = &w->paths[it.i];
		size_t m3;
		long code = 0;

		if (want(ld, e, cJSON_IsObject(e), "an object with path and statusCode") < 0)
			return -1;
		if (req_str(ld, e, "path", &h->path) < 0)
			return -1;
		if (h->path[0] != '/') {
			field(ld, e, "path", &m3);
			return fail(ld, "'%s' does not begin with /", h->path);
		}
		const cJSON *cv = field(ld, e, "statusCode", &m3);

		if (!cv)
			return missing(ld, "statusCode");
		if (whole_in(ld, cv, 100, 599, "an HTTP status code", &code) < 0)
			return -1;
		h->status = (int)code;
		pop(ld, m3);
	}
	pop(ld, m);
	return 0;
}

static int load_fw_rule(struct ld *ld, const cJSON *e, struct topo_fw_rule *r)
{
	const char *s = NULL;
	size_t m;
	int d;

	if (want(ld, e, cJSON_IsObject(e), "a firewall rule object") < 0)
		return -1;
	if (req_str(ld, e, "name", &r->name) < 0 || req_str(ld, e, "direction", &s) < 0)
		return -1;
	if ((d = az_dir_parse(s)) < 0) {
		field(ld, e, "direction", &m);
		return fail(ld, "'%s' is not Inbound or Outbound", s);
	}
	r->dir = (enum az_dir)d;
	if (req_str(ld, e, "action", &s) < 0)
		return -1;
	if (!strcasecmp(s, "Allow")) {
		r->allow = true;
	} else if (strcasecmp(s, "Block")) {
		field(ld, e, "action", &m);
		return fail(ld, "'%s' is not Allow or Block", s);
	}
	r->proto = AZ_PROTO_ANY;
	int got = opt_str(ld, e, "protocol", &s);

	if (got < 0)
		return -1;
	if (got > 0 && az_proto_parse(s, &r->proto) < 0) {
		field(ld, e, "protocol", &m);
		return fail(ld, "'%s' is not a protocol (Tcp, Udp, Icmp, Esp, Ah or *)", s);
	}
	r->local.any = true;
	if (field(ld, e, "localPorts", &m)) {
		pop(ld, m);
		r->local.any = false;
		if (rule_ports(ld, e, "localPorts", "localPorts", &r->local) < 0)
			return -1;
	}
	cJSON *arr;

	if (opt_array(ld, e, "remoteAddresses", &arr, &m) < 0)
		return -1;
	if (arr) {
		const cJSON *x;
		bool any = false;

		/* '*' among the addresses: any remote address, as an empty list is. */
		cJSON_ArrayForEach(x, arr)
			any |= cJSON_IsString(x) && !strcmp(x->valuestring, "*");
		if (!any && prefix_array(ld, arr, &r->remote) < 0)
			return -1;
		pop(ld, m);
	}
	return 0;
}

static int load_guest_fw(struct ld *ld, const cJSON *obj, struct topo_guest_fw *fw)
{
	size_t m;
	cJSON *v = field(ld, obj, "guestFirewall", &m), *arr;
	static const char *const keys[AZ_NDIR] = { "defaultInbound", "defaultOutbound" };

	fw->allow[AZ_INBOUND] = fw->allow[AZ_OUTBOUND] = true;
	if (!v)
		return 0;
	if (want(ld, v, cJSON_IsObject(v), "a guest firewall object") < 0)
		return -1;
	fw->present = true;
	for (int d = 0; d < AZ_NDIR; d++) {
		const char *s = NULL;
		size_t m2;
		int r = opt_str(ld, v, keys[d], &s);

		if (r < 0)
			return -1;
		if (r > 0 && strcasecmp(s, "Allow") && strcasecmp(s, "Block")) {
			field(ld, v, keys[d], &m2);
			return fail(ld, "'%s' is not Allow or Block", s);
		}
		fw->allow[d] = r == 0 || !strcasecmp(s, "Allow");
	}
	size_t m3;

	if (opt_array(ld, v, "rules", &arr, &m3) < 0)
		return -1;
	if (arr) {
		if (!(fw->rules = items_alloc(ld, arr, sizeof(*fw->rules), &fw->nrules)))
			return -1;
		for (struct item it = { 0 }; next_item(ld, arr, &it);)
			if (load_fw_rule(ld, it.e, &fw->rules[it.i]) < 0)
				return -1;
		pop(ld, m3);
	}
	pop(ld, m);
	return 0;
}

/* cpuPercent, memoryPercent, listeningPorts, portsInUse, httpResponses, guestFirewall. */
static int load_vm_facts(struct ld *ld, const cJSON *obj, struct topo_vm *vm)
{
	vm->cpu_pct = vm->mem_pct = -1;
	if (opt_number(ld, obj, "cpuPercent", 0, 100, &vm->cpu_pct) < 0 ||
	    opt_number(ld, obj, "memoryPercent", 0, 100, &vm->mem_pct) < 0)
		return -1;
	if (load_socks(ld, obj, "listeningPorts", &vm->listen, &vm->nlisten) < 0 ||
	    load_socks(ld, obj, "portsInUse", &vm->in_use, &vm->nin_use) < 0 || load_web(ld, obj, &vm->web) < 0)
		return -1;
	return load_guest_fw(ld, obj, &vm->fw);
}

/* "dns": {"name": ["address", ...] or "address"}. */
static int load_dns(struct ld *ld, const cJSON *root)
{
	struct topo *t = ld->t;
	size_t m, i = 0;
	cJSON *v = field(ld, root, "dns", &m);
	const cJSON *e;

	if (!v)
		return 0;
	if (want(ld, v, cJSON_IsObject(v), "an object of names to addresses") < 0)
		return -1;
	t->ndns = (size_t)cJSON_GetArraySize(v);
	if (!(t->dns = nws_arena_array(A(ld), t->ndns ? t->ndns : 1, sizeof(*t->dns))))
		return oom(ld);
	cJSON_ArrayForEach(e, v) {
		struct topo_dns *d = &t->dns[i++];
		size_t m2 = push(ld, "[\"%s\"]", e->string), n = cJSON_IsArray(e) ? (size_t)cJSON_GetArraySize(e) : 1;

		if (want(ld, e, cJSON_IsString(e) || cJSON_IsArray(e), "an address or a list of addresses") < 0)
			return -1;
		if (n == 0)
			return fail(ld, "no address: leave the name out for one that does not resolve");
		d->name = nws_arena_strdup(A(ld), e->string);
		if (!d->name || !(d->ips = nws_arena_array(A(ld), n, sizeof(*d->ips))))
			return oom(ld);
		for (size_t k = 0; k < n; k++) {
			const cJSON *a = cJSON_IsArray(e) ? cJSON_GetArrayItem(e, (int)k) : e;
			size_t m3 = cJSON_IsArray(e) ? push(ld, "[%zu]", k) : ld->plen;

			if (want(ld, a, cJSON_IsString(a), "an IP address string") < 0)
				return -1;
			if (nws_ip_parse(a->valuestring, &d->ips[k]) < 0)
				return fail(ld, "'%s' is not an IP address", a->valuestring);
			pop(ld, m3);
		}
		d->nips = n;
		pop(ld, m2);
	}
	pop(ld, m);
	return 0;
}

/* "externalHosts": [{"address", "listeningPorts", "latencyMs", "httpResponses"}]. */
static int load_hosts(struct ld *ld, const cJSON *root)
{
	struct topo *t = ld->t;
	cJSON *arr;
	size_t m;

	if (opt_array(ld, root, "externalHosts", &arr, &m) < 0)
		return -1;
	if (!arr)
		return 0;
	if (!(t->hosts = items_alloc(ld, arr, sizeof(*t->hosts), &t->nhosts)))
		return -1;
	for (struct item it = { 0 }; next_item(ld, arr, &it);) {
		const cJSON *e = it.e;
		struct topo_host *h = &t->hosts[it.i];
		size_t m3;
		const char *a = NULL;

		if (want(ld, e, cJSON_IsObject(e), "an external host object") < 0)
			return -1;
		if (req_str(ld, e, "address", &a) < 0)
			return -1;
		if (nws_ip_parse(a, &h->ip) < 0) {
			field(ld, e, "address", &m3);
			return fail(ld, "'%s' is not an IP address", a);
		}
		h->latency_ms = -1;
		if (opt_number(ld, e, "latencyMs", 0, 60000, &h->latency_ms) < 0)
			return -1;
		if (load_socks(ld, e, "listeningPorts", &h->listen, &h->nlisten) < 0 || load_web(ld, e, &h->web) < 0)
			return -1;
	}
	pop(ld, m);
	return 0;
}

/* "latency": {"vnetLocal": ms or {"mean": ms, "jitter": ms}, "peering", "gateway", "internet"}. */
static int load_latency(struct ld *ld, const cJSON *root)
{
	static const char *const keys[TOPO_LINK_COUNT] = { "vnetLocal", "peering", "gateway", "internet" };
	/* nwsim's defaults (docs/topology-format.md): a region's fabric, peering, a VPN, the internet. */
	static const double mean[TOPO_LINK_COUNT] = { 1.0, 1.5, 10.0, 25.0 }, jitter[TOPO_LINK_COUNT] = { 0.2, 0.3, 2.0, 5.0 };
	struct topo_latency *l = &ld->t->latency;
	size_t m;
	cJSON *v = field(ld, root, "latency", &m);

	memcpy(l->mean, mean, sizeof(mean));
	memcpy(l->jitter, jitter, sizeof(jitter));
	if (!v)
		return 0;
	if (want(ld, v, cJSON_IsObject(v), "an object of link latencies") < 0)
		return -1;
	for (int k = 0; k < TOPO_LINK_COUNT; k++) {
		size_t m2;
		cJSON *x = field(ld, v, keys[k], &m2);

		if (!x)
			continue;
		if (cJSON_IsNumber(x)) {
			pop(ld, m2);
			if (opt_number(ld, v, keys[k], 0, 60000, &l->mean[k]) < 0)
				return -1;
			l->jitter[k] = 0;
			continue;
		}
		if (want(ld, x, cJSON_IsObject(x), "milliseconds, or {\"mean\": ms, \"jitter\": ms}") < 0)
			return -1;
		if (opt_number(ld, x, "mean", 0, 60000, &l->mean[k]) < 0)
			return -1;
		l->jitter[k] = 0;
		if (opt_number(ld, x, "jitter", 0, 60000, &l->jitter[k]) < 0)
			return -1;
		if (l->jitter[k] > l->mean[k])
			return fail(ld, "jitter %g is above the mean %g: latencies would go below zero", l->jitter[k], l->mean[k]);
		pop(ld, m2);
	}
	pop(ld, m);
	return 0;
}

static int load_vm(struct ld *ld, const cJSON *obj, int vi)
{
	struct topo *t = ld->t;
	struct topo_vm *vm = &t->vms[vi];
	size_t m;
	cJSON *arr;

	if (want(ld, obj, cJSON_IsObject(obj), "a virtual machine object") < 0)
		return -1;
	if (req_str(ld, obj, "name", &vm->name) < 0)
		return -1;
	vm->id = nws_arena_printf(A(ld), "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s",
				  AZ_SUBSCRIPTION, AZ_RESOURCE_GROUP, vm->name);
	{
		cJSON *id = cJSON_GetObjectItem(obj, "id");

		if (cJSON_IsString(id) && id->valuestring[0] == '/')
			vm->id = nws_arena_strdup(A(ld), id->valuestring);
	}
	vm->running = true;
	vm->forwarding = -1;
	if (opt_bool(ld, obj, "running", &vm->running) < 0)
		return -1;
	if (load_vm_facts(ld, obj, vm) < 0)
		return -1;
	{
		bool fwd;
		int r = opt_bool(ld, obj, "forwarding", &fwd);

		if (r < 0)
			return -1;
		if (r > 0)
			vm->forwarding = fwd;
	}
	if (opt_array(ld, obj, "networkInterfaces", &arr, &m) < 0)
		return -1;
	if (!arr) {
		size_t m1;
		cJSON *np = field(ld, obj, "networkProfile", &m1);

		if (np) {
			if (opt_array(ld, np, "networkInterfaces", &arr, &m) < 0)
				return -1;
		}
	}
	if (!arr || cJSON_GetArraySize(arr) == 0)
		return missing(ld, "networkInterfaces");
	vm->first_nic = t->nnics;
	for (struct item it = { 0 }; next_item(ld, arr, &it);) {
		size_t topidx;
		const cJSON *no = nic_object(ld, it.e, &topidx);

		if (!no)
			return -1;
		/* A NIC listed at the top level is reported at its own path. */
		char saved[sizeof(ld->path)];
		size_t savedlen = ld->plen;

		memcpy(saved, ld->path, sizeof(saved));
		if (topidx != (size_t)-1) {
			pop(ld, 0);
			push(ld, "networkInterfaces[%zu]", topidx);
		}
		t->nics = grow(ld, t->nics, t->nnics, &ld->nic_cap, sizeof(*t->nics));
		if (!t->nics)
			return oom(ld);
		struct topo_nic *nic = &t->nics[t->nnics];

		if (load_nic(ld, no, vi, nic) < 0)
			return -1;
		memcpy(ld->path, saved, sizeof(saved));
		ld->plen = savedlen;
		if (take_name(ld, NM_NIC, nic->name, t->nnics, "network interface") < 0)
			return -1;
		t->nnics++;
	}
	vm->nnics = t->nnics - vm->first_nic;
	pop(ld, m);
	return 0;
}

static const struct topo_peering *peering_to(const struct topo *t, int from, int to)
{
	for (size_t i = 0; i < t->vnets[from].npeerings; i++)
		if (t->vnets[from].peerings[i].remote == to)
			return &t->vnets[from].peerings[i];
	return NULL;
}

static bool peering_up(const struct topo_peering *p)
{
	return !p->state || !strcasecmp(p->state, "Connected");
}

/*
 * A peering passes traffic once both sides exist and Azure calls it Connected. Azure accepts one
 * side alone and leaves it Initiated; a side whose remote network was deleted and made again
 * shows Disconnected. Neither passes anything: nwsim reads them, says so, and leaves them out,
 * and the side facing one of them passes nothing either.
 */
static int drop_idle_peerings(struct ld *ld)
{
	struct topo *t = ld->t;
	bool changed = true;

	while (changed) {
		changed = false;
		for (size_t v = 0; v < t->nvnets; v++) {
			struct topo_vnet *vn = &t->vnets[v];
			size_t keep = 0;

			for (size_t i = 0; i < vn->npeerings; i++) {
				const struct topo_peering *p = &vn->peerings[i], *back = peering_to(t, p->remote, (int)v);
				const char *rname = t->vnets[p->remote].name;
				int r = 0;

				snprintf(ld->path, sizeof(ld->path), "%s", p->at);
				ld->plen = strlen(ld->path);
				if (!peering_up(p))
					r = warn(ld, "peeringState is %s: the peering passes no traffic until it is Connected; nwsim leaves it out",
						 p->state);
				else if (!back)
					r = warn(ld, "'%s' has no peering back to '%s': Azure leaves a one-sided peering Initiated, passing no traffic; nwsim leaves it out",
						 rname, vn->name);
				else if (!peering_up(back))
					r = warn(ld, "the peering back from '%s' is %s, so this one passes no traffic either; nwsim leaves it out", rname,
						 back->state);
				else {
					vn->peerings[keep++] = *p;
					continue;
				}
				if (r < 0)
					return -1;
				changed = true;
			}
			vn->npeerings = keep;
		}
	}
	ld->path[0] = 0;
	ld->plen = 0;
	return 0;
}

/* Peerings as Azure connects them: one per pair of networks; remote gateways only where offered. */
static int validate_peerings(struct ld *ld)
{
	struct topo *t = ld->t;

	for (size_t v = 0; v < t->nvnets; v++)
		for (size_t i = 0; i < t->vnets[v].npeerings; i++) {
			const struct topo_vnet *vn = &t->vnets[v];

			for (size_t j = 0; j < i; j++)
				if (vn->peerings[j].remote == vn->peerings[i].remote) {
					snprintf(ld->path, sizeof(ld->path), "%s", vn->peerings[i].at);
					ld->plen = strlen(ld->path);
					return fail(ld, "'%s' is peered twice", t->vnets[vn->peerings[i].remote].name);
				}
			/* Azure will not make the peering at all, not even one side of it. */
			const struct topo_vnet *rv = &t->vnets[vn->peerings[i].remote];
			size_t a, b;

			if (plist_overlap(&vn->space, &rv->space, &a, &b)) {
				char s1[NWS_PREFIX_STRLEN], s2[NWS_PREFIX_STRLEN];

				snprintf(ld->path, sizeof(ld->path), "%s", vn->peerings[i].at);
				ld->plen = strlen(ld->path);
				return fail(ld, "'%s' (%s) and '%s' (%s) overlap: Azure does not peer networks whose address spaces overlap",
					    vn->name, nws_prefix_str(&vn->space.p[a], s1), rv->name, nws_prefix_str(&rv->space.p[b], s2));
			}
		}
	if (drop_idle_peerings(ld) < 0)
		return -1;
	for (size_t v = 0; v < t->nvnets; v++)
		for (size_t i = 0; i < t->vnets[v].npeerings; i++) {
			const struct topo_peering *p = &t->vnets[v].peerings[i];
			const struct topo_vnet *vn = &t->vnets[v], *rv = &t->vnets[p->remote];
			const struct topo_peering *back = peering_to(t, p->remote, (int)v);

			if (!p->use_remote_gateways)
				continue;
			snprintf(ld->path, sizeof(ld->path), "%s.useRemoteGateways", p->at);
			ld->plen = strlen(ld->path);
			if (vn->gateway)
				return fail(ld, "'%s' has a gateway of its own", vn->name);
			if (!rv->gateway)
				return fail(ld, "'%s' has no gateway", rv->name);
			if (!back->allow_gateway_transit)
				return fail(ld, "the peering from '%s' back to '%s' does not set allowGatewayTransit", rv->name, vn->name);
		}
	return 0;
}

/*
 * Dynamic private addresses as Azure hands them out: in the order the interfaces come, each the
 * lowest free address of its subnet's first IPv4 prefix, past the four Azure keeps at the start
 * and short of the broadcast address it keeps at the end.
 */
static int assign_dynamic(struct ld *ld)
{
	struct topo *t = ld->t;

	for (size_t a = 0; a < t->nnics; a++)
		for (size_t i = 0; i < t->nics[a].nipcfgs; i++) {
			struct topo_ipcfg *c = &t->nics[a].ipcfgs[i];
			const struct topo_subnet *sn = &t->subnets[c->subnet];
			const struct nws_prefix *p = NULL;

			if (!c->dynamic)
				continue;
			for (size_t k = 0; k < sn->pfx.n && !p; k++)
				if (sn->pfx.p[k].ip.fam == NWS_AF4)
					p = &sn->pfx.p[k];
			if (!p || p->len > 29)
				return nws_err_set(ld->err, "%s: network interface '%s': subnet '%s' has no IPv4 prefix Azure could give an address from",
						   t->file, t->nics[a].name, sn->name);
			uint64_t size = (uint64_t)1 << (32 - p->len);
			bool found = false;

			for (uint64_t off = 4; off < size - 1 && !found; off++) {
				struct nws_ip ip = { .fam = NWS_AF4, .v = p->ip.v + off };
				bool used = false;

				for (size_t b = 0; b < t->nnics && !used; b++)
					for (size_t j = 0; j < t->nics[b].nipcfgs && !used; j++) {
						const struct topo_ipcfg *o = &t->nics[b].ipcfgs[j];

						used = (!o->dynamic || (b < a || (b == a && j < i))) && o != c && nws_ip_eq(&o->ip, &ip) &&
						       t->subnets[o->subnet].vnet == sn->vnet;
					}
				if (!used) {
					c->ip = ip;
					found = true;
				}
			}
			if (!found)
				return nws_err_set(ld->err, "%s: network interface '%s': subnet '%s' has no free address left", t->file,
						   t->nics[a].name, sn->name);
			c->dynamic = false;
		}
	return 0;
}

/* Cross-resource rules that need everything loaded. */
/* An IP configuration where address uniqueness is checked: by network and address, then in file order. */
struct addr_at {
	int vnet;
	struct nws_ip ip;
	size_t nic, cfg;
};

static int addr_at_cmp(const void *x, const void *y)
{
	const struct addr_at *a = x, *b = y;

	if (a->vnet != b->vnet)
		return a->vnet < b->vnet ? -1 : 1;
	if (a->ip.fam != b->ip.fam)
		return a->ip.fam < b->ip.fam ? -1 : 1;
	if (a->ip.v != b->ip.v)
		return a->ip.v < b->ip.v ? -1 : 1;
	if (a->nic != b->nic)
		return a->nic < b->nic ? -1 : 1;
	return a->cfg < b->cfg ? -1 : a->cfg > b->cfg;
}

/*
 * One private address per virtual network. Sorted, not compared pair by pair (10,000 NICs). Of
 * several clashes, the one named is the first in file order, and the first it clashes with.
 */
static int unique_addresses(struct ld *ld)
{
	const struct topo *t = ld->t;
	size_t n = 0;

	for (size_t a = 0; a < t->nnics; a++)
		n += t->nics[a].nipcfgs;
	struct addr_at *v = malloc((n ? n : 1) * sizeof(*v)), *first = NULL;

	if (!v)
		return nws_err_set(ld->err, "%s: out of memory", t->file);
	n = 0;
	for (size_t a = 0; a < t->nnics; a++)
		for (size_t i = 0; i < t->nics[a].nipcfgs; i++) {
			const struct topo_ipcfg *c = &t->nics[a].ipcfgs[i];

			v[n++] = (struct addr_at){ .vnet = t->subnets[c->subnet].vnet, .ip = c->ip, .nic = a, .cfg = i };
		}
	qsort(v, n, sizeof(*v), addr_at_cmp);
	for (size_t k = 0; k + 1 < n; k++) {
		const struct addr_at *x = &v[k];

		if (x->vnet != x[1].vnet || !nws_ip_eq(&x->ip, &x[1].ip) || (k > 0 && x->vnet == x[-1].vnet && nws_ip_eq(&x->ip, &x[-1].ip)))
			continue;
		if (!first || first->nic > x->nic || (first->nic == x->nic && first->cfg > x->cfg))
			first = &v[k];
	}
	int rc = 0;

	if (first) {
		char s[NWS_IP_STRLEN];

		rc = nws_err_set(ld->err, "%s: network interfaces '%s' and '%s' both use %s", t->file,
				 t->nics[first->nic].name, t->nics[first[1].nic].name, nws_ip_str(&first->ip, s));
	}
	free(v);
	return rc;
}

static int validate(struct ld *ld)
{
	struct topo *t = ld->t;

	if (validate_peerings(ld) < 0)
		return -1;

	if (unique_addresses(ld) < 0)
		return -1;
	/* An ASG's members must share one virtual network (Azure refuses the second). */
	int *asg_vnet = calloc(t->nasgs ? t->nasgs : 1, sizeof(int));

	if (!asg_vnet)
		return oom(ld);
	for (size_t i = 0; i < t->nasgs; i++)
		asg_vnet[i] = -1;
	for (size_t n = 0; n < t->nnics; n++)
		for (size_t i = 0; i < t->nics[n].nipcfgs; i++) {
			const struct topo_ipcfg *c = &t->nics[n].ipcfgs[i];
			int v = t->subnets[c->subnet].vnet;

			for (size_t k = 0; k < c->nasgs; k++) {
				int g = c->asgs[k];

				if (asg_vnet[g] >= 0 && asg_vnet[g] != v) {
					int first = asg_vnet[g];

					free(asg_vnet);
					return nws_err_set(ld->err,
							   "%s: application security group '%s' has members in virtual networks '%s' and '%s'; all must be in one",
							   t->file, t->asgs[g].name, t->vnets[first].name, t->vnets[v].name);
				}
				asg_vnet[g] = v;
			}
		}
	/* All ASGs named by one rule, both sides, must be in one virtual network. */
	for (size_t g = 0; g < t->nnsgs; g++)
		for (size_t r = 0; r < t->nsgs[g].nuser; r++) {
			const struct topo_rule *ru = &t->nsgs[g].rules[r];
			int v = -1;
			const struct topo_side *sides[2] = { &ru->src, &ru->dst };

			for (int s = 0; s < 2; s++)
				for (size_t k = 0; k < sides[s]->nasgs; k++) {
					int av = asg_vnet[sides[s]->asgs[k]];

					if (av < 0)
						continue;
					if (v >= 0 && av != v) {
						free(asg_vnet);
						return nws_err_set(ld->err,
								   "%s: networkSecurityGroups[%zu].securityRules[%zu]: application security groups of rule '%s' are in different virtual networks ('%s' and '%s')",
								   t->file, g, r, ru->name, t->vnets[v].name, t->vnets[av].name);
					}
					v = av;
				}
		}
	free(asg_vnet);
	return 0;
}

/* Loads an optional top-level array of resources, with a duplicate-name check. */
#define LOAD_LIST(key, arrp, np, size, fn, what, kind)                                                 \
	do {                                                                                     \
		cJSON *arr_;                                                                     \
		size_t m_;                                                                       \
		if (opt_array(ld, root, key, &arr_, &m_) < 0)                                    \
			goto out;                                                                \
		if (arr_) {                                                                      \
			size_t n_;                                                               \
			if (!(arrp = items_alloc(ld, arr_, size, &n_)))                          \
				goto out;                                                        \
			for (struct item it_ = { 0 }; next_item(ld, arr_, &it_);) {              \
				size_t i_ = it_.i;                                               \
				if (fn(ld, it_.e, &(arrp)[i_]) < 0)                              \
					goto out;                                                \
				if (take_name(ld, kind, (arrp)[i_].name, i_, what) < 0)          \
					goto out;                                                \
				np = i_ + 1;                                                     \
			}                                                                        \
			pop(ld, m_);                                                             \
		}                                                                                \
	} while (0)

/* A topology larger than this is refused before it is parsed: real ones are a few megabytes. */
#define TOPO_MAX_BYTES ((size_t)256 << 20)

static int check_text(struct ld *ld, const char *s, const char *what)
{
	for (size_t i = 0; s[i];) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : nws_utf8_len((const unsigned char *)s + i);

		if (!n)
			return fail(ld, "%s is not valid UTF-8 (byte 0x%02x at offset %zu)", what, c, i);
		i += n;
	}
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Before anything is read: every key and string is UTF-8, and no object has a key twice. cJSON
 * would quietly take the first of two, and it matches keys case-insensitively, so "Name" and
 * "name" are the same key.
 */
static int check_tree(struct ld *ld, const cJSON *j)
{
	if (cJSON_IsString(j))
		return check_text(ld, j->valuestring, "the string");
	if (!cJSON_IsObject(j) && !cJSON_IsArray(j))
		return 0;
	size_t n = 0, i = 0;
	const cJSON *e;

	cJSON_ArrayForEach(e, j) {
		if (cJSON_IsObject(j) && check_text(ld, e->string, "a key") < 0)
			return -1;
		n++;
	}
	if (cJSON_IsObject(j) && n > 1) {
		const char **keys = malloc(n * sizeof(*keys));

		if (!keys)
			return oom(ld);
		cJSON_ArrayForEach(e, j)
			keys[i++] = e->string;
		qsort(keys, n, sizeof(*keys), key_cmp);
		for (i = 1; i < n; i++)
			if (!strcasecmp(keys[i - 1], keys[i])) {
				fail(ld, "key '%s' appears twice (keys are not case-sensitive)", keys[i]);
				free(keys);
				return -1;
			}
		free(keys);
	}
	i = 0;
	cJSON_ArrayForEach(e, j) {
		size_t m = cJSON_IsObject(j) ? push(ld, ".%s", e->string) : push(ld, "[%zu]", i);

		if (check_tree(ld, e) < 0)
			return -1;
		pop(ld, m);
		i++;
	}
	return 0;
}

/* How deep the brackets are open at off (outside strings): tells nesting too deep from bad syntax. */
static size_t depth_at(const char *buf, size_t off)
{
	size_t d = 0;
	bool str = false;

	for (size_t i = 0; i < off; i++) {
		if (str) {
			if (buf[i] == '\\')
				i++;
			else if (buf[i] == '"')
				str = false;
		} else if (buf[i] == '"') {
			str = true;
		} else if (buf[i] == '[' || buf[i] == '{') {
			d++;
		} else if ((buf[i] == ']' || buf[i] == '}') && d) {
			d--;
		}
	}
	return d;
}

/* Line and column (from 1) of offset off. */
static void line_col(const char *buf, size_t off, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++, (*col)++)
		if (buf[i] == '\n') {
			(*line)++;
			*col = 0;
		}
}

/*
 * A \u0000 escape inside a string of a document cJSON parsed: the string it decodes to would
 * end there, and the rest of it be lost without a word. Returns its offset, or len when none.
 */
static size_t nul_escape(const char *buf, size_t len)
{
	bool str = false;

	for (size_t i = 0; i < len; i++) {
		if (!str) {
			str = buf[i] == '"';
		} else if (buf[i] == '"') {
			str = false;
		} else if (buf[i] == '\\' && i + 1 < len) {
			if (buf[i + 1] == 'u' && i + 5 < len && !strncmp(buf + i + 2, "0000", 4))
				return i;
			i++;
		}
	}
	return len;
}

/* One file parsed: JSON's errors with their line and column, then every key and string checked. */
static cJSON *parse_doc(const char *name, const char *buf, size_t len, struct nws_err *err)
{
	struct topo tmp = { .file = name };
	struct ld ldv = { .t = &tmp, .err = err }, *ld = &ldv;
	cJSON *root = NULL;
	const char *end = NULL;

	if (len > TOPO_MAX_BYTES) {
		nws_err_set(err, "%s: larger than the %zu MiB a topology may be", name, TOPO_MAX_BYTES >> 20);
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (!root) {
		size_t off = end ? (size_t)(end - buf) : 0, line, col;

		line_col(buf, off < len ? off : len, &line, &col);
		if (off <= len && depth_at(buf, off) >= CJSON_NESTING_LIMIT)
			nws_err_set(err, "%s: not valid JSON: nested more than %d levels deep at line %zu, column %zu", name,
				    CJSON_NESTING_LIMIT, line, col);
		else
			nws_err_set(err, "%s: not valid JSON: syntax error at line %zu, column %zu", name, line, col);
		goto out;
	}
	{
		size_t off = (size_t)(end - buf), line, col;

		/* cJSON stops after one document: what follows would be dropped unread. */
		while (off < len && (buf[off] == ' ' || buf[off] == '\t' || buf[off] == '\n' || buf[off] == '\r'))
			off++;
		if (off < len) {
			line_col(buf, off, &line, &col);
			nws_err_set(err, "%s: not valid JSON: more after the end of the document at line %zu, column %zu", name, line,
				    col);
			goto out;
		}
		off = nul_escape(buf, len);
		if (off < len) {
			line_col(buf, off, &line, &col);
			nws_err_set(err, "%s: line %zu, column %zu: a string holds \\u0000 (NUL), which no name or address can hold",
				    name, line, col);
			goto out;
		}
	}
	if (!cJSON_IsObject(root) && !cJSON_IsArray(root)) {
		fail(ld, "expected a JSON object at the top level, found %s", jtype(root));
		goto out;
	}
	if (check_tree(ld, root) < 0)
		goto out;
	return root;
out:
	cJSON_Delete(root);
	return NULL;
}

/* The document in nwsim's own format, made into the model. Takes root. */
static struct topo *load_root(const char *name, cJSON *root, const struct tg_result *gr, struct nws_err *err)
{
	struct topo *t = calloc(1, sizeof(*t));
	struct ld ldv = { .t = t, .err = err, .root = root, .gr = gr }, *ld = &ldv;

	if (!t) {
		nws_err_set(err, "%s: out of memory", name);
		cJSON_Delete(root);
		return NULL;
	}
	t->file = nws_arena_strdup(&t->arena, name);
	if (!t->file) {
		oom(ld);
		goto out;
	}
	{
		size_t m;
		cJSON *st = field(ld, root, "serviceTags", &m);

		if (st) {
			if (want(ld, st, cJSON_IsObject(st), "an object mapping tag names to prefix lists") < 0 ||
			    load_tags(ld, st) < 0)
				goto out;
			pop(ld, m);
		}
	}
	LOAD_LIST("applicationSecurityGroups", t->asgs, t->nasgs, sizeof(*t->asgs), load_asg, "application security group", NM_ASG);
	LOAD_LIST("routeTables", t->rts, t->nrts, sizeof(*t->rts), load_rt, "route table", NM_RT);
	LOAD_LIST("networkSecurityGroups", t->nsgs, t->nnsgs, sizeof(*t->nsgs), load_nsg, "network security group", NM_NSG);
	{
		uint32_t id = 0;

		for (size_t g = 0; g < t->nnsgs; g++)
			for (size_t r = 0; r < t->nsgs[g].nrules; r++)
				t->nsgs[g].rules[r].id = id++;
		t->nrules = id;
	}
	LOAD_LIST("virtualNetworks", t->vnets, t->nvnets, sizeof(*t->vnets), load_vnet_head, "virtual network", NM_VNET);
	{
		cJSON *arr;
		size_t m;

		/* Bodies after all heads: a peering or a gateway may name any network. */
		if (opt_array(ld, root, "virtualNetworks", &arr, &m) < 0)
			goto out;
		for (struct item it = { 0 }; arr && next_item(ld, arr, &it);)
			if (load_vnet_body(ld, it.e, (int)it.i) < 0)
				goto out;
		if (arr)
			pop(ld, m);
	}
	{
		cJSON *arr;
		size_t m;

		if (opt_array(ld, root, "virtualMachines", &arr, &m) < 0)
			goto out;
		if (arr) {
			size_t n;

			if (!(t->vms = items_alloc(ld, arr, sizeof(*t->vms), &n)))
				goto out;
			for (struct item it = { 0 }; next_item(ld, arr, &it);) {
				size_t i = it.i;

				if (load_vm(ld, it.e, (int)i) < 0)
					goto out;
				if (take_name(ld, NM_VM, t->vms[i].name, i, "virtual machine") < 0)
					goto out;
				t->nvms = i + 1;
			}
			pop(ld, m);
		}
	}
	if (load_dns(ld, root) < 0 || load_hosts(ld, root) < 0 || load_latency(ld, root) < 0)
		goto out;
	if (assign_dynamic(ld) < 0 || validate(ld) < 0)
		goto out;
	t->warnings = ld->warn;
	t->nwarnings = ld->nwarn;
	if (topo_index_build(t) < 0) {
		oom(ld);
		goto out;
	}
	for (int k = 0; k < NM_COUNT; k++)
		names_free(&ld->by_name[k]);
	cJSON_Delete(root);
	return t;
out:
	for (int k = 0; k < NM_COUNT; k++)
		names_free(&ld->by_name[k]);
	cJSON_Delete(root);
	topo_free(t);
	return NULL;
}

char *topo_read_file(const char *path, size_t *lenp, const char **shown, struct nws_err *err)
{
	bool in = !strcmp(path, "-");
	FILE *f = in ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	*shown = in ? "stdin" : path;
	if (!f) {
		nws_err_set(err, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, cap);

			if (!nb) {
				nws_err_set(err, "%s: out of memory", *shown);
				goto fail;
			}
			buf = nb;
		}
		size_t r = fread(buf + len, 1, cap - len, f);

		if (r == 0)
			break;
		len += r;
		/* A byte past the limit is enough for parse_doc to refuse it (and /dev/zero ends). */
		if (len > TOPO_MAX_BYTES)
			break;
	}
	if (ferror(f)) {
		nws_err_set(err, "%s: read error: %s", *shown, strerror(errno));
		goto fail;
	}
	if (!in)
		fclose(f);
	*lenp = len;
	return buf;
fail:
	free(buf);
	if (!in)
		fclose(f);
	return NULL;
}

/* Parsed documents to the model: nwsim's own format alone as it is, anything else gathered. */
/* A lone file in nwsim's own format is handed to the loader, which takes it: files[0].root NULL. */
static struct topo *load_docs(struct tg_file *files, size_t n, const struct tg_opts *o, struct nws_err *err)
{
	char what[256];
	bool template_opts = o && (o->nparam_files || o->nparams);

	if (n == 1 && !template_opts && tg_classify(files[0].root, what, sizeof(what)) == TG_NWSIM) {
		cJSON *root = (cJSON *)files[0].root;

		files[0].root = NULL;
		return load_root(files[0].name, root, NULL, err);
	}

	struct tg_opts none = { 0 };
	struct tg_result gr;
	char names[1024];
	size_t off = 0;

	if (tg_gather(files, n, o ? o : &none, &gr, err) < 0)
		return NULL;
	/* Messages that name no place name the files. */
	names[0] = 0;
	for (size_t i = 0; i < n && off < sizeof(names); i++)
		off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s", i ? ", " : "", files[i].name);
	cJSON *root = gr.root;

	gr.root = NULL;
	struct topo *t = load_root(names, root, &gr, err);

	/* The gatherer's warnings (resources it does not simulate) first, then the loader's. */
	if (t && gr.nwarnings) {
		size_t n = gr.nwarnings + t->nwarnings;
		const char **w = nws_arena_array(&t->arena, n, sizeof(*w));

		for (size_t i = 0; w && i < gr.nwarnings; i++)
			w[i] = nws_arena_strdup(&t->arena, gr.warnings[i]);
		if (w && t->nwarnings)
			memcpy(w + gr.nwarnings, t->warnings, t->nwarnings * sizeof(*w));
		t->warnings = w;
		t->nwarnings = w ? n : 0;
	}
	tg_result_free(&gr);
	return t;
}

struct topo *topo_load_buf(const char *name, const char *buf, size_t len, struct nws_err *err)
{
	jbump_begin();
	cJSON *root = parse_doc(name, buf, len, err);
	struct tg_file f = { name, root };
	struct topo *t = NULL;

	if (root)
		t = load_docs(&f, 1, NULL, err);
	cJSON_Delete((cJSON *)f.root);
	jbump_end();
	return t;
}

struct topo *topo_load_sources(const struct topo_sources *s, struct nws_err *err)
{
	size_t nall = s->nfiles + s->nparam_files;
	struct tg_file *docs = calloc(nall ? nall : 1, sizeof(*docs));
	struct topo *t = NULL;
	size_t got = 0;

	if (!docs) {
		nws_err_set(err, "out of memory");
		return NULL;
	}
	jbump_begin();
	for (; got < nall; got++) {
		const char *path = got < s->nfiles ? s->files[got] : s->param_files[got - s->nfiles], *shown;
		size_t len;
		char *buf = topo_read_file(path, &len, &shown, err);

		if (!buf)
			goto out;
		docs[got].name = shown;
		docs[got].root = parse_doc(shown, buf, len, err);
		free(buf);
		if (!docs[got].root)
			goto out;
	}
	struct tg_opts o = { .param_files = docs + s->nfiles, .nparam_files = s->nparam_files, .params = s->params,
			     .nparams = s->nparams, .subscription = s->subscription, .resource_group = s->resource_group };

	t = load_docs(docs, s->nfiles, &o, err);
out:
	for (size_t i = 0; i < got; i++)
		cJSON_Delete((cJSON *)docs[i].root);
	free(docs);
	jbump_end();
	return t;
}

struct topo *topo_load(const char *path, struct nws_err *err)
{
	struct topo_sources s = { .files = &path, .nfiles = 1 };

	return topo_load_sources(&s, err);
}
