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
#define ETH_P_MPLS_UC 0x8847
#define ETH_P_MPLS_MC 0x8848
/* Transparent Ethernet bridging: here, an Ethernet pseudowire under an MPLS label stack. */
#define ETH_P_TEB 0x6558

/* PPP protocol numbers of what nwsim reads inside PPP. */
#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057
#define PPP_MPLS_UC 0x0281
#define PPP_MPLS_MC 0x0283

/* An MPLS label entry's bottom-of-stack bit, in its third byte. */
#define MPLS_BOS 0x01

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

/* The IP packet an MPLS label stack at off carries: its version nibble says which. */
static int parse_mpls(const uint8_t *d, uint32_t off, uint32_t len, uint16_t *type, uint32_t *ip_off, int *why)
{
	for (unsigned n = 0;; n++) {
		if (n == DP_MAX_MPLS_LABELS)
			return fail(why, DP_UNPARSED_TOO_MANY_MPLS);
		if (len - off < 4)
			return fail(why, DP_UNPARSED_TRUNCATED_LINK);
		bool bottom = d[off + 2] & MPLS_BOS;

		off += 4;
		if (bottom)
			break;
	}
	if (len - off < 1)
		return fail(why, DP_UNPARSED_TRUNCATED_LINK);
	/*
	 * No type field: IPv4 and IPv6 by their version, an Ethernet pseudowire by its control word
	 * (RFC 4385: first nibble 0). A pseudowire without a control word cannot be told from IP
	 * for certain, nor can other payloads: not read.
	 */
	switch (d[off] >> 4) {
	case 4:
		*type = ETH_P_IPV4;
		break;
	case 6:
		*type = ETH_P_IPV6;
		break;
	case 0:
		*type = ETH_P_TEB;
		break;
	default:
		return fail(why, DP_UNPARSED_MPLS_NOT_IP);
	}
	*ip_off = off;
	return 0;
}

/*
 * From an Ethernet type at off: VLAN tags, then an MPLS label stack, then IP; or, under the
 * labels, an Ethernet pseudowire's frame, read the same way once (its tags, its labels, its IP).
 */
static int parse_ethertype(const uint8_t *d, uint32_t off, uint32_t len, uint16_t type, struct dp_pkt *p, int *why)
{
	for (bool in_pw = false;;) {
		while (type == ETH_P_VLAN || type == ETH_P_QINQ || type == ETH_P_QINQ_OLD) {
			if (p->nvlan == DP_MAX_VLAN_TAGS)
				return fail(why, DP_UNPARSED_TOO_MANY_VLANS);
			if (len - off < 4)
				return fail(why, DP_UNPARSED_TRUNCATED_LINK);
			if (p->nvlan < 2)
				p->vlan[p->nvlan] = be16(d + off) & 0x0fff;
			p->nvlan++;
			type = be16(d + off + 2);
			off += 4;
		}
		if (type != ETH_P_MPLS_UC && type != ETH_P_MPLS_MC)
			break;
		if (parse_mpls(d, off, len, &type, &off, why) < 0)
			return -1;
		if (type != ETH_P_TEB)
			break;
		if (in_pw) /* a pseudowire in a pseudowire: a bound on the depth, not seen in practice */
			return fail(why, DP_UNPARSED_MPLS_NOT_IP);
		/* The control word, then the carried frame's Ethernet header. */
		if (len - off < 4 + 14)
			return fail(why, DP_UNPARSED_TRUNCATED_LINK);
		type = be16(d + off + 4 + 12);
		off += 4 + 14;
		in_pw = true;
	}
	if (type == ETH_P_IPV4)
		return parse_ipv4(d, off, len, p, why);
	if (type == ETH_P_IPV6)
		return parse_ipv6(d, off, len, p, why);
	return fail(why, DP_UNPARSED_NOT_IP);
}

/* PPP: the address and control bytes when present, then a protocol of one or two bytes. */
static int parse_ppp(const uint8_t *d, uint32_t len, struct dp_pkt *p, int *why)
{
	uint32_t off = 0;
	uint16_t proto;

	if (len >= 2 && d[0] == 0xff && d[1] == 0x03)
		off = 2;
	if (len - off < 1)
		return fail(why, DP_UNPARSED_TRUNCATED_LINK);
	/* An odd first byte is a protocol compressed to one byte (RFC 1661, 6.5). */
	if (d[off] & 1) {
		proto = d[off];
		off += 1;
	} else {
		if (len - off < 2)
			return fail(why, DP_UNPARSED_TRUNCATED_LINK);
		proto = be16(d + off);
		off += 2;
	}
	switch (proto) {
	case PPP_IPV4:
		return parse_ethertype(d, off, len, ETH_P_IPV4, p, why);
	case PPP_IPV6:
		return parse_ethertype(d, off, len, ETH_P_IPV6, p, why);
	case PPP_MPLS_UC:
	case PPP_MPLS_MC:
		return parse_ethertype(d, off, len, ETH_P_MPLS_UC, p, why);
	default:
		return fail(why, DP_UNPARSED_NOT_IP);
	}
}

int dp_parse_general(enum dp_link link, const uint8_t *d, uint32_t len, struct dp_pkt *p, int *why)
{
	*p = (struct dp_pkt){ 0 };
	switch (link) {
	case DP_LINK_ETHERNET:
		if (len < 14)
			return fail(why, DP_UNPARSED_TRUNCATED_LINK);
		return parse_ethertype(d, 14, len, be16(d + 12), p, why);
	case DP_LINK_LINUX_SLL:
		if (len < 16)
			return fail(why, DP_UNPARSED_TRUNCATED_LINK);
		return parse_ethertype(d, 16, len, be16(d + 14), p, why);
	case DP_LINK_LINUX_SLL2:
		if (len < 20)
			return fail(why, DP_UNPARSED_TRUNCATED_LINK);
		return parse_ethertype(d, 20, len, be16(d), p, why);
	case DP_LINK_C_HDLC:
		if (len < 4)
			return fail(why, DP_UNPARSED_TRUNCATED_LINK);
		return parse_ethertype(d, 4, len, be16(d + 2), p, why);
	case DP_LINK_PPP:
		return parse_ppp(d, len, p, why);
	case DP_LINK_NULL: {
		if (len < 4)
			return fail(why, DP_UNPARSED_TRUNCATED_LINK);
		/*
		 * The family is in the capturing host's byte order (LINKTYPE_NULL) or in network order
		 * (LINKTYPE_LOOP); families are small numbers, so the zero bytes tell which.
		 */
		uint32_t af = d[0] == 0 && d[1] == 0 ? be32(d)
						   : (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
		/* AF_INET is 2 everywhere; AF_INET6 is 10, 24, 28 or 30 depending on the OS. */
		uint16_t type = af == 2 ? ETH_P_IPV4 : (af == 10 || af == 24 || af == 28 || af == 30) ? ETH_P_IPV6 : 0;

		if (!type)
			return fail(why, DP_UNPARSED_NOT_IP);
		return parse_ethertype(d, 4, len, type, p, why);
	}
	case DP_LINK_RAW:
	default:
		if (len < 1)
			return fail(why, DP_UNPARSED_TRUNCATED_LINK);
		if ((d[0] >> 4) == 6)
			return parse_ipv6(d, 0, len, p, why);
		if ((d[0] >> 4) == 4)
			return parse_ipv4(d, 0, len, p, why);
		return fail(why, DP_UNPARSED_BAD_IPV4_VERSION);
	}
}
