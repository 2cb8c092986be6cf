#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* rte_vect_set_max_simd_bitwidth is experimental in 22.11; it is how AVX-512 classify is allowed. */
#define ALLOW_EXPERIMENTAL_API
#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_vect.h>

#include "dp_acl.h"
#include "dp_eal.h"

enum { F_HEAD, F_SRC, F4_DST = F_SRC + 1, F4_SPORT, F4_DPORT, F4_NUM };
enum { F6_DST = F_SRC + 4, F6_SPORT = F6_DST + 4, F6_DPORT, F6_NUM };

RTE_ACL_RULE_DEF(dp_rule4, F4_NUM);
RTE_ACL_RULE_DEF(dp_rule6, F6_NUM);

#define HEAD_DEF \
	{ .type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 1, .field_index = F_HEAD, .input_index = 0, .offset = 0 }

static const struct rte_acl_field_def defs4[F4_NUM] = {
	HEAD_DEF,
	{ .type = RTE_ACL_FIELD_TYPE_RANGE, .size = 4, .field_index = F_SRC, .input_index = 1,
	  .offset = offsetof(struct dp_acl_key4, src) },
	{ .type = RTE_ACL_FIELD_TYPE_RANGE, .size = 4, .field_index = F4_DST, .input_index = 2,
	  .offset = offsetof(struct dp_acl_key4, dst) },
	{ .type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2, .field_index = F4_SPORT, .input_index = 3,
	  .offset = offsetof(struct dp_acl_key4, sport) },
	{ .type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2, .field_index = F4_DPORT, .input_index = 3,
	  .offset = offsetof(struct dp_acl_key4, dport) },
};

#define ADDR6_DEF(f, base, k)                                                                    \
	{ .type = RTE_ACL_FIELD_TYPE_RANGE, .size = 4, .field_index = (f) + (k),                 \
	  .input_index = 1 + (base) + (k), .offset = offsetof(struct dp_acl_key6, src) + 16 * ((base) / 4) + 4 * (k) }

static const struct rte_acl_field_def defs6[F6_NUM] = {
	HEAD_DEF,
	ADDR6_DEF(F_SRC, 0, 0), ADDR6_DEF(F_SRC, 0, 1), ADDR6_DEF(F_SRC, 0, 2), ADDR6_DEF(F_SRC, 0, 3),
	ADDR6_DEF(F6_DST, 4, 0), ADDR6_DEF(F6_DST, 4, 1), ADDR6_DEF(F6_DST, 4, 2), ADDR6_DEF(F6_DST, 4, 3),
	{ .type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2, .field_index = F6_SPORT, .input_index = 9,
	  .offset = offsetof(struct dp_acl_key6, sport) },
	{ .type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2, .field_index = F6_DPORT, .input_index = 9,
	  .offset = offsetof(struct dp_acl_key6, dport) },
};

/*
 * In the order the default is picked. avx512x16 before avx512x32: nwsim classifies a burst's
 * new flows, a few keys a call, where x32's second half of lanes stays empty; on acl1_10k's
 * trace the full path measured about 5% faster with x16 (dpdk-test-acl, with 256 keys a call,
 * is faster with x32).
 */
static const struct {
	int alg;
	const char *name;
} alg_names[] = {
	{ RTE_ACL_CLASSIFY_AVX512X16, "avx512x16" }, { RTE_ACL_CLASSIFY_AVX512X32, "avx512x32" },
	{ RTE_ACL_CLASSIFY_AVX2, "avx2" },           { RTE_ACL_CLASSIFY_SSE, "sse" },
	{ RTE_ACL_CLASSIFY_NEON, "neon" },           { RTE_ACL_CLASSIFY_ALTIVEC, "altivec" },
	{ RTE_ACL_CLASSIFY_SCALAR, "scalar" },
};

const char *dp_acl_alg_name(int alg)
{
	for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (alg_names[i].alg == alg)
			return alg_names[i].name;
	return "default";
}

/* Growable vector of fixed-size rte_acl rules, filled before the context is created. */
struct rvec {
	unsigned char *buf;
	size_t n, cap, size;
};

static void *rvec_push(struct rvec *v)
{
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 256;
		unsigned char *nb = realloc(v->buf, nc * v->size);

		if (!nb)
			return NULL;
		v->buf = nb;
		v->cap = nc;
	}
	void *r = v->buf + v->n++ * v->size;

	memset(r, 0, v->size);
	return r;
}

