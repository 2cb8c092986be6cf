#include <string.h>

#include "dp_parse.h"

const char *const dp_unparsed_name[DP_UNPARSED_COUNT] = {
#define X(e, s) s,
	DP_UNPARSED_REASONS(X)
#undef X
};

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_VLAN 0x8100
#define ETH_P_QINQ 0x88a8
#define ETH_P_QINQ_OLD 0x9100

/* IPv6 extension headers nwsim walks through; a chain longer than this is refused. */
#define IPV6_MAX_EXT 8

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int fail(int *why, enum dp_unparsed r)
{
	*why = (int)r;
	return -1;
}

/* Transport header at off; l4 holds the bytes from there to the end of the IP payload. */
static int parse_l4(const uint8_t *d, uint32_t off, uint32_t end, struct dp_pkt *p, int *why)
{
	uint32_t room = end > off ? end - off : 0;

	p->l4_off = (uint16_t)off;
	if (p->frag == DP_FRAG_LATER)
		return 0; /* no transport header in a non-first fragment */
	switch (p->flow.proto) {
	case AZ_PROTO_TCP:
		if (room < 20)
			return fail(why, DP_UNPARSED_TRUNCATED_L4);
		if ((d[off + 12] >> 4) < 5)
			return fail(why, DP_UNPARSED_BAD_TCP_OFFSET);
		p->flow.sport = be16(d + off);
		p->flow.dport = be16(d + off + 2);
		p->tcp_flags = d[off + 13];
		p->flow.has_ports = true;
		return 0;
	case AZ_PROTO_UDP:
		if (room < 8)
			return fail(why, DP_UNPARSED_TRUNCATED_L4);
		p->flow.sport = be16(d + off);
		p->flow.dport = be16(d + off + 2);
		p->flow.has_ports = true;
		return 0;
	case AZ_PROTO_ICMP:
	case AZ_PROTO_ICMPV6:
		if (room < 4)
			return fail(why, DP_UNPARSED_TRUNCATED_L4);
		p->icmp_type = d[off];
		p->icmp_code = d[off + 1];
		return 0;
	case AZ_PROTO_ESP:
		if (room < 8)
			return fail(why, DP_UNPARSED_TRUNCATED_L4);
		p->spi = be32(d + off);
		return 0;
	case AZ_PROTO_AH:
		if (room < 12)
			return fail(why, DP_UNPARSED_TRUNCATED_L4);
		p->spi = be32(d + off + 4);
		return 0;
	default:
		return 0; /* other protocols are judged on addresses and protocol alone */
	}
}

static int parse_ipv4(const uint8_t *d, uint32_t off, uint32_t len, struct dp_pkt *p, int *why)
{
	if (len - off < 20)
		return fail(why, DP_UNPARSED_TRUNCATED_IPV4);
	const uint8_t *h = d + off;
	uint32_t ihl = (uint32_t)(h[0] & 0x0f) * 4, total = be16(h + 2);

	if ((h[0] >> 4) != 4)
		return fail(why, DP_UNPARSED_BAD_IPV4_VERSION);
	if (ihl < 20)
		return fail(why, DP_UNPARSED_BAD_IPV4_IHL);
	if (len - off < ihl)
		return fail(why, DP_UNPARSED_TRUNCATED_IPV4);
	if (total < ihl)
		return fail(why, DP_UNPARSED_BAD_IPV4_TOTAL_LENGTH);
	uint16_t fo = be16(h + 6);

	p->l3_off = (uint16_t)off;
	p->l3_len = total;
	p->frag_id = be16(h + 4);
	p->frag = (fo & 0x1fff) ? DP_FRAG_LATER : (fo & 0x2000) ? DP_FRAG_FIRST : DP_FRAG_NONE;
	p->flow.proto = h[9];
	nws_ip_from_bytes(&p->flow.src, NWS_AF4, h + 12);
	nws_ip_from_bytes(&p->flow.dst, NWS_AF4, h + 16);
	/* The payload ends where the header says or where the capture does, whichever is first. */
	uint32_t end = off + total < len ? off + total : len;

	return parse_l4(d, off + ihl, end, p, why);
}

static bool ipv6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 135 || nh == 139 || nh == 140;
}

static int parse_ipv6(const uint8_t *d, uint32_t off, uint32_t len, struct dp_pkt *p, int *why)
{
	if (len - off < 40)
		return fail(why, DP_UNPARSED_TRUNCATED_IPV6);
	const uint8_t *h = d + off;

	if ((h[0] >> 4) != 6)
		return fail(why, DP_UNPARSED_BAD_IPV4_VERSION);
	uint32_t plen = be16(h + 4), end = off + 40 + plen < len ? off + 40 + plen : len;
	uint8_t nh = h[6];
	uint32_t cur = off + 40;

	p->l3_off = (uint16_t)off;
	p->l3_len = 40 + plen;
	nws_ip_from_bytes(&p->flow.src, NWS_AF6, h + 8);
	nws_ip_from_bytes(&p->flow.dst, NWS_AF6, h + 24);
	/* Walk the extension headers; each step moves forward, so a chain cannot loop. */
	for (int n = 0; ipv6_ext(nh); n++) {
		if (n == IPV6_MAX_EXT || cur >= end || end - cur < 8)
			return fail(why, DP_UNPARSED_BAD_IPV6_EXTENSION);
		const uint8_t *e = d + cur;
		uint32_t elen = nh == 44 ? 8 : (uint32_t)(e[1] + 1) * 8;

		if (nh == 44) {
			uint16_t fo = be16(e + 2);

			p->frag_id = be32(e + 4);
			p->frag = (fo & 0xfff8) ? DP_FRAG_LATER : (fo & 1) ? DP_FRAG_FIRST : DP_FRAG_NONE;
		}
		if (elen > end - cur)
			return fail(why, DP_UNPARSED_BAD_IPV6_EXTENSION);
		nh = e[0];
		cur += elen;
		if (p->frag == DP_FRAG_LATER)
			break;
	}
	p->flow.proto = nh;
	return parse_l4(d, cur, end, p, why);
}

