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

/* A random address of family fam: often a NIC's, sometimes on-premises-like or anywhere. */
void tgen_endpoint(uint64_t *rng, const struct topo *t, uint8_t fam, struct nws_ip *ip);

#endif
