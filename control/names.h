/* How control/ names things in output: rule names as Azure prints them. */
#ifndef NAMES_H
#define NAMES_H

#include <stddef.h>

#include "nsg.h"

/* "securityRules/X", "defaultSecurityRules/X", nwsim's platform name, or NULL when no NSG applied. */
const char *names_verdict_rule(const struct nsg_verdict *v, char *buf, size_t len);
const char *names_rule(const struct topo_rule *r, char *buf, size_t len);
/* "UserRule_X" or "DefaultRule_X", as flow logs and NSG diagnostics name rules. */
const char *names_logged_rule(const struct topo_rule *r, char *buf, size_t len);
/* A stable GUID-shaped identifier made from text (an id): where Azure has a resource GUID nwsim does not know. */
void names_guid(const char *text, char out[37]);
/* The next-hop API's type names (VirtualNetwork, VirtualNetworkPeering), not effective routes' (VnetLocal, VNetPeering). */
const char *names_next_hop_type(enum az_nexthop type);
/* IP flow verify's ruleId: a user rule's full ARM id; "" for a default rule or none. */
const char *names_rule_id(const struct nsg_model *m, const struct nsg_verdict *v, char *buf, size_t len);

#endif
