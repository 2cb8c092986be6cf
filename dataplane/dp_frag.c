#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "dp_frag.h"

struct frag_key {
	uint8_t fam, proto;
	uint8_t pad[2];
	uint32_t id;
	uint8_t src[16], dst[16];
};

/*
 * First fragments seen, by datagram: direct-mapped, so it never fills; a slot is taken over by a
 * newer datagram that hashes there, and an entry older than FRAG_TTL_NS is not trusted (the id
 * may have been reused), as a host's reassembly gives up after a while.
 */
struct dp_frag_slot {
	struct frag_key k;
	uint32_t ports;
	bool used;
	uint64_t clk;
};

#define FRAG_TTL_NS (30ull * 1000000000ull)
#define FRAG_ENTRIES 65536

int dp_frags_init(struct dp_frags *fr, struct nws_err *err)
{
	fr->s = calloc(FRAG_ENTRIES, sizeof(*fr->s));
	return fr->s ? 0 : nws_err_set(err, "out of memory for a worker's fragment table");
}

void dp_frags_free(struct dp_frags *fr)
{
	if (!fr)
		return;
	free(fr->s);
	fr->s = NULL;
}

static void frag_key(struct frag_key *k, const struct dp_pkt *p)
{
	memset(k, 0, sizeof(*k));
	k->fam = p->flow.src.fam;
	k->proto = p->flow.proto;
	k->id = p->frag_id;
	memcpy(k->src, &p->flow.src.v, sizeof(k->src));
	memcpy(k->dst, &p->flow.dst.v, sizeof(k->dst));
}

bool dp_frags_join(struct dp_frags *fr, struct dp_pkt *p, uint64_t clk)
{
	struct frag_key k;

	if (p->frag == DP_FRAG_NONE || (p->flow.proto != AZ_PROTO_TCP && p->flow.proto != AZ_PROTO_UDP))
		return true;
	frag_key(&k, p);
	struct dp_frag_slot *s = &fr->s[rte_hash_crc(&k, sizeof(k), 0) & (FRAG_ENTRIES - 1)];

	if (p->frag == DP_FRAG_FIRST) {
		s->k = k;
		s->ports = (uint32_t)p->flow.sport << 16 | p->flow.dport;
		s->clk = clk;
		s->used = true;
		return true;
	}
	if (!s->used || memcmp(&s->k, &k, sizeof(k)) || clk - s->clk > FRAG_TTL_NS)
		return false;
	p->flow.sport = (uint16_t)(s->ports >> 16);
	p->flow.dport = (uint16_t)s->ports;
	p->flow.has_ports = true;
	return true;
}
