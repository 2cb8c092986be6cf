#include <inttypes.h>
#include <stdio.h>

#include "names.h"

const char *names_rule(const struct topo_rule *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", r->is_default ? AZ_DEFAULT_RULE_PREFIX : AZ_USER_RULE_PREFIX, r->name);
	return buf;
}

const char *names_rule_id(const struct nsg_model *m, const struct nsg_verdict *v, char *buf, size_t len)
{
	if (v->platform >= 0 || !v->rule || v->rule->is_default || v->inst < 0)
		return "";
	snprintf(buf, len, "%s/securityRules/%s", m->t->nsgs[m->inst[v->inst].nsg].id, v->rule->name);
	return buf;
}

void names_guid(const char *text, char out[37])
{
	uint64_t h = 1469598103934665603ull, g;

	for (const char *p = text; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	g = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull;
	g ^= g >> 32;
	snprintf(out, 37, "%08x-%04x-4%03x-8%03x-%012" PRIx64, (unsigned)(h >> 32), (unsigned)(h >> 16) & 0xffff,
		 (unsigned)h & 0xfff, (unsigned)(g >> 52) & 0xfff, (uint64_t)(g & 0xffffffffffffull));
}

const char *names_next_hop_type(enum az_nexthop type)
{
	switch (type) {
	case AZ_NH_VNETLOCAL:
		return "VirtualNetwork";
	case AZ_NH_VNETPEERING:
		return "VirtualNetworkPeering";
	default:
		return az_nexthop_name[type];
	}
}

const char *names_logged_rule(const struct topo_rule *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", r->is_default ? "DefaultRule_" : "UserRule_", r->name);
	return buf;
}

const char *names_verdict_rule(const struct nsg_verdict *v, char *buf, size_t len)
{
	if (v->platform >= 0)
		return az_platform_rule_name[v->platform];
	if (!v->rule)
		return NULL;
	return names_rule(v->rule, buf, len);
}
