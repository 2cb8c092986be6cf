/*
 * The loaded topology: what topology-format.md describes, validated and with every reference
 * resolved to an index. Written once by topo_load(), read-only afterwards; everything lives in
 * topo->arena and dies with topo_free().
 */
#ifndef TOPO_H
#define TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "azure.h"
#include "nws_addr.h"
#include "nws_arena.h"
#include "nws_err.h"

struct topo_plist {
	struct nws_prefix *p;
	size_t n;
};

struct topo_portrange {
	uint16_t lo, hi;
};

struct topo_ports {
	struct topo_portrange *r;
	size_t n;
	bool any;          /* '*' : no restriction */
	const char **text; /* as written, for the effective-rule view */
	size_t ntext;
	bool plural;
};

enum topo_side_kind { TOPO_SIDE_ANY, TOPO_SIDE_PREFIXES, TOPO_SIDE_TAG, TOPO_SIDE_ASG };

struct topo_side {
	enum topo_side_kind kind;
	struct topo_plist pfx; /* PREFIXES */
	int tag;               /* TAG: enum az_tag, or AZ_TAG_BUILTIN_COUNT + index into topo->tags */
	int *asgs;             /* ASG: indexes into topo->asgs */
	size_t nasgs;
	const char *text;      /* singular value as written ('*', tag, prefix); NULL when plural */
	const char **texts;    /* plural values as written */
	size_t ntexts;
};

struct topo_rule {
	const char *name;
	const char *description;
	int priority;
	enum az_dir dir;
	enum az_access access;
	/* NSG by NSG in file order, user rules then defaults: an index for counters. Beside access,
	 * which the walk reads anyway, so counting a hit costs no further cache miss. */
	uint32_t id;
	int proto; /* enum az_proto */
	struct topo_side src, dst;
	struct topo_ports sport, dport;
	bool is_default;
};

struct topo_nsg {
	const char *name, *id;
	struct topo_rule *rules; /* user rules as written, then the six defaults */
	size_t nrules, nuser;
	/* Per direction, the rules in evaluation order (priority ascending, defaults last). */
	const struct topo_rule **order[AZ_NDIR];
	size_t norder[AZ_NDIR];
};

struct topo_route {
	const char *name;
	struct nws_prefix prefix;
	enum az_nexthop type;
	bool has_ip;
	struct nws_ip ip;
};

struct topo_rt {
	const char *name, *id;
	struct topo_route *routes;
	size_t nroutes;
	bool disable_bgp;
};

struct topo_asg {
	const char *name, *id;
};

struct topo_tag {
	const char *name;
	struct topo_plist pfx;
	int builtin; /* enum az_tag when this overrides a built-in expansion, else -1 */
};

struct topo_peering {
	const char *name;
	int remote; /* vnet index */
	bool allow_forwarded, allow_gateway_transit, use_remote_gateways;
	const char *state; /* peeringState as the file gives it; NULL when it gives none */
	const char *at;    /* where the file holds it (the loader's, for its messages) */
};

struct topo_localnet {
	const char *name;
	struct topo_plist pfx;
};

struct topo_gateway {
	const char *name;
	bool vpn; /* Vpn; false: ExpressRoute */
	bool has_public_ip;
	struct nws_ip public_ip;
	struct topo_localnet *localnets;
	size_t nlocalnets;
	struct nws_ip *arp;
	size_t narp;
};

struct topo_vnet {
	const char *name, *id;
	struct topo_plist space;
	size_t first_subnet, nsubnets;
	struct topo_peering *peerings;
	size_t npeerings;
	struct topo_gateway *gateway; /* NULL when none */
};

struct topo_subnet {
	const char *name, *id; /* name is the bare subnet name */
	int vnet;
	struct topo_plist pfx;
	int nsg; /* -1 when none */
	int rt;  /* -1 when none */
};

struct topo_ipcfg {
	const char *name; /* as the file names it; else ipconfig1, ipconfig2, ... by position */
	struct nws_ip ip;
	bool dynamic; /* no address given: Azure's allocation gives it (topo_load) */
	int subnet;
	int *asgs;
	size_t nasgs;
};

struct topo_nic {
	const char *name, *id;
	int vm;
	struct topo_ipcfg *ipcfgs; /* [0] is the primary */
	size_t nipcfgs;
	int nsg; /* -1 when none */
	bool ip_forwarding;
	bool has_public_ip;
	struct nws_ip public_ip;
	char mac[13]; /* 12 upper-case hex digits, as flow logs print it */
};

/* A port a host listens on, or one a socket already holds. */
struct topo_sock {
	int proto; /* AZ_PROTO_TCP or AZ_PROTO_UDP */
	uint16_t port;
};

/* What a web server answers for a path (connection troubleshoot's Http and Https probes). */
struct topo_http {
	const char *path;
	int status;
};

