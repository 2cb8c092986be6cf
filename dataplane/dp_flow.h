/*
 * The stateful part of NSGs: a flow table, one per worker, so that the packets of a flow that was
 * admitted (in either direction) pass without rule evaluation, as Azure's flow records do.
 * Entries expire after an idle time measured on packet timestamps (the owner's clock).
 */
#ifndef DP_FLOW_H
#define DP_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_prefetch.h>

#include "dp_verdict.h"
#include "nsg.h"

/*
 * Both directions of a flow map to one key: the lower (address, port) end first. 40 bytes, of
 * which 2 are padding (always zero), read and compared as five words. An IPv4 key holds both
 * addresses in ip_lo (the lower end's in its first four bytes) and zeros after them, so that it
 * is hashed and compared in two words.
 */
struct dp_flow_key {
	uint8_t fam, proto;
	uint16_t port_lo, port_hi;
	uint8_t pad[2];
	uint8_t ip_lo[16], ip_hi[16];
} __attribute__((aligned(8)));

_Static_assert(sizeof(struct dp_flow_key) == 40, "dp_flow_key is five words");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "dp_flow_key writes the key a word at a time");

/* The same flow the other way: its replies' 5-tuple. */
static inline struct nws_flow dp_flow_reply(const struct nws_flow *x)
{
	return (struct nws_flow){ .proto = x->proto, .has_ports = x->has_ports, .src = x->dst, .dst = x->src,
				  .sport = x->dport, .dport = x->sport };
}

/* Whether two keys are equal (both built by dp_flow_key, so padding compares equal too). */
static inline bool dp_flow_key_eq(const struct dp_flow_key *a, const struct dp_flow_key *b)
{
	const uint64_t *x = (const uint64_t *)(const void *)a, *y = (const uint64_t *)(const void *)b;
	uint64_t d = (x[0] ^ y[0]) | (x[1] ^ y[1]);

	/* The first word holds the family: equal there, both are IPv4 keys, zero past the second word. */
	if (a->fam == NWS_AF4)
		return !d;
	return !(d | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]));
}

/* An NSG that admitted the flow, for flow logs: which instance, at which NIC, which way, which rule. */
struct dp_flow_nsg {
	int32_t inst, nic;
	uint8_t dir; /* enum az_dir */
	const struct topo_rule *rule;
};

#define DP_FLOW_NSG_MAX 8

/*
 * A flow's path in one direction, once known: later packets of an admitted flow take the same
 * hops (no NSG is evaluated for them), so they are answered from here without a walk. Many flows
 * share a path, so each table keeps each distinct path once and flows point at it.
 */
struct dp_flow_path {
	struct dp_verdict v; /* what a packet that takes it gets (no NSG is evaluated: rule_id 0) */
	/* v's NICs as the owner's per-NIC counters index them (dp_nic_slot): counting needs no test. */
	int32_t sent_slot, at_slot;
	struct {
		int16_t nic, vnet; /* -1 none */
		uint8_t kind;
		uint8_t ipcfg; /* a NIC's IP configuration (Azure allows 256); a hop without a NIC has none */
		const struct route_entry *route;
	} hop[8];
};

/* dp_pathcache_put writes it as words: these offsets are the words' layout. */
_Static_assert(offsetof(struct dp_flow_path, v.code) == 1 && offsetof(struct dp_flow_path, v.drop_hop) == 2 &&
		       offsetof(struct dp_flow_path, v.origin) == 3 && offsetof(struct dp_flow_path, v.nhops) == 4 &&
		       offsetof(struct dp_flow_path, v.sent) == 8 && offsetof(struct dp_flow_path, v.at) == 12 &&
		       offsetof(struct dp_flow_path, v.rule_id) == 16 && offsetof(struct dp_flow_path, sent_slot) == 20 &&
		       offsetof(struct dp_flow_path, at_slot) == 24 && offsetof(struct dp_flow_path, hop) == 32 &&
		       sizeof(((struct dp_flow_path *)0)->hop[0]) == 16 && offsetof(struct dp_flow_path, hop[0].vnet) == 34 &&
		       offsetof(struct dp_flow_path, hop[0].kind) == 36 && offsetof(struct dp_flow_path, hop[0].ipcfg) == 37 &&
		       offsetof(struct dp_flow_path, hop[0].route) == 40 && sizeof(void *) == 8,
	       "struct dp_flow_path is written as words");

