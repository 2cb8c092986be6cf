/*
 * NSGs compiled into rte_acl: one context per direction and address family holding every NSG
 * instance of the topology, told apart by an instance field, so one classify call serves a burst
 * of packets bound to different NICs.
 */
#ifndef DP_ACL_H
#define DP_ACL_H

#include <stdbool.h>
#include <stdint.h>

#include "nsg.h"

struct rte_acl_ctx;

/*
 * Classification keys: the bytes rte_acl reads, in network order. rte_acl takes the first byte
 * alone and every later field in 4-byte groups, hence the padding after proto. meta packs the
 * NSG instance (low 16 bits) and DP_ACL_M_* flags so both fit one group (unless the first byte
 * holds them: DP_ACL_HEAD_INSTS).
 */
struct dp_acl_key4 {
	uint8_t proto;
	uint8_t pad[3];
	uint32_t meta;
	uint32_t src, dst;
	uint16_t sport, dport;
};

struct dp_acl_key6 {
	uint8_t proto;
	uint8_t pad[3];
	uint32_t meta;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

#define DP_ACL_M_PORTS (1u << 16) /* the packet carries ports (TCP, UDP) */
#define DP_ACL_M_INST 0xffffu

/*
 * With up to DP_ACL_HEAD_INSTS NSG instances, the key's first byte carries them instead: the
 * protocol's class (what a rule can name), the ports flag and the instance, and meta is not
 * read. Four of rte_acl's steps a key fewer (13 bytes, not 17).
 */
#define DP_ACL_HEAD_INSTS 16
#define DP_ACL_H_CLASS 0x07u
#define DP_ACL_H_PORTS 0x08u
#define DP_ACL_H_INST_SHIFT 4

struct dp_acl_match {
	int inst;
	struct nsg_match m; /* the rule with its id and access: a verdict reads no rule */
};

/* Built by dp_acl_build on the control thread; read-only afterwards, shared by all lcores. */
struct dp_acl {
	struct rte_acl_ctx *ctx[AZ_NDIR][2]; /* [dir][0 IPv4, 1 IPv6]; NULL when it has no rule */
	struct dp_acl_match *match;          /* rte_acl userdata - 1 -> the NSG rule */
	size_t nmatch;
	size_t nacl[AZ_NDIR][2];             /* rte_acl rules after expansion */
	int alg;
	bool head;  /* the instance is in the key's first byte (see DP_ACL_HEAD_INSTS) */
	bool tally; /* dp_acl_classify keeps the calling thread's tally (set by its owner; off after build) */
};

/*
 * alg: an enum rte_acl_classify_alg, or 0 for the fastest this CPU runs on nwsim's batches.
 * only: per NSG instance, whether its rules are compiled (NULL: all). A key of an instance left
 * out matches nothing: a caller that asks about one NIC compiles that NIC's instances alone.
 */
int dp_acl_build(struct dp_acl *a, const struct nsg_model *m, int alg, const bool *only, struct nws_err *err);
void dp_acl_free(struct dp_acl *a);
/* Switch every context to alg; -1 when the CPU or build cannot run it. */
int dp_acl_set_alg(struct dp_acl *a, int alg);
const char *dp_acl_alg_name(int alg);
/* The algorithms this machine runs, fastest first (for nwsim's batches); returns how many. */
int dp_acl_algs(int out[8]);

void dp_acl_key4(const struct dp_acl *a, struct dp_acl_key4 *k, const struct nws_flow *f, int inst);
void dp_acl_key6(const struct dp_acl *a, struct dp_acl_key6 *k, const struct nws_flow *f, int inst);

/* results[i] = rte_acl userdata (0: no rule of that instance matched). */
int dp_acl_classify(const struct dp_acl *a, enum az_dir dir, int fam_idx, const uint8_t **keys,
		    uint32_t *results, uint32_t n);

/*
 * What the calling thread's dp_acl_classify calls into rte_acl cost, on tables whose tally is
 * on: the keys, and the TSC cycles inside rte_acl_classify (two TSC reads a call, about 2 cycles
 * a key, which no one else pays). Per thread, so the workers share nothing.
 */
struct dp_acl_tally {
	uint64_t keys, cycles;
};
/* The calling thread's tally since its last take; it starts again from zero. */
void dp_acl_tally_take(struct dp_acl_tally *t);

static inline const struct dp_acl_match *dp_acl_result(const struct dp_acl *a, uint32_t res)
{
	return res ? &a->match[res - 1] : NULL;
}

#endif