/* Translation between NSG order and rte_acl: rte_acl's highest priority wins and 0 means no match. */
static inline uint32_t acl_priority(size_t order_index)
{
	return RTE_ACL_MAX_PRIORITY - (uint32_t)order_index;
}

static inline uint32_t acl_userdata(size_t match_index)
{
	return (uint32_t)match_index + 1;
}

/* A protocol's class in a head byte: what a rule can name, for the family (ICMP is 1 or 58). */
static uint8_t proto_class(int proto, uint8_t fam)
{
	switch (proto) {
	case AZ_PROTO_TCP:
		return 1;
	case AZ_PROTO_UDP:
		return 2;
	case AZ_PROTO_ESP:
		return 4;
	case AZ_PROTO_AH:
		return 5;
	default:
		return proto == (fam == NWS_AF6 ? AZ_PROTO_ICMPV6 : AZ_PROTO_ICMP) ? 3 : 0;
	}
}

/*
 * src_class, dst_class: the rule's NSG_ADDR_* bit on each side, when its unit is classed (else 0);
 * slot: its instance in a shared unit, or -1.
 */
static void set_head(struct rte_acl_field *f, const struct topo_rule *r, uint8_t fam, unsigned src_class,
		     unsigned dst_class, int slot)
{
	bool any = r->proto == AZ_PROTO_ANY;
	int proto = r->proto == AZ_PROTO_ICMP && fam == NWS_AF6 ? AZ_PROTO_ICMPV6 : r->proto;
	/* A rule naming ports must not match portless packets: require the flag then. */
	unsigned ports = !r->sport.any || !r->dport.any ? DP_ACL_H_PORTS : 0;
	unsigned tags = src_class << DP_ACL_H_SRC_SHIFT | dst_class << DP_ACL_H_DST_SHIFT;
	unsigned inst = slot < 0 ? 0 : (unsigned)slot << DP_ACL_H_INST_SHIFT, inst_mask = slot < 0 ? 0 : 0xf0u;

	f[F_HEAD].value.u8 = (uint8_t)((any ? 0 : proto_class(proto, fam)) | ports | tags | inst);
	f[F_HEAD].mask_range.u8 = (uint8_t)((any ? 0 : DP_ACL_H_CLASS) | ports | tags | inst_mask);
}

/*
 * Addresses are RANGE fields: a tag such as Internet is a handful of ranges but hundreds of
 * CIDRs, and the rule expansion is a cross product. An IPv6 range spans four 32-bit fields, so
 * it is cut into boxes: leading words fixed, one word ranged, the rest wildcards.
 */
struct box {
	uint32_t lo[4], hi[4];
};

static uint32_t word(nws_u128 v, int k)
{
	return (uint32_t)(v >> (96 - 32 * k));
}

static nws_u128 low_bits(int k)
{
	/* Bits below word k: all ones for the words k+1..3. */
	return k >= 3 ? 0 : (((nws_u128)1) << (32 * (3 - k))) - 1;
}

static int boxes6(nws_u128 lo, nws_u128 hi, int k, const struct box *fixed, struct box *out, int n)
{
	uint32_t wl = word(lo, k), wh = word(hi, k);
	nws_u128 rl = lo & low_bits(k), rh = hi & low_bits(k);
	struct box b = *fixed;

	for (int j = k + 1; j < 4; j++) {
		b.lo[j] = 0;
		b.hi[j] = UINT32_MAX;
	}
	if (k == 3 || (rl == 0 && rh == low_bits(k))) {
		b.lo[k] = wl;
		b.hi[k] = wh;
		out[n++] = b;
		return n;
	}
	if (wl == wh) {
		b.lo[k] = b.hi[k] = wl;
		return boxes6(lo, hi, k + 1, &b, out, n);
	}
	/* Left edge, whole words in the middle, right edge. */
	uint32_t mid_lo = wl, mid_hi = wh;

	if (rl != 0) {
		b.lo[k] = b.hi[k] = wl;
		n = boxes6(lo, lo | low_bits(k), k + 1, &b, out, n);
		mid_lo = wl + 1;
	}
	if (rh != low_bits(k)) {
		b.lo[k] = b.hi[k] = wh;
		n = boxes6(hi & ~low_bits(k), hi, k + 1, &b, out, n);
		mid_hi = wh - 1;
	}
	/* wl < wh here, so neither wl + 1 nor wh - 1 wraps. */
	if (mid_lo <= mid_hi) {
		b.lo[k] = mid_lo;
		b.hi[k] = mid_hi;
		for (int j = k + 1; j < 4; j++) {
			b.lo[j] = 0;
			b.hi[j] = UINT32_MAX;
		}
		out[n++] = b;
	}
	return n;
}

