/*
 * Refused tuples: the walks of packets outside any admitted flow that did not get through, by
 * direction and 5-tuple. Such a walk depends on nothing but the packet and the policy, so the
 * next packet of that tuple (a denied flow keeps sending) gets the same answer without one.
 * Direct-mapped: a denied flow in flight keeps its slot; a scan of many tuples just walks.
 * Owned by one engine; emptied when its policy changes.
 */
#ifndef DP_REFUSED_H
#define DP_REFUSED_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_flow.h"
#include "dp_verdict.h"
#include "nws_err.h"
#include "path.h"

struct dp_refused_slot;

struct dp_refused {
	struct dp_refused_slot *slot;
	struct path_result *r; /* beside slot, same positions (~1 KB each, kept apart from the keys) */
	struct dp_verdict *v;  /* beside slot: each walk's verdict, made once when it is kept */
	uint64_t hits;
};

int dp_refused_init(struct dp_refused *rf, struct nws_err *err);
void dp_refused_free(struct dp_refused *rf);
void dp_refused_flush(struct dp_refused *rf);
/*
 * The walk kept for this tuple (its flow key and hash, lo: its source is the key's lower end), and
 * its verdict in *v; NULL when none is kept.
 */
const struct path_result *dp_refused_find(struct dp_refused *rf, const struct dp_flow_key *k, uint32_t hash, bool lo,
					  bool has_ports, const struct dp_verdict **v);
void dp_refused_put(struct dp_refused *rf, const struct dp_flow_key *k, uint32_t hash, bool lo, bool has_ports,
		    const struct path_result *r, const struct dp_verdict *v);

#endif
