/* Azure's vocabulary: every string Azure prints or accepts lives in azure.c, nowhere else. */
#ifndef AZURE_H
#define AZURE_H

#include <stdbool.h>

enum az_dir { AZ_INBOUND, AZ_OUTBOUND, AZ_NDIR };
enum az_access { AZ_ALLOW, AZ_DENY };
/* Values are IP protocol numbers so packets and rules compare directly; ANY is not one. */
enum az_proto {
	AZ_PROTO_ANY = -1,
	AZ_PROTO_ICMP = 1,
	AZ_PROTO_TCP = 6,
	AZ_PROTO_UDP = 17,
	AZ_PROTO_ESP = 50,
	AZ_PROTO_AH = 51,
	AZ_PROTO_ICMPV6 = 58,
};
enum az_nexthop {
	AZ_NH_VNETLOCAL,
	AZ_NH_INTERNET,
	AZ_NH_NONE,
	AZ_NH_VIRTUALAPPLIANCE,
	AZ_NH_VNETGATEWAY,
	AZ_NH_VNETPEERING,
	AZ_NH_COUNT,
};

/* Built-in tags; topology-supplied ones follow in topo->tags. */
enum az_tag {
	AZ_TAG_VIRTUALNETWORK,
	AZ_TAG_AZURELOADBALANCER,
	AZ_TAG_INTERNET,
	AZ_TAG_BUILTIN_COUNT,
};

#define AZ_DEFAULT_RULES_PER_DIR 3

/* One of the six default security rules, as the REST API returns it. */
struct az_default_rule {
	const char *name;
	const char *description;
	enum az_dir dir;
	int priority;
	int src_tag; /* enum az_tag, or -1 for '*' */
	int dst_tag;
	enum az_access access;
};

extern const struct az_default_rule az_default_rules[AZ_NDIR][AZ_DEFAULT_RULES_PER_DIR];

extern const char *const az_dir_name[AZ_NDIR];
extern const char *const az_access_name[2];
extern const char *const az_nexthop_name[AZ_NH_COUNT];
extern const char *const az_tag_name[AZ_TAG_BUILTIN_COUNT];

#define AZ_USER_RULE_PREFIX "securityRules/"
#define AZ_DEFAULT_RULE_PREFIX "defaultSecurityRules/"
#define AZ_PRIORITY_MIN 100
#define AZ_PRIORITY_MAX 4096

/* Case-insensitive parse; -1 when unknown. */
int az_dir_parse(const char *s);
int az_access_parse(const char *s);
/* Rule protocol: Tcp, Udp, Icmp, Esp, Ah, '*'. Returns 0 and sets *p, or -1. */
int az_proto_parse(const char *s, int *p);
/* Name as rules write it (Tcp, Udp, ..., '*'); for other protocol numbers, the number. */
const char *az_proto_name(int proto, char *buf);
/* Built-in tag, accepting the classic spellings (VIRTUAL_NETWORK, ...); -1 when not built in. */
int az_builtin_tag_parse(const char *s);
/*
 * Whether s names one of Azure's own service tags (GatewayManager, AzureCloud, Storage.WestEurope:
 * a regional tag is its service's name, a dot and a region), whose addresses come from Azure's
 * service-tag file: tells a tag the user forgot to give from a misspelt one. Not case-sensitive.
 */
bool az_service_tag_known(const char *s);

/* The addresses nwsim treats as Azure's platform (host and metadata service): see docs/semantics.md. */
#define AZ_HOST_IP "168.63.129.16"
#define AZ_IMDS_IP "169.254.169.254"
extern const char *const az_platform_rule_name[2];

/* Ranges that are never Internet (nwsim's documented choice). */
extern const char *const az_not_internet[];

#define AZ_SUBSCRIPTION "00000000-0000-0000-0000-000000000000"
#define AZ_RESOURCE_GROUP "nwsim"
#define AZ_SYSTEM_ROUTE "System Route"

#endif