/*
 * What a packet of a known flow touches: one cache line, with everything a lookup and the verdict
 * read. The rest of the flow (its counters, start, the NSGs that admitted it, its first 5-tuple)
 * is for flow logs and lives in a dp_flow_info.
 */
struct dp_flow_entry {
	struct dp_flow_key key;
	uint64_t last_ns;
	uint32_t path[2]; /* per direction: interned path + 1, 0 when not known yet */
	bool used;        /* the position holds a flow */
	bool init_lo;     /* the initiator is the key's lower end */
	bool ended;       /* a TCP FIN or RST was seen */
	uint32_t held;    /* the owner's mark: the burst in which a packet of the flow took the slow way */
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct dp_flow_entry) == 64, "a flow entry is one cache line");

/*
 * The index: buckets of one cache line, ten signatures (16 bits of the hash, 0 free) beside the
 * entry positions they stand for. A flow lives in its home bucket or, when that is full, in one
 * of the next (linear probing); over counts the flows that went past a bucket, so a lookup stops
 * at the first bucket no flow went past, and removing needs no tombstones.
 */
#define DP_FLOW_BUCKET_SLOTS 10

struct dp_flow_bucket {
	uint16_t sig[DP_FLOW_BUCKET_SLOTS];
	uint32_t pos[DP_FLOW_BUCKET_SLOTS];
	uint32_t over;
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct dp_flow_bucket) == 64, "a bucket is one cache line");

struct dp_flow_info {
	uint64_t packets[2], bytes[2]; /* [0] initiator to responder, [1] back */
	uint64_t first_ns;
	uint8_t nnsg;
	struct dp_flow_nsg nsg[DP_FLOW_NSG_MAX];
	struct nws_flow init; /* the first packet's 5-tuple */
};

/* Distinct paths, interned: open addressing on their bytes' hash. */
#define DP_FLOW_RECENT 8
struct dp_flow_paths {
	struct dp_flow_path *p;
	uint32_t n, cap;
	uint32_t *slot; /* 2 * cap: path index + 1, 0 free */
	uint32_t recent[DP_FLOW_RECENT]; /* ids interned lately, tried before hashing */
	uint64_t recent_fp[DP_FLOW_RECENT]; /* their fingerprints: a path is compared only on a match */
	uint32_t rnext;     /* the one to replace next */
};

#define DP_FLOW_SWEEP_MAX 8

/* Owned by one worker lcore: never shared, so no locks. */
struct dp_flow_table {
	struct dp_flow_bucket *b;
	uint32_t bmask;            /* buckets - 1 (a power of two) */
	uint32_t *free;            /* positions not in use, a stack */
	uint32_t nfree;
	struct dp_flow_entry *e;
	struct dp_flow_info *info; /* beside e, same positions */
	struct dp_flow_paths paths;
	uint32_t cap;
	uint64_t idle_ns;
	uint64_t paths_full; /* paths not cached because the path store was full */
	uint32_t sweep;      /* next position the idle sweep looks at */
	uint32_t noted[DP_FLOW_SWEEP_MAX], nnoted; /* what its last look found idle */
};

#define DP_FLOW_IDLE_S 240 /* nwsim's choice: Azure documents no NSG flow idle time */
#define DP_FLOW_DEFAULT_CAPACITY (1u << 19)
#define DP_FLOW_PATHS (1u << 16) /* distinct paths per table; beyond it, flows walk again */

int dp_flow_init(struct dp_flow_table *ft, uint32_t capacity, uint64_t idle_ns, struct nws_err *err);
void dp_flow_free(struct dp_flow_table *ft);
void dp_flow_key(struct dp_flow_key *k, const struct nws_flow *f, bool *lo_is_src);
/* The table's hash of a key (CRC32 where the CPU has it); both directions hash alike. */
uint32_t dp_flow_hash(const struct dp_flow_key *k);

/*
 * Positions of n keys (n at most 64), -1 for a miss; the entries found are prefetched as it goes.
 * Callers fetch the buckets with dp_flow_prefetch as soon as they know each hash.
 */