/* Boxes of every range of one family in a set; *out malloc'd. */
static int set_boxes(const struct nws_aset *set, uint8_t fam, struct box **out, size_t *n)
{
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < set->n; i++) {
		if (set->r[i].fam != fam)
			continue;
		/* One IPv6 range yields at most 7 boxes. */
		if (*n + 8 > cap) {
			cap = cap ? cap * 2 : 16;
			struct box *nb = realloc(*out, cap * sizeof(*nb));

			if (!nb) {
				free(*out);
				*out = NULL;
				return -1;
			}
			*out = nb;
		}
		if (fam == NWS_AF4) {
			(*out)[(*n)++] = (struct box){ .lo = { (uint32_t)set->r[i].lo }, .hi = { (uint32_t)set->r[i].hi } };
		} else {
			struct box fixed = { { 0 }, { 0 } };

			*n = (size_t)boxes6(set->r[i].lo, set->r[i].hi, 0, &fixed, *out, (int)*n);
		}
	}
	return 0;
}

static void set_addr(struct rte_acl_field *f, int first, uint8_t fam, const struct box *b)
{
	for (int k = 0; k < (fam == NWS_AF4 ? 1 : 4); k++) {
		f[first + k].value.u32 = b->lo[k];
		f[first + k].mask_range.u32 = b->hi[k];
	}
}

/* A side's boxes; a tag that is a key bit of the unit (class) stands for every address. */
static int side_boxes(const struct nsg_model *m, int vnet, const struct topo_side *s, unsigned class, uint8_t fam,
		      struct box **out, size_t *n)
{
	static const struct topo_side any = { .kind = TOPO_SIDE_ANY };
	struct nws_aset set = { 0 };
	int rc = nsg_side_set(m, vnet, class ? &any : s, &set);

	if (rc == 0)
		rc = set_boxes(&set, fam, out, n);
	nws_aset_free(&set);
	return rc;
}

/*
 * An NSG in a unit: the network its tags are expanded for (-1: they are key bits, classed), its
 * slot in a shared unit (-1: none), its first match.
 */
struct member {
	int nsg, vnet, slot;
	size_t base;
};

static int expand_rule(struct rvec *v, const struct nsg_model *m, const struct member *mb, const struct topo_rule *r,
		       uint8_t fam, uint32_t prio, uint32_t userdata)
{
	int vnet = mb->vnet;
	bool classed = vnet < 0;
	int rc = -1;
	struct box *src = NULL, *dst = NULL;
	size_t ns = 0, nd = 0;
	bool v6 = fam == NWS_AF6;
	int fdst = v6 ? F6_DST : F4_DST, fsp = v6 ? F6_SPORT : F4_SPORT, fdp = v6 ? F6_DPORT : F4_DPORT;
	unsigned sc = classed ? nsg_side_class(&r->src) : 0, dc = classed ? nsg_side_class(&r->dst) : 0;

	if (side_boxes(m, vnet, &r->src, sc, fam, &src, &ns) < 0 || side_boxes(m, vnet, &r->dst, dc, fam, &dst, &nd) < 0)
		goto out;
	/* A '*' in a port list covers everything: one full range stands for the list. */
	size_t nsp = r->sport.any ? 1 : r->sport.n, ndp = r->dport.any ? 1 : r->dport.n;

	for (size_t a = 0; a < ns; a++)
		for (size_t b = 0; b < nd; b++)
			for (size_t sp = 0; sp < nsp; sp++)
				for (size_t dp = 0; dp < ndp; dp++) {
					struct rte_acl_rule *ar = rvec_push(v);

					if (!ar)
						goto out;
					ar->data.category_mask = 1;
					ar->data.priority = prio;
					ar->data.userdata = userdata;
					set_head(ar->field, r, fam, sc, dc, mb->slot);
					set_addr(ar->field, F_SRC, fam, &src[a]);
					set_addr(ar->field, fdst, fam, &dst[b]);
					ar->field[fsp].value.u16 = r->sport.any ? 0 : r->sport.r[sp].lo;
					ar->field[fsp].mask_range.u16 = r->sport.any ? 65535 : r->sport.r[sp].hi;
					ar->field[fdp].value.u16 = r->dport.any ? 0 : r->dport.r[dp].lo;
					ar->field[fdp].mask_range.u16 = r->dport.any ? 65535 : r->dport.r[dp].hi;
				}
	rc = 0;
out:
	free(src);
	free(dst);
	return rc;
}

