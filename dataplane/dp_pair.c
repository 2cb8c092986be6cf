#include <string.h>

#include <rte_malloc.h>

#include "dp_eal.h"
#include "dp_pair.h"

int dp_pairs_init(struct dp_pairs *pt, uint32_t slots, struct nws_err *err)
{
	memset(pt, 0, sizeof(*pt));
	if (slots < 2 || (slots & (slots - 1)))
		return nws_err_set(err, "pair table of %u slots: not a power of two of at least 2", slots);
	pt->s = rte_zmalloc("flow-pairs", sizeof(*pt->s) * slots, 64);
	if (!pt->s) {
		char why[256];

		dp_eal_memory_advice(why, sizeof(why));
		return nws_err_set(err, "pair table of %u slots: out of memory (%s)", slots, why);
	}
	pt->mask = slots - 1;
	return 0;
}

void dp_pairs_free(struct dp_pairs *pt)
{
	if (!pt)
		return;
	rte_free(pt->s);
	memset(pt, 0, sizeof(*pt));
}

void dp_pairs_flush(struct dp_pairs *pt)
{
	if (pt->s)
		memset(pt->s, 0, sizeof(*pt->s) * (pt->mask + 1));
}
