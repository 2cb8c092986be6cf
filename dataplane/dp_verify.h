/* IP flow verify answered by the compiled rte_acl tables, a burst at a time. */
#ifndef DP_VERIFY_H
#define DP_VERIFY_H

#include "dp_acl.h"

#define DP_VERIFY_BURST 64

/* Any n; classified DP_VERIFY_BURST queries at a time, each burst in one call per table. */
void dp_verify(const struct dp_acl *a, const struct nsg_model *m, const struct nsg_query *q,
	       struct nsg_verdict *v, size_t n);

#endif