static int ctx_failed(struct nws_err *err, const char *what, const char *name, size_t n, int e)
{
	char why[256] = "";

	if (e == ENOMEM)
		dp_eal_memory_advice(why, sizeof(why));
	return nws_err_set(err, "%s(%s, %zu rules): %s%s%s%s", what, name, n, rte_strerror(e), why[0] ? " (" : "", why,
			   why[0] ? ")" : "");
}

static int make_ctx(struct rte_acl_ctx **ctx, int d, int fi, const struct rvec *v, struct nws_err *err)
{
	char name[RTE_ACL_NAMESIZE];
	static atomic_uint seq;
	struct rte_acl_config cfg = { .num_categories = 1, .num_fields = fi ? F6_NUM : F4_NUM };
	struct rte_acl_param prm = {
		.name = name,
		.socket_id = SOCKET_ID_ANY,
		.rule_size = (uint32_t)v->size,
		.max_rule_num = (uint32_t)v->n,
	};

	if (v->n == 0)
		return 0;
	/* Context names are global in DPDK: rebuilding (reload, tests) needs fresh ones. */
	snprintf(name, sizeof(name), "nsg-%s%d-%u", d == AZ_INBOUND ? "in" : "out", fi ? 6 : 4, atomic_fetch_add(&seq, 1));
	*ctx = rte_acl_create(&prm);
	if (!*ctx)
		return ctx_failed(err, "rte_acl_create", name, v->n, rte_errno);
	int rc = rte_acl_add_rules(*ctx, (const struct rte_acl_rule *)v->buf, (uint32_t)v->n);

	if (rc < 0)
		return ctx_failed(err, "rte_acl_add_rules", name, v->n, -rc);
	memcpy(cfg.defs, fi ? defs6 : defs4, sizeof(struct rte_acl_field_def) * cfg.num_fields);
	rc = rte_acl_build(*ctx, &cfg);
	if (rc < 0)
		return ctx_failed(err, "rte_acl_build", name, v->n, -rc);
	return 0;
}

/*
 * Per NSG: the network its tags are expanded for (the one it is used in), -1 when it is used in
 * several (classed), -2 when no compiled instance uses it.
 */
static int *nsg_networks(const struct nsg_model *m, const bool *only)
{
	int *net = malloc((m->t->nnsgs ? m->t->nnsgs : 1) * sizeof(*net));

	if (!net)
		return NULL;
	for (size_t g = 0; g < m->t->nnsgs; g++)
		net[g] = -2;
	for (size_t i = 0; i < m->ninst; i++) {
		int *n = &net[m->inst[i].nsg];

		if (only && !only[i])
			continue;
		*n = *n == -2 || *n == m->inst[i].vnet ? m->inst[i].vnet : -1;
	}
	return net;
}

/* One unit's contexts; its members' matches are in a->match already. */
static int build_unit(struct dp_acl *a, size_t ui, const struct member *mem, struct rvec v[2], struct nws_err *err)
{
	struct dp_acl_unit *u = &a->unit[ui];

	for (int d = 0; d < AZ_NDIR; d++)
		for (int fi = 0; fi < 2; fi++) {
			v[fi].n = 0;
			for (size_t i = u->first; i < u->first + u->n; i++) {
				const struct topo_nsg *nsg = &a->m->t->nsgs[mem[i].nsg];
				/* Inbound's matches first, then outbound's, each in evaluation order. */
				size_t base = mem[i].base + (d == AZ_OUTBOUND ? nsg->norder[AZ_INBOUND] : 0);

				/* The order index restarts for every member: members never share a key. */
				for (size_t k = 0; k < nsg->norder[d]; k++)
					if (expand_rule(&v[fi], a->m, &mem[i], nsg->order[d][k], fi ? NWS_AF6 : NWS_AF4,
							acl_priority(k), acl_userdata(base + k)) < 0)
						return nws_err_set(err, "out of memory expanding NSG rules");
			}
			u->nacl[d][fi] = v[fi].n;
			if (make_ctx(&u->ctx[d][fi], d, fi, &v[fi], err) < 0)
				return -1;
		}
	return 0;
}

