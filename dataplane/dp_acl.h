/* NSGs compiled into rte_acl. */
#ifndef DP_ACL_H
#define DP_ACL_H

#include <stdbool.h>
#include <stdint.h>

#include "nsg.h"

struct rte_acl_ctx;

/*
 * NSGs are compiled into units: one rte_acl context per direction and address family. A policy
 * of up to DP_ACL_SHARED_MAX NSG instances (an NSG as one network sees it) is one unit, its
 * instances told apart by the key's head byte, so a burst's keys take one classify call a table.
 * A larger one has a unit per NSG: rte_acl builds one NSG of a few hundred rules in milliseconds
 * but slowed down four to five times a rule when thousands of instances shared a context, and a
 * burst's keys are grouped by unit instead.
 */
#define DP_ACL_SHARED_MAX 16

/*
 * Classification keys: the bytes rte_acl reads, in network order. rte_acl takes the first byte
 * alone and every later field in 4-byte groups, hence the padding after the head byte. The head
 * packs the protocol's class (what a rule can name), whether the packet carries ports, and in its
 * high four bits either the instance (a shared unit) or, for an NSG used in several virtual
 * networks, where each address stands toward VirtualNetwork and Internet as the NIC's network
 * sees them (the tags then are key bits, not address ranges). An NSG's own unit used in one
 * network leaves them zero.
 */
struct dp_acl_key4 {
	uint8_t head;
	uint8_t pad[3];
	uint32_t src, dst;
	uint16_t sport, dport;
};

struct dp_acl_key6 {
	uint8_t head;
	uint8_t pad[3];
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

#define DP_ACL_H_CLASS 0x07u
#define DP_ACL_H_PORTS 0x08u
#define DP_ACL_H_INST_SHIFT 4 /* a shared unit's instance */
#define DP_ACL_H_SRC_SHIFT 4  /* or the NSG_ADDR_* bits of the source, then of the destination */
#define DP_ACL_H_DST_SHIFT 6

/* Units are told apart by 24 bits where a burst is sorted by unit (dp_verify). */
#define DP_ACL_MAX_UNITS (1u << 24)

struct dp_acl_unit {
	struct rte_acl_ctx *ctx[AZ_NDIR][2]; /* [dir][0 IPv4, 1 IPv6]; NULL when it has no rule */
	size_t nacl[AZ_NDIR][2];             /* rte_acl rules after expansion */
	size_t first, n;                     /* its members (dp_acl.c): NSGs or instances */
	bool classed;                        /* one NSG whose tags are key bits: used in several networks */
};

/* Built by dp_acl_build on the control thread; read-only afterwards, shared by all lcores. */
struct dp_acl {
	const struct nsg_model *m;
	struct dp_acl_unit *unit;
	uint32_t *inst_unit;         /* per instance: its unit (unless left out) */
	uint8_t *inst_head;          /* per instance: its head bits in a shared unit */
	struct nsg_match *match;     /* rte_acl userdata - 1 -> the NSG rule */
	size_t nmatch, nunits;
	bool shared;                 /* one unit for all (DP_ACL_SHARED_MAX) */
	size_t nacl[AZ_NDIR][2];     /* rte_acl rules after expansion */
	int alg;
	bool tally; /* dp_acl_classify keeps the calling thread's tally (set by its owner; off after build) */
};

/*
 * alg: an enum rte_acl_classify_alg, or 0 for the fastest this CPU runs on nwsim's batches.
 * only: per NSG instance, whether it is compiled (NULL: all): a caller that asks about one NIC
 * compiles that NIC's NSGs alone. An instance left out must not be classified.
 */
int dp_acl_build(struct dp_acl *a, const struct nsg_model *m, int alg, const bool *only, struct nws_err *err);

/*
 * Told how far a build has gone (units compiled of those to compile), from the thread that
 * called dp_acl_build, now and then while the build runs; it may print. Set before building.
 */
struct dp_acl_progress {
	void (*fn)(void *arg, size_t done, size_t total);
	void *arg;
};
void dp_acl_set_progress(const struct dp_acl_progress *p);
void dp_acl_free(struct dp_acl *a);
/*
 * DPDK memory dp_acl_build(m, only) is expected to take, in MiB, for sizing EAL before it starts:
 * a bound measured on generated networks (rte_acl's tables grow with the rules' expansion, from
 * about 1.5 KiB an NSG rule for large NSGs to 20 KiB for small ones with many tags and lists).
 */
size_t dp_acl_need_mib(const struct nsg_model *m, const bool *only);
/* Switch every context to alg; -1 when the CPU or build cannot run it. */
int dp_acl_set_alg(struct dp_acl *a, int alg);
const char *dp_acl_alg_name(int alg);
/* The algorithms this machine runs, fastest first (for nwsim's batches); returns how many. */
int dp_acl_algs(int out[8]);

void dp_acl_key4(const struct dp_acl *a, struct dp_acl_key4 *k, const struct nws_flow *f, int inst);
void dp_acl_key6(const struct dp_acl *a, struct dp_acl_key6 *k, const struct nws_flow *f, int inst);

/* The unit an instance's keys are classified in. */
static inline uint32_t dp_acl_unit_of(const struct dp_acl *a, int inst)
{
	return a->inst_unit[inst];
}

/* Keys of one unit; results[i] = rte_acl userdata (0: no rule matched). */
int dp_acl_classify(const struct dp_acl *a, uint32_t unit, enum az_dir dir, int fam_idx, const uint8_t **keys,
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

static inline const struct nsg_match *dp_acl_result(const struct dp_acl *a, uint32_t res)
{
	return res ? &a->match[res - 1] : NULL;
}

#endif
