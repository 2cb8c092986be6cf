/*
 * Fragments: the first of a datagram carries the ports; later ones borrow them from it, so they
 * meet the same rules and flow. One table per engine, owned by its worker.
 */
#ifndef DP_FRAG_H
#define DP_FRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_parse.h"
#include "nws_err.h"

struct dp_frag_slot;

struct dp_frags {
	struct dp_frag_slot *s;
};

int dp_frags_init(struct dp_frags *fr, struct nws_err *err);
void dp_frags_free(struct dp_frags *fr);
/*
 * p at clock clk: a first fragment's ports are kept; a later fragment of a kept datagram gets
 * them. False when p is a later fragment whose first was not seen (it stays without ports).
 */
bool dp_frags_join(struct dp_frags *fr, struct dp_pkt *p, uint64_t clk);

#endif