/* The units of one dp_acl_build, taken one at a time by its threads. */
struct build_job {
	struct dp_acl *a;
	const struct member *mem;
	pthread_t owner; /* the caller of dp_acl_build, which reports progress */
	atomic_size_t next, done;
	atomic_bool failed;
	struct nws_err err; /* the first failure's, written by the thread that set failed */
};

static struct dp_acl_progress progress;

void dp_acl_set_progress(const struct dp_acl_progress *p)
{
	progress = p ? *p : (struct dp_acl_progress){ 0 };
}

static void *build_units(void *arg)
{
	struct build_job *j = arg;
	struct rvec v[2] = { { .size = sizeof(struct dp_rule4) }, { .size = sizeof(struct dp_rule6) } };
	struct nws_err err;

	for (size_t u; (u = atomic_fetch_add(&j->next, 1)) < j->a->nunits && !atomic_load(&j->failed);) {
		if (build_unit(j->a, u, j->mem, v, &err) < 0) {
			if (!atomic_exchange(&j->failed, true))
				j->err = err;
			break;
		}
		size_t done = atomic_fetch_add(&j->done, 1) + 1;

		if (progress.fn && pthread_equal(pthread_self(), j->owner))
			progress.fn(progress.arg, done, j->a->nunits);
	}
	free(v[0].buf);
	free(v[1].buf);
	return NULL;
}

/*
 * rte_acl's build of one NSG is independent of every other's: the NSGs are shared among a thread
 * per CPU the process may use, unless workers are running (a reload under `run`), whose CPUs are
 * theirs: the control thread then builds alone, on its own CPU.
 */
static bool workers_running(void)
{
	unsigned lc;

	RTE_LCORE_FOREACH_WORKER(lc) {
		if (rte_eal_get_lcore_state(lc) == RUNNING)
			return true;
	}
	return false;
}

#define BUILD_UNITS_PER_THREAD 8
#define BUILD_THREADS_MAX 64

