/*
 * The packet parser on any bytes, under each link layer (the first byte picks it): a parsed
 * packet whose offsets lie inside what was captured, or exactly one reason it is unparsed.
 */
#include <stdint.h>

#include "dp_parse.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum dp_link links[] = { DP_LINK_ETHERNET, DP_LINK_LINUX_SLL, DP_LINK_LINUX_SLL2, DP_LINK_RAW,
					      DP_LINK_NULL, DP_LINK_C_HDLC, DP_LINK_PPP };
	struct dp_pkt p;
	int why = -1;

	if (size < 1)
		return 0;
	enum dp_link link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
	/* A copy of exactly the packet's size, so that ASan sees any read past its end. */
	size_t len = size - 1;
	uint8_t *pkt = malloc(len ? len : 1);

	FUZZ_ASSERT(pkt);
	memcpy(pkt, data + 1, len);
	if (dp_parse(link, pkt, (uint32_t)len, &p, &why) < 0) {
		/* CAPTURE_CUT and the reasons after it belong to capture readers, never to the parser. */
		FUZZ_ASSERT(why >= 0 && why < DP_UNPARSED_CAPTURE_CUT);
	} else {
		FUZZ_ASSERT(p.flow.src.fam == p.flow.dst.fam);
		FUZZ_ASSERT(p.l3_off < len && p.l4_off <= len && p.l3_off <= p.l4_off);
		FUZZ_ASSERT(p.nvlan <= DP_MAX_VLAN_TAGS && p.frag <= DP_FRAG_LATER);
		FUZZ_ASSERT(!p.flow.has_ports || p.flow.proto == AZ_PROTO_TCP || p.flow.proto == AZ_PROTO_UDP);
	}
	free(pkt);
	return 0;
}
