/* Random topologies and queries for the differential tests. */
#ifndef TGEN_H
#define TGEN_H

#include <stddef.h>
#include <stdint.h>

#include "nsg.h"

struct tgen_opts {
	int nnsgs;     /* NSGs */
	int max_rules; /* user rules per NSG, up to */
	int tag_pct;   /* share of rule sides that name a service tag */
	int v6_pct;    /* share of NICs that also have an IPv6 configuration */
};

/* malloc'd JSON text of a random topology. */
char *tgen_topology(uint64_t *rng, const struct tgen_opts *o);
/* A random query against a loaded topology. */
void tgen_query(uint64_t *rng, const struct topo *t, struct nsg_query *q);

#endif
