#include <stdio.h>

#include "names.h"

const char *names_rule(const struct topo_rule *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", r->is_default ? AZ_DEFAULT_RULE_PREFIX : AZ_USER_RULE_PREFIX, r->name);
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
