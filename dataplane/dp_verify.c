#include <stdlib.h>
#include <string.h>

#include <rte_prefetch.h>

#include "dp_verify.h"

#define VMAX_KEYS (2 * DP_VERIFY_BURST) /* two levels a query */
/* Distinct tables a burst is grouped by in one pass; a burst that meets more is sorted. */
#define VGROUPS 16

static const struct nsg_match no_match = { .rule = NULL, .id = 0, .deny = true };

/* A key's table: its unit, direction and family, in one number that orders by them. */
static inline uint32_t table_of(uint32_t unit, int dir, int fi)
{
	return unit << 2 | (uint32_t)dir << 1 | (uint32_t)fi;
}

static int by_table(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/*
 * pos[i]: where key i goes so that each table's keys are adjacent; first[g], cnt[g]: the runs.
 * Returns how many runs.
 */
static uint32_t group_keys(const uint32_t *tab, uint32_t n, uint32_t *pos, uint32_t *run_tab, uint32_t *first,
			   uint32_t *cnt)
{
	uint32_t nd = 0;
	uint8_t gi[VMAX_KEYS];

	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = 0;

		while (j < nd && run_tab[j] != tab[i])
			j++;
		if (j == nd) {
			if (nd == VGROUPS)
				goto sort;
			run_tab[nd] = tab[i];
			cnt[nd++] = 0;
		}
		gi[i] = (uint8_t)j;
		cnt[j]++;
	}
	for (uint32_t j = 0, at = 0; j < nd; at += cnt[j++])
		first[j] = at;
	uint32_t next[VGROUPS];

	memcpy(next, first, nd * sizeof(*next));
	for (uint32_t i = 0; i < n; i++)
		pos[i] = next[gi[i]]++;
	return nd;
sort:;
	/* Many tables in one burst (traffic spread over many NSGs): sorted, the index in the low bits. */
	uint64_t s[VMAX_KEYS];

	for (uint32_t i = 0; i < n; i++)
		s[i] = (uint64_t)tab[i] << 8 | i;
	qsort(s, n, sizeof(*s), by_table);
	nd = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t t = (uint32_t)(s[i] >> 8);

		if (nd == 0 || run_tab[nd - 1] != t) {
			run_tab[nd] = t;
			first[nd] = i;
			cnt[nd++] = 0;
		}
		cnt[nd - 1]++;
		pos[s[i] & 0xff] = i;
	}
	return nd;
}

/* Every key in as few rte_acl calls as its tables allow; res[i] for keys[i]. */
static void classify_keys(const struct dp_acl *a, const uint32_t *tab, const uint8_t **keys, uint32_t *res,
			  uint32_t n)
{
	uint32_t pos[VMAX_KEYS], run_tab[VMAX_KEYS], first[VMAX_KEYS], cnt[VMAX_KEYS], sres[VMAX_KEYS];
	const uint8_t *sk[VMAX_KEYS];
	uint32_t nr = group_keys(tab, n, pos, run_tab, first, cnt);

	if (nr == 1) { /* one table (a small policy, one direction): the keys are in order already */
		dp_acl_classify(a, tab[0] >> 2, (enum az_dir)(tab[0] >> 1 & 1), (int)(tab[0] & 1), keys, res, n);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		sk[pos[i]] = keys[i];
	for (uint32_t r = 0; r < nr; r++) {
		uint32_t t = run_tab[r];

		dp_acl_classify(a, t >> 2, (enum az_dir)(t >> 1 & 1), (int)(t & 1), sk + first[r], sres + first[r], cnt[r]);
	}
	for (uint32_t i = 0; i < n; i++)
		res[i] = sres[pos[i]];
}

static void verify_burst(const struct dp_acl *a, const struct nsg_model *m, const struct nsg_query *q,
			 struct nsg_verdict *v, size_t n)
{
	union {
		struct dp_acl_key4 k4;
		struct dp_acl_key6 k6;
	} keys[DP_VERIFY_BURST][2];
	const uint8_t *kp[VMAX_KEYS];
	uint32_t tab[VMAX_KEYS], res[VMAX_KEYS], nk = 0;
	int inst[DP_VERIFY_BURST][2], nlev[DP_VERIFY_BURST];

	for (size_t i = 0; i < n; i++) {
		const struct nsg_query *x = &q[i];
		int fi = nsg_fam_index(x->flow.src.fam);

		v[i].platform = nsg_platform(m, x->dir, &x->flow);
		nlev[i] = v[i].platform >= 0 ? 0 : nsg_levels(m, x->nic, x->ipcfg, x->dir, inst[i], NULL);
		for (int l = 0; l < nlev[i]; l++) {
			if (fi == 0)
				dp_acl_key4(a, &keys[i][l].k4, &x->flow, inst[i][l]);
			else
				dp_acl_key6(a, &keys[i][l].k6, &x->flow, inst[i][l]);
			tab[nk] = table_of(dp_acl_unit_of(a, inst[i][l]), x->dir, fi);
			kp[nk++] = (const uint8_t *)&keys[i][l];
		}
	}
	if (nk)
		classify_keys(a, tab, kp, res, nk);
	/* Matches are a large array's: fetch them all before combining any. */
	for (uint32_t k = 0; k < nk; k++)
		if (res[k])
			rte_prefetch0(dp_acl_result(a, res[k]));
	for (size_t i = 0, k = 0; i < n; i++) {
		const struct nsg_match *matched[2];
		int platform = v[i].platform;

		for (int l = 0; l < nlev[i]; l++) {
			const struct nsg_match *mt = dp_acl_result(a, res[k++]);

			/* Every NSG holds its DenyAll rule, so a miss cannot happen. */
			matched[l] = mt ? mt : &no_match;
		}
		nsg_combine(nlev[i], inst[i], matched, &v[i]);
		v[i].platform = platform;
	}
}

void dp_verify(const struct dp_acl *a, const struct nsg_model *m, const struct nsg_query *q, struct nsg_verdict *v,
	       size_t n)
{
	for (size_t i = 0; i < n; i += DP_VERIFY_BURST)
		verify_burst(a, m, q + i, v + i, n - i < DP_VERIFY_BURST ? n - i : DP_VERIFY_BURST);
}
