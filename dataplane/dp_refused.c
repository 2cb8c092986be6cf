#include <stdlib.h>

#include "dp_pathcache.h"
#include "dp_refused.h"

#define REFUSED_SLOTS 256
/* Mixed into a tuple's hash so that its two directions and its portless form take other slots. */
#define REFUSED_SALT_BACK 0x9e37u
#define REFUSED_SALT_PORTS 0x79b9u

/* The keys apart from the results, so that checking a packet touches 12 KB at most. */
struct dp_refused_slot {
	struct dp_flow_key key;
	bool used, lo, has_ports;
};

int dp_refused_init(struct dp_refused *rf, struct nws_err *err)
{
	rf->slot = calloc(REFUSED_SLOTS, sizeof(*rf->slot));
	rf->r = calloc(REFUSED_SLOTS, sizeof(*rf->r));
	rf->v = calloc(REFUSED_SLOTS, sizeof(*rf->v));
	rf->hits = 0;
	if (!rf->slot || !rf->r || !rf->v) {
		dp_refused_free(rf);
		return nws_err_set(err, "out of memory for a worker's refused tuples");
	}
	return 0;
}

void dp_refused_free(struct dp_refused *rf)
{
	if (!rf)
		return;
	free(rf->slot);
	free(rf->r);
	free(rf->v);
	rf->slot = NULL;
	rf->v = NULL;
	rf->r = NULL;
}

void dp_refused_flush(struct dp_refused *rf)
{
	for (unsigned i = 0; rf->slot && i < REFUSED_SLOTS; i++)
		rf->slot[i].used = false;
}

static unsigned slot_of(uint32_t hash, bool lo, bool has_ports)
{
	return (hash ^ (lo ? REFUSED_SALT_BACK : 0) ^ (has_ports ? REFUSED_SALT_PORTS : 0)) & (REFUSED_SLOTS - 1);
}

const struct path_result *dp_refused_find(struct dp_refused *rf, const struct dp_flow_key *k, uint32_t hash, bool lo,
					  bool has_ports, const struct dp_verdict **v)
{
	unsigned i = slot_of(hash, lo, has_ports);
	const struct dp_refused_slot *s = &rf->slot[i];

	if (!s->used || s->lo != lo || s->has_ports != has_ports || !dp_flow_key_eq(&s->key, k))
		return NULL;
	rf->hits++;
	*v = &rf->v[i];
	return &rf->r[i];
}

void dp_refused_put(struct dp_refused *rf, const struct dp_flow_key *k, uint32_t hash, bool lo, bool has_ports,
		    const struct path_result *r, const struct dp_verdict *v)
{
	unsigned i = slot_of(hash, lo, has_ports);
	struct dp_refused_slot *s = &rf->slot[i];

	s->key = *k;
	s->lo = lo;
	s->has_ports = has_ports;
	dp_result_copy(&rf->r[i], r);
	rf->v[i] = *v;
	s->used = true;
}