/*
 * The common case on a NIC, read straight through: Ethernet II, IPv4 without options and not a
 * fragment, TCP or UDP whose header the capture holds. Anything else, or any check that does not
 * hold, is left to the general parser (which says why when it fails); where this one answers, it
 * answers exactly what the general parser would.
 */
static inline bool parse_eth_ipv4_fast(const uint8_t *d, uint32_t len, struct dp_pkt *p)
{
	if (len < 14 + 20 + 8 || d[12] != 0x08 || d[13] != 0x00 || d[14] != 0x45)
		return false;
	const uint8_t *h = d + 14, *l4 = d + 34;
	uint32_t total = be16(h + 2), end = 14 + total < len ? 14 + total : len;
	uint8_t proto = h[9];

	/* More fragments, or an offset: the general parser tells first and later fragments apart. */
	if ((be16(h + 6) & 0x3fff) || total < 20)
		return false;
	if (proto == AZ_PROTO_TCP) {
		if (end < 34 + 20 || (l4[12] >> 4) < 5)
			return false;
	} else if (proto != AZ_PROTO_UDP || end < 34 + 8) {
		return false;
	}
	*p = (struct dp_pkt){ 0 };
	p->l3_off = 14;
	p->l3_len = total;
	p->l4_off = 34;
	p->frag_id = be16(h + 4);
	p->flow.proto = proto;
	nws_ip_from_bytes(&p->flow.src, NWS_AF4, h + 12);
	nws_ip_from_bytes(&p->flow.dst, NWS_AF4, h + 16);
	p->flow.sport = be16(l4);
	p->flow.dport = be16(l4 + 2);
	p->flow.has_ports = true;
	if (proto == AZ_PROTO_TCP)
		p->tcp_flags = l4[13];
	return true;
}

int dp_parse(enum dp_link link, const uint8_t *d, uint32_t len, struct dp_pkt *p, int *why)
{
	if (link == DP_LINK_ETHERNET && parse_eth_ipv4_fast(d, len, p))
		return 0;
	return dp_parse_general(link, d, len, p, why);
}

int dp_parse_general(enum dp_link link, const uint8_t *d, uint32_t len, struct dp_pkt *p, int *why)
{
	uint32_t off = 0;
	uint16_t type;

	*p = (struct dp_pkt){ 0 };
	switch (link) {
	case DP_LINK_ETHERNET:
		if (len < 14)
			return fail(why, DP_UNPARSED_TRUNCATED_LINK);
		type = be16(d + 12);
		off = 14;
		while (type == ETH_P_VLAN || type == ETH_P_QINQ || type == ETH_P_QINQ_OLD) {
			if (p->nvlan == 2)
				return fail(why, DP_UNPARSED_TOO_MANY_VLANS);
			if (len - off < 4)
				return fail(why, DP_UNPARSED_TRUNCATED_LINK);
			p->vlan[p->nvlan++] = be16(d + off) & 0x0fff;
			type = be16(d + off + 2);
			off += 4;
		}
		break;
	case DP_LINK_LINUX_SLL:
		if (len < 16)
			return fail(why, DP_UNPARSED_TRUNCATED_LINK);
		type = be16(d + 14);
		off = 16;
		break;
	case DP_LINK_LINUX_SLL2:
		if (len < 20)
			return fail(why, DP_UNPARSED_TRUNCATED_LINK);
		type = be16(d);
		off = 20;
		break;
	case DP_LINK_NULL: {
		if (len < 4)
			return fail(why, DP_UNPARSED_TRUNCATED_LINK);
		uint32_t af = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;

		/* AF_INET is 2 everywhere; AF_INET6 is 10, 24, 28 or 30 depending on the OS. */
		type = af == 2 ? ETH_P_IPV4 : (af == 10 || af == 24 || af == 28 || af == 30) ? ETH_P_IPV6 : 0;
		off = 4;
		break;
	}
	case DP_LINK_RAW:
	default:
		if (len < 1)
			return fail(why, DP_UNPARSED_TRUNCATED_LINK);
		type = (d[0] >> 4) == 6 ? ETH_P_IPV6 : (d[0] >> 4) == 4 ? ETH_P_IPV4 : 0;
		if (!type)
			return fail(why, DP_UNPARSED_BAD_IPV4_VERSION);
		break;
	}
	if (type == ETH_P_IPV4)
		return parse_ipv4(d, off, len, p, why);
	if (type == ETH_P_IPV6)
		return parse_ipv6(d, off, len, p, why);
	return fail(why, DP_UNPARSED_NOT_IP);
}
