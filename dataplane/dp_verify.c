#include <string.h>

#include <rte_prefetch.h>

#include "dp_verify.h"

/* Keys of one burst grouped by table: [dir][family], up to two levels per query. */
struct vgroup {
	const uint8_t *keys[2 * DP_VERIFY_BURST];
	uint32_t res[2 * DP_VERIFY_BURST];
};

static const struct nsg_match no_match = { .rule = NULL, .id = 0, .deny = true };

static void verify_burst(const struct dp_acl *a, const struct nsg_model *m, const struct nsg_query *q,
			 struct nsg_verdict *v, size_t n)
{
	struct vgroup g[AZ_NDIR][2];
	union {
		struct dp_acl_key4 k4;
		struct dp_acl_key6 k6;
	} keys[DP_VERIFY_BURST][2];
	int inst[DP_VERIFY_BURST][2], nlev[DP_VERIFY_BURST];
	uint32_t slot[DP_VERIFY_BURST][2];
	/* The groups' sizes, apart from g, whose keys' address the calls below take: kept in registers. */
	uint32_t cnt[AZ_NDIR][2] = { { 0 } };

	for (size_t i = 0; i < n; i++) {
		const struct nsg_query *x = &q[i];
		int fi = nsg_fam_index(x->flow.src.fam);
		struct vgroup *gr = &g[x->dir][fi];
		uint32_t *c = &cnt[x->dir][fi];

		v[i].platform = nsg_platform(m, x->dir, &x->flow);
		nlev[i] = v[i].platform >= 0 ? 0 : nsg_levels(m, x->nic, x->ipcfg, x->dir, inst[i], NULL);
		for (int l = 0; l < nlev[i]; l++) {
			if (fi == 0)
				dp_acl_key4(a, &keys[i][l].k4, &x->flow, inst[i][l]);
			else
				dp_acl_key6(a, &keys[i][l].k6, &x->flow, inst[i][l]);
			slot[i][l] = *c;
			gr->keys[(*c)++] = (const uint8_t *)&keys[i][l];
		}
	}
	for (int d = 0; d < AZ_NDIR; d++)
		for (int f = 0; f < 2; f++)
			if (cnt[d][f])
				dp_acl_classify(a, (enum az_dir)d, f, g[d][f].keys, g[d][f].res, cnt[d][f]);
	/* Matches are a large array's: fetch them all before combining any. */
	for (size_t i = 0; i < n; i++)
		for (int l = 0; l < nlev[i]; l++) {
			uint32_t res = g[q[i].dir][nsg_fam_index(q[i].flow.src.fam)].res[slot[i][l]];

			if (res)
				rte_prefetch0(dp_acl_result(a, res));
		}
	for (size_t i = 0; i < n; i++) {
		const struct nsg_match *matched[2];
		struct vgroup *gr = &g[q[i].dir][nsg_fam_index(q[i].flow.src.fam)];
		int platform = v[i].platform;

		for (int l = 0; l < nlev[i]; l++) {
			const struct dp_acl_match *mt = dp_acl_result(a, gr->res[slot[i][l]]);

			/* Every instance holds its DenyAll rule, so a miss cannot happen. */
			matched[l] = mt ? &mt->m : &no_match;
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
