/*
 * NSG semantics: which NSGs a NIC's traffic meets and in what order, what tags and ASGs mean,
 * and the linear reference evaluator that is the test oracle for the compiled tables.
 */
#ifndef NSG_H
#define NSG_H

#include <stdbool.h>
#include <stdint.h>

#include "topo.h"

/* A packet's 5-tuple; ports are meaningful only when has_ports (TCP, UDP). */
struct nws_flow {
	uint8_t proto;
	bool has_ports;
	struct nws_ip src, dst;
	uint16_t sport, dport;
};

/*
 * An NSG seen from one virtual network: tags such as VirtualNetwork mean different addresses in
 * different virtual networks, so an NSG associated in two of them is two instances.
 */
struct nsg_inst {
	int nsg;
	int vnet;
};

/* Built once by nsg_model_build from a topology; read-only afterwards, shared by all readers. */
struct nsg_model {
	const struct topo *t;
	struct nsg_inst *inst;
	size_t ninst;
	int *subnet_inst;                /* per subnet: instance, or -1 when no NSG */
	int *nic_inst;                   /* per NIC: instance, or -1 */
	struct topo_plist *vnet_tag;     /* per vnet: what VirtualNetwork is made of, as listed */
	struct nws_aset *vnet_set;       /* per vnet: VirtualNetwork as address ranges */
	struct nws_aset *inet_set;       /* per vnet: Internet as address ranges */
	struct nws_aset *asg_set;        /* per ASG: its members' addresses */
	struct topo_plist not_internet;
	struct topo_plist alb;           /* AzureLoadBalancer */
	int internet_tag;                /* topology tag replacing Internet, or -1 */
	struct nws_ip host, imds;
	struct nws_arena arena;
};

enum nsg_level { NSG_LEVEL_SUBNET, NSG_LEVEL_NIC };

struct nsg_verdict {
	enum az_access access;
	const struct topo_rule *rule; /* the deciding rule; NULL when no NSG or platform */
	uint32_t rule_id;             /* its id (0 without one): counters read this, not the rule */
	int inst;                     /* instance of rule, or -1 */
	int platform;                 /* index into az_platform_rule_name, or -1 */
	/* Each NSG evaluated, in order, with the rule it matched (flow logs are per NSG). */
	int nlevels;
	int level_inst[2];
	const struct topo_rule *level_rule[2];
};

int nsg_model_build(struct nsg_model *m, const struct topo *t, struct nws_err *err);
void nsg_model_free(struct nsg_model *m);

static inline int nsg_fam_index(uint8_t fam)
{
	return fam == NWS_AF4 ? 0 : 1;
}

/*
 * The NSG instances met by traffic of one IP configuration in one direction, in evaluation
 * order: subnet then NIC inbound, NIC then subnet outbound. Returns how many (0..2).
 */
int nsg_levels(const struct nsg_model *m, int nic, int ipcfg, enum az_dir dir, int inst[2],
	       enum nsg_level lvl[2]);

/* Outbound traffic to Azure's host or metadata address skips NSGs (docs/semantics.md). */
int nsg_platform(const struct nsg_model *m, enum az_dir dir, const struct nws_flow *f);

/* First-match evaluation of one instance, linear and literal: the oracle. Never NULL. */
const struct topo_rule *nsg_ref_eval(const struct nsg_model *m, int inst, enum az_dir dir,
				     const struct nws_flow *f);
bool nsg_ref_rule_matches(const struct nsg_model *m, int vnet, const struct topo_rule *r,
			  const struct nws_flow *f);

/*
 * A level's first match as combining reads it: the rule, and beside it its id and whether it
 * denies, so that tables which keep these per match (dp_acl) combine without reading the rule.
 */
struct nsg_match {
	const struct topo_rule *rule; /* NULL: nothing matched, which cannot happen (fails closed) */
	uint32_t id;
	bool deny;
};

static inline struct nsg_match nsg_match_of(const struct topo_rule *r)
{
	return (struct nsg_match){ .rule = r, .id = r ? r->id : 0, .deny = !r || r->access == AZ_DENY };
}

/* Combine the per-level first matches (in evaluation order) into the verdict. */
void nsg_combine(int n, const int inst[2], const struct nsg_match *const matched[2], struct nsg_verdict *v);

/* Whole IP flow verify through the reference evaluator. */
void nsg_ref_verify(const struct nsg_model *m, int nic, int ipcfg, enum az_dir dir,
		    const struct nws_flow *f, struct nsg_verdict *v);

/*
 * A rule side as the normalised set of addresses it matches (both families), for the compiled
 * tables. out must be empty; the caller frees it. An empty set matches nothing.
 */
int nsg_side_set(const struct nsg_model *m, int vnet, const struct topo_side *s, struct nws_aset *out);
/* The same as minimal CIDR prefixes of one family, for the effective view; *out is malloc'd. */
int nsg_side_prefixes(const struct nsg_model *m, int vnet, const struct topo_side *s, uint8_t fam,
		      struct nws_prefix **out, size_t *n);
/*
 * VirtualNetwork and Internet mean different addresses in different virtual networks. Tables
 * that serve an NSG in several networks at once ask where a packet's address stands, seen from
 * the NIC's network, and match these bits instead of the tag's addresses.
 */
#define NSG_ADDR_VNET 1u     /* in VirtualNetwork */
#define NSG_ADDR_INTERNET 2u /* in Internet */
unsigned nsg_addr_class(const struct nsg_model *m, int vnet, const struct nws_ip *ip);
/* The NSG_ADDR_* bit a side names (0: its addresses are the same in every network). */
unsigned nsg_side_class(const struct topo_side *s);
/* Whether the rule applies to packets of protocol proto of family fam. */
bool nsg_proto_matches(int rule_proto, uint8_t fam, uint8_t proto);

/* One IP flow verify question: a flow seen at one IP configuration of one NIC. */
struct nsg_query {
	int nic, ipcfg;
	enum az_dir dir;
	struct nws_flow flow;
	/* '*' as the source or destination port: every port (see nsg_set.h); the flow's port is 0. */
	bool any_sport, any_dport;
};

#endif