void dp_flow_lookup_bulk(const struct dp_flow_table *ft, const struct dp_flow_key *const *k, uint32_t *hash,
			 unsigned n, int32_t *pos);
int32_t dp_flow_lookup(const struct dp_flow_table *ft, const struct dp_flow_key *k, uint32_t hash);
/* Start fetching the bucket a lookup of this hash reads first. */
static inline void dp_flow_prefetch(const struct dp_flow_table *ft, uint32_t hash)
{
	rte_prefetch0(&ft->b[hash & ft->bmask]);
}
/* True when the flow has been idle too long at now_ns (a clock that never runs backwards). */
static inline bool dp_flow_stale(const struct dp_flow_table *ft, const struct dp_flow_entry *e, uint64_t now_ns)
{
	/* Signed: a flow seen after now_ns (never, on a clock that never runs backwards) is not idle. */
	return (int64_t)(now_ns - e->last_ns) > (int64_t)ft->idle_ns;
}
/* Remove the flow at pos; hash is its key's. */
void dp_flow_remove(struct dp_flow_table *ft, int32_t pos, uint32_t hash);
/* The next position in use after *it (start at 0), or -1 when there is none. */
int32_t dp_flow_next(const struct dp_flow_table *ft, uint32_t *it);
/*
 * Record a flow admitted by this packet (the initiator's direction). NULL when the table is full.
 * Its dp_flow_info is the caller's to fill.
 */
struct dp_flow_entry *dp_flow_admit(struct dp_flow_table *ft, const struct dp_flow_key *k, uint32_t hash,
				    bool lo_is_src, uint64_t now_ns);
/*
 * The idle sweep, in two halves around a burst's work, so the buckets of the flows it removes are
 * fetched while the burst runs: dp_flow_sweep_look takes the next DP_FLOW_SWEEP positions from
 * where the last look stopped and notes those idle at now_ns; dp_flow_sweep_take removes the noted
 * ones still idle then, calling gone (when not NULL) on each before it goes, and returns how many.
 * Without it, flows that never see another packet would fill the table over a long run.
 */
#define DP_FLOW_SWEEP DP_FLOW_SWEEP_MAX
void dp_flow_sweep_look(struct dp_flow_table *ft, uint64_t now_ns);
unsigned dp_flow_sweep_take(struct dp_flow_table *ft, uint64_t now_ns,
			    void (*gone)(void *arg, const struct dp_flow_entry *e, const struct dp_flow_info *fi), void *arg);
static inline struct dp_flow_info *dp_flow_info(const struct dp_flow_table *ft, const struct dp_flow_entry *e)
{
	return &ft->info[e - ft->e];
}
/*
 * A path's fingerprint, by which the store tries the paths it interned lately: fold each of the
 * path's words in (from 0, always in the same order) as the caller writes them, so that they need
 * not be read back. One chain on purpose: the compiler packs independent steps into vectors,
 * whose loads of the words just stored would wait for the stores to drain.
 */
static inline uint64_t dp_flow_path_fp(uint64_t fp, uint64_t word)
{
	return (fp << 7 | fp >> 57) ^ word;
}
/*
 * The interned id + 1 of path (0 when the store is full), and a path by that id. The store reads
 * the path's header and its nhops hops only, every byte of them (padding too) set by the caller;
 * fp: their fingerprint (dp_flow_path_fp).
 */
uint32_t dp_flow_path_intern(struct dp_flow_table *ft, const struct dp_flow_path *path, uint64_t fp);
static inline const struct dp_flow_path *dp_flow_path_get(const struct dp_flow_table *ft, uint32_t id)
{
	return &ft->paths.p[id - 1];
}

/*
 * Every flow idle at now_ns leaves the table (gone hears of each first); returns how many. The
 * whole table in one call: for the end of a replay, not a burst.
 */
unsigned dp_flow_expire(struct dp_flow_table *ft, uint64_t now_ns,
			void (*gone)(void *arg, const struct dp_flow_entry *e, const struct dp_flow_info *fi), void *arg);
/* Every flow leaves the table (gone hears of each first); returns how many there were. */
unsigned dp_flow_flush(struct dp_flow_table *ft,
		       void (*gone)(void *arg, const struct dp_flow_entry *e, const struct dp_flow_info *fi), void *arg);

#endif