static int build_all(struct build_job *j, struct nws_err *err)
{
	size_t nunits = j->a->nunits;
	pthread_t th[BUILD_THREADS_MAX];
	cpu_set_t cpus;
	pthread_attr_t attr;
	int n = dp_eal_cpus(&cpus), started = 0;

	if (n == 0 && sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
		n = CPU_COUNT(&cpus);
	if (workers_running())
		n = 1;
	if ((size_t)n > nunits / BUILD_UNITS_PER_THREAD)
		n = (int)(nunits / BUILD_UNITS_PER_THREAD);
	if (n > BUILD_THREADS_MAX)
		n = BUILD_THREADS_MAX;
	if (n > 1 && pthread_attr_init(&attr) == 0) {
		pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
		/* This thread is the last builder: threads that cannot start leave it more to do. */
		while (started < n - 1 && pthread_create(&th[started], &attr, build_units, j) == 0)
			started++;
		pthread_attr_destroy(&attr);
	}
	build_units(j);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (atomic_load(&j->failed)) {
		*err = j->err;
		return -1;
	}
	if (progress.fn)
		progress.fn(progress.arg, j->a->nunits, j->a->nunits);
	return 0;
}

/* The members of every unit, units filled in and the instances mapped to them; NULL: out of memory. */
static struct member *plan_units(struct dp_acl *a, const bool *only)
{
	const struct nsg_model *m = a->m;
	size_t ncomp = 0, n = 0;
	int *net = NULL;
	struct member *mem;

	for (size_t i = 0; i < m->ninst; i++)
		ncomp += !only || only[i];
	a->shared = ncomp <= DP_ACL_SHARED_MAX;
	mem = calloc(ncomp ? ncomp : 1, sizeof(*mem));
	a->unit = calloc(a->shared ? 1 : (m->t->nnsgs ? m->t->nnsgs : 1), sizeof(*a->unit));
	a->inst_unit = calloc(m->ninst ? m->ninst : 1, sizeof(*a->inst_unit));
	a->inst_head = calloc(m->ninst ? m->ninst : 1, sizeof(*a->inst_head));
	if (!mem || !a->unit || !a->inst_unit || !a->inst_head || (!a->shared && !(net = nsg_networks(m, only)))) {
		free(mem);
		return NULL;
	}
	if (a->shared) {
		/* Every instance a member of unit 0, its tags expanded for its network. */
		for (size_t i = 0; i < m->ninst; i++) {
			if (only && !only[i])
				continue;
			a->inst_head[i] = (uint8_t)(n << DP_ACL_H_INST_SHIFT);
			mem[n] = (struct member){ .nsg = m->inst[i].nsg, .vnet = m->inst[i].vnet, .slot = (int)n };
			n++;
		}
		a->unit[0].n = n;
		a->nunits = n ? 1 : 0;
	} else {
		/* A unit per NSG used; one used in several networks classed. net[g] becomes its unit. */
		for (size_t g = 0; g < m->t->nnsgs; g++) {
			if (net[g] == -2)
				continue;
			a->unit[a->nunits] = (struct dp_acl_unit){ .first = n, .n = 1, .classed = net[g] == -1 };
			mem[n++] = (struct member){ .nsg = (int)g, .vnet = net[g], .slot = -1 };
			net[g] = (int)a->nunits++;
		}
		for (size_t i = 0; i < m->ninst; i++)
			if (!only || only[i])
				a->inst_unit[i] = (uint32_t)net[m->inst[i].nsg];
		free(net);
	}
	/* Every member's matches in place: inbound then outbound, each in evaluation order. */
	size_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += m->t->nsgs[mem[i].nsg].nrules;
	a->match = calloc(total ? total : 1, sizeof(*a->match));
	if (!a->match) {
		free(mem);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct topo_nsg *g = &m->t->nsgs[mem[i].nsg];

		mem[i].base = a->nmatch;
		for (int d = 0; d < AZ_NDIR; d++)
			for (size_t k = 0; k < g->norder[d]; k++)
				a->match[a->nmatch++] = nsg_match_of(g->order[d][k]);
	}
	return mem;
}

int dp_acl_build(struct dp_acl *a, const struct nsg_model *m, int alg, const bool *only, struct nws_err *err)
{
	struct build_job job = { .a = a, .owner = pthread_self() };
	struct member *mem;
	int rc = -1;

	memset(a, 0, sizeof(*a));
	a->m = m;
	if (m->t->nnsgs >= DP_ACL_MAX_UNITS)
		return nws_err_set(err, "%s: %zu NSGs exceed nwsim's limit of %u", m->t->file, m->t->nnsgs,
				   DP_ACL_MAX_UNITS - 1);
	if (!(mem = plan_units(a, only))) {
		nws_err_set(err, "out of memory");
		goto out;
	}
	job.mem = mem;
	if (build_all(&job, err) < 0)
		goto out;
	for (size_t u = 0; u < a->nunits; u++)
		for (int d = 0; d < AZ_NDIR; d++)
			for (int fi = 0; fi < 2; fi++)
				a->nacl[d][fi] += a->unit[u].nacl[d][fi];
	if (dp_acl_set_alg(a, alg) < 0) {
		nws_err_set(err, "rte_acl: classify algorithm %s is not supported on this machine", dp_acl_alg_name(alg));
		goto out;
	}
	rc = 0;
out:
	free(mem);
	if (rc < 0)
		dp_acl_free(a);
	return rc;
}

#define NEED_KIB_PER_RULE 24
#define NEED_BASE_MIB 512 /* what a run needs beside the NSGs: flow and route tables, mbufs */

size_t dp_acl_need_mib(const struct nsg_model *m, const bool *only)
{
	int *net = nsg_networks(m, only);
	size_t rules = 0;

	if (!net)
		return 0;
	for (size_t g = 0; g < m->t->nnsgs; g++)
		if (net[g] != -2)
			rules += m->t->nsgs[g].nrules;
	free(net);
	return NEED_BASE_MIB + rules * NEED_KIB_PER_RULE / 1024;
}

int dp_acl_set_alg(struct dp_acl *a, int alg)
{
	if (alg == 0) {
		int algs[8];

		if (dp_acl_algs(algs) < 1)
			return -1;
		alg = algs[0];
	}
	for (size_t u = 0; u < a->nunits; u++)
		for (int d = 0; d < AZ_NDIR; d++)
			for (int fi = 0; fi < 2; fi++) {
				struct rte_acl_ctx *ctx = a->unit[u].ctx[d][fi];

				if (ctx && rte_acl_set_ctx_classify(ctx, (enum rte_acl_classify_alg)alg) != 0)
					return -1;
			}
	a->alg = alg;
	return 0;
}

int dp_acl_algs(int out[8])
{
	/* AVX-512 classify is only chosen when DPDK may use 512-bit vectors. */
	if (rte_vect_get_max_simd_bitwidth() < RTE_VECT_SIMD_512)
		rte_vect_set_max_simd_bitwidth(RTE_VECT_SIMD_512);
	struct rte_acl_param prm = { .name = "nwsim-probe", .socket_id = SOCKET_ID_ANY,
				     .rule_size = sizeof(struct dp_rule4), .max_rule_num = 1 };
	struct rte_acl_ctx *ctx = rte_acl_find_existing("nwsim-probe");
	int n = 0;

	if (!ctx)
		ctx = rte_acl_create(&prm);
	if (!ctx)
		return 0;
	for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (rte_acl_set_ctx_classify(ctx, (enum rte_acl_classify_alg)alg_names[i].alg) == 0)
			out[n++] = alg_names[i].alg;
	return n;
}

void dp_acl_free(struct dp_acl *a)
{
	if (!a)
		return;
	for (size_t u = 0; a->unit && u < a->nunits && !dp_eal_exiting(); u++)
		for (int d = 0; d < AZ_NDIR; d++)
			for (int fi = 0; fi < 2; fi++)
				rte_acl_free(a->unit[u].ctx[d][fi]);
	free(a->unit);
	free(a->inst_unit);
	free(a->inst_head);
	free(a->match);
	memset(a, 0, sizeof(*a));
}

static uint8_t key_head(const struct dp_acl *a, const struct nws_flow *f, int inst)
{
	unsigned h = proto_class(f->proto, f->src.fam) | (f->has_ports ? DP_ACL_H_PORTS : 0) | a->inst_head[inst];

	if (a->unit[a->inst_unit[inst]].classed) {
		int vnet = a->m->inst[inst].vnet;

		h |= nsg_addr_class(a->m, vnet, &f->src) << DP_ACL_H_SRC_SHIFT |
		     nsg_addr_class(a->m, vnet, &f->dst) << DP_ACL_H_DST_SHIFT;
	}
	return (uint8_t)h;
}

void dp_acl_key4(const struct dp_acl *a, struct dp_acl_key4 *k, const struct nws_flow *f, int inst)
{
	k->head = key_head(a, f, inst);
	memset(k->pad, 0, sizeof(k->pad));
	k->src = rte_cpu_to_be_32((uint32_t)f->src.v);
	k->dst = rte_cpu_to_be_32((uint32_t)f->dst.v);
	k->sport = rte_cpu_to_be_16(f->has_ports ? f->sport : 0);
	k->dport = rte_cpu_to_be_16(f->has_ports ? f->dport : 0);
}

void dp_acl_key6(const struct dp_acl *a, struct dp_acl_key6 *k, const struct nws_flow *f, int inst)
{
	k->head = key_head(a, f, inst);
	memset(k->pad, 0, sizeof(k->pad));
	nws_ip_bytes(&f->src, k->src);
	nws_ip_bytes(&f->dst, k->dst);
	k->sport = rte_cpu_to_be_16(f->has_ports ? f->sport : 0);
	k->dport = rte_cpu_to_be_16(f->has_ports ? f->dport : 0);
}

static __thread struct dp_acl_tally tally;

int dp_acl_classify(const struct dp_acl *a, uint32_t unit, enum az_dir dir, int fam_idx, const uint8_t **keys,
		    uint32_t *results, uint32_t n)
{
	struct rte_acl_ctx *ctx = a->unit[unit].ctx[dir][fam_idx];

	if (!ctx) {
		memset(results, 0, n * sizeof(*results));
		return 0;
	}
	if (!a->tally)
		return rte_acl_classify(ctx, keys, results, n, 1);
	uint64_t t0 = rte_rdtsc();
	int rc = rte_acl_classify(ctx, keys, results, n, 1);

	tally.cycles += rte_rdtsc() - t0;
	tally.keys += n;
	return rc;
}

void dp_acl_tally_take(struct dp_acl_tally *t)
{
	*t = tally;
	tally = (struct dp_acl_tally){ 0 };
}