/* A host's web server, when the topology says: the paths it answers; any other path gets 404. */
struct topo_web {
	struct topo_http *paths;
	size_t npaths; /* 0: no facts, the TCP connection alone decides */
};

/* The guest's own firewall: rules in order, first match wins, else the direction's default. */
struct topo_fw_rule {
	const char *name;
	enum az_dir dir;
	bool allow;
	int proto;                 /* enum az_proto; AZ_PROTO_ANY */
	struct topo_ports local;   /* localPorts; any when absent */
	struct topo_plist remote;  /* remoteAddresses; any when empty */
};

struct topo_guest_fw {
	bool present;
	bool allow[AZ_NDIR]; /* defaultInbound / defaultOutbound */
	struct topo_fw_rule *rules;
	size_t nrules;
};

struct topo_vm {
	const char *name, *id;
	size_t first_nic, nnics;
	bool running;   /* false: deallocated, answers and forwards nothing */
	int forwarding; /* guest forwards what it should route: 1, 0, or -1 (follow enableIpForwarding) */
	double cpu_pct, mem_pct; /* < 0: not given */
	struct topo_sock *listen, *in_use;
	size_t nlisten, nin_use;
	struct topo_guest_fw fw;
	struct topo_web web;
};

/* A name the topology's DNS resolves, to its addresses in order. */
struct topo_dns {
	const char *name;
	struct nws_ip *ips;
	size_t nips;
};

/* An address outside the virtual networks that answers probes. */
struct topo_host {
	struct nws_ip ip;
	struct topo_sock *listen;
	size_t nlisten;
	double latency_ms; /* < 0: the link model's */
	struct topo_web web;
};

/* Connection troubleshoot's link model, per kind of link: a mean and a jitter, in ms. */
enum topo_link { TOPO_LINK_VNET_LOCAL, TOPO_LINK_PEERING, TOPO_LINK_GATEWAY, TOPO_LINK_INTERNET, TOPO_LINK_COUNT };

struct topo_latency {
	double mean[TOPO_LINK_COUNT], jitter[TOPO_LINK_COUNT];
};

/* Case-insensitive name -> index, open addressing; built once after loading. */
struct topo_index {
	int32_t *slot; /* -1 empty */
	size_t mask;
};

struct topo {
	struct nws_arena arena;
	const char *file; /* as given on the command line, used in messages */
	const char **warnings; /* what the files hold that nwsim reads but does not simulate */
	size_t nwarnings;
	struct topo_vnet *vnets;
	size_t nvnets;
	struct topo_subnet *subnets;
	size_t nsubnets;
	struct topo_nsg *nsgs;
	size_t nnsgs;
	size_t nrules; /* over all NSGs: topo_rule.id is below it */
	struct topo_rt *rts;
	size_t nrts;
	struct topo_asg *asgs;
	size_t nasgs;
	struct topo_tag *tags;
	size_t ntags;
	struct topo_vm *vms;
	size_t nvms;
	struct topo_nic *nics;
	size_t nnics;
	struct topo_index vm_index, nic_index;
	struct topo_dns *dns;
	size_t ndns;
	struct topo_host *hosts;
	size_t nhosts;
	struct topo_latency latency;
};

/* Load and validate; NULL with err set to "file: json.path: problem". */
struct topo *topo_load(const char *path, struct nws_err *err);
/* What -t, --parameters, --parameter, --subscription and --resource-group give. */
struct topo_sources {
	const char *const *files;
	size_t nfiles;
	const char *const *param_files;
	size_t nparam_files;
	const char *const *params; /* "name=value" */
	size_t nparams;
	const char *subscription, *resource_group; /* NULL: nwsim's defaults */
};
/* Any number of files, each recognised by its content, made into one network (topo_gather.h). */
struct topo *topo_load_sources(const struct topo_sources *s, struct nws_err *err);
/* Same, from a buffer; name is used in messages. */
struct topo *topo_load_buf(const char *name, const char *buf, size_t len, struct nws_err *err);
void topo_free(struct topo *t);
/*
 * A whole input file in memory (malloc'd; not NUL-terminated), "-" being standard input, named
 * "stdin" in messages (*shown). Reading stops a byte past the 256 MiB an input may be.
 */
char *topo_read_file(const char *path, size_t *len, const char **shown, struct nws_err *err);

/* Builds the name indexes (done by topo_load); -1 when out of memory. */
int topo_index_build(struct topo *t);
int topo_find_vm(const struct topo *t, const char *name);
int topo_find_nic(const struct topo *t, const char *name);
/* The NIC and IP configuration that own ip within vm's NICs (nic may be preset to restrict). */
int topo_find_ipcfg(const struct topo *t, int nic, const struct nws_ip *ip);
int topo_nic_vnet(const struct topo *t, int nic);
const char *topo_tag_name(const struct topo *t, int tag);
/* Linear: whether any listed prefix holds ip (the reference evaluators' membership test). */
bool topo_plist_contains(const struct topo_plist *l, const struct nws_ip *ip);

#endif
