/*
 * The packet parser on packets built byte by byte: every link type, VLAN stacks, IPv4 options,
 * IPv6 extension chains, each transport, fragments, and every way a header can be cut short or
 * lie about its length, each with its one reason; and the fast lane for plain Ethernet/IPv4/TCP-UDP
 * held to the general parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp_parse.h"
#include "tutil.h"

struct pb {
	uint8_t b[512];
	uint32_t n;
};

static void put(struct pb *p, const void *d, uint32_t n)
{
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void put8(struct pb *p, uint8_t v)
{
	p->b[p->n++] = v;
}

static void put16(struct pb *p, uint16_t v)
{
	put8(p, (uint8_t)(v >> 8));
	put8(p, (uint8_t)v);
}

static void put32(struct pb *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

static void eth(struct pb *p, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	put(p, macs, 12);
	put16(p, type);
}

/* IPv4 header with optlen bytes of options (NOPs); total length covers l4len bytes after it. */
static void ipv4(struct pb *p, uint8_t proto, uint32_t src, uint32_t dst, uint32_t optlen, uint32_t l4len,
		 uint16_t frag)
{
	uint32_t ihl = 20 + optlen;

	put8(p, (uint8_t)(0x40 | ihl / 4));
	put8(p, 0);
	put16(p, (uint16_t)(ihl + l4len));
	put16(p, 0x1234);
	put16(p, frag);
	put8(p, 64);
	put8(p, proto);
	put16(p, 0);
	put32(p, src);
	put32(p, dst);
	for (uint32_t i = 0; i < optlen; i++)
		put8(p, 1);
}

static void ipv6(struct pb *p, uint8_t nh, const char *src, const char *dst, uint16_t plen)
{
	struct nws_ip a, b;
	uint8_t x[16];

	nws_ip_parse(src, &a);
	nws_ip_parse(dst, &b);
	put32(p, 0x60000000);
	put16(p, plen);
	put8(p, nh);
	put8(p, 64);
	nws_ip_bytes(&a, x);
	put(p, x, 16);
	nws_ip_bytes(&b, x);
	put(p, x, 16);
}

static void tcp(struct pb *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	put16(p, sport);
	put16(p, dport);
	put32(p, 1);
	put32(p, 0);
	put8(p, 0x50);
	put8(p, flags);
	put16(p, 65535);
	put32(p, 0);
}

static void udp(struct pb *p, uint16_t sport, uint16_t dport)
{
	put16(p, sport);
	put16(p, dport);
	put16(p, 8);
	put16(p, 0);
}

static void ok(enum dp_link link, const struct pb *b, struct dp_pkt *pk)
{
	int why = -1;

	if (dp_parse(link, b->b, b->n, pk, &why) != 0)
		fail_msg("parse failed: %s", dp_unparsed_name[why]);
}

static void bad(enum dp_link link, const struct pb *b, uint32_t len, enum dp_unparsed want)
{
	struct dp_pkt pk;
	int why = -1;

	assert_int_equal(dp_parse(link, b->b, len, &pk, &why), -1);
	if (why != (int)want)
		fail_msg("reason %s, want %s", why >= 0 ? dp_unparsed_name[why] : "-", dp_unparsed_name[want]);
}

static void flow_is(const struct dp_pkt *pk, const char *src, uint16_t sport, const char *dst, uint16_t dport,
		    uint8_t proto)
{
	char a[NWS_IP_STRLEN], b[NWS_IP_STRLEN];

	assert_string_equal(nws_ip_str(&pk->flow.src, a), src);
	assert_string_equal(nws_ip_str(&pk->flow.dst, b), dst);
	assert_int_equal(pk->flow.sport, sport);
	assert_int_equal(pk->flow.dport, dport);
	assert_int_equal(pk->flow.proto, proto);
}

static void test_ethernet_ipv4_tcp(void **s)
{
	(void)s;
	struct pb b = { .n = 0 };
	struct dp_pkt pk;

	eth(&b, 0x0800);
	ipv4(&b, 6, 0x0a000004, 0x08080808, 0, 20, 0);
	tcp(&b, 50000, 443, 0x02);
	ok(DP_LINK_ETHERNET, &b, &pk);
	flow_is(&pk, "10.0.0.4", 50000, "8.8.8.8", 443, 6);
	assert_true(pk.flow.has_ports);
	assert_int_equal(pk.tcp_flags, 0x02);
	assert_int_equal(pk.l3_off, 14);
	assert_int_equal(pk.l4_off, 34);
	assert_int_equal(pk.frag, DP_FRAG_NONE);
	/* Every shorter capture of it fails, at the layer where it is cut. */
	for (uint32_t len = 0; len < b.n; len++)
		bad(DP_LINK_ETHERNET, &b, len,
		    len < 14 ? DP_UNPARSED_TRUNCATED_LINK : len < 34 ? DP_UNPARSED_TRUNCATED_IPV4 : DP_UNPARSED_TRUNCATED_L4);
}

static void test_vlans(void **s)
{
	(void)s;
	struct pb b = { .n = 0 };
	struct dp_pkt pk;

	eth(&b, 0x88a8);
	put16(&b, 100);
	put16(&b, 0x8100);
	put16(&b, 0x2000 | 200); /* priority bits are not part of the id */
	put16(&b, 0x0800);
	ipv4(&b, 17, 0x0a000004, 0x0a000105, 0, 8, 0);
	udp(&b, 5353, 53);
	ok(DP_LINK_ETHERNET, &b, &pk);
	assert_int_equal(pk.nvlan, 2);
	assert_int_equal(pk.vlan[0], 100);
	assert_int_equal(pk.vlan[1], 200);
	flow_is(&pk, "10.0.0.4", 5353, "10.0.1.5", 53, 17);
	bad(DP_LINK_ETHERNET, &b, 16, DP_UNPARSED_TRUNCATED_LINK);

	/* Stacks of every depth up to the bound parse (a real QinQinQ capture has three); one more does not. */
	for (int depth = 3; depth <= DP_MAX_VLAN_TAGS + 1; depth++) {
		struct pb c = { .n = 0 };

		eth(&c, 0x9100);
		for (int i = 0; i < depth; i++) {
			put16(&c, (uint16_t)(10 + i));
			put16(&c, i < depth - 1 ? (i % 2 ? 0x88a8 : 0x8100) : 0x0800);
		}
		ipv4(&c, 17, 1, 2, 0, 8, 0);
		udp(&c, 1, 2);
		if (depth > DP_MAX_VLAN_TAGS) {
			bad(DP_LINK_ETHERNET, &c, c.n, DP_UNPARSED_TOO_MANY_VLANS);
			continue;
		}
		ok(DP_LINK_ETHERNET, &c, &pk);
		assert_int_equal(pk.nvlan, depth);
		assert_int_equal(pk.vlan[0], 10);
		assert_int_equal(pk.vlan[1], 11);
		assert_int_equal(pk.flow.dport, 2);
		assert_int_equal(pk.l3_off, 14 + 4 * depth);
		bad(DP_LINK_ETHERNET, &c, 14 + 4 * (uint32_t)depth - 1, DP_UNPARSED_TRUNCATED_LINK);
	}
}

/* One MPLS label entry: the label, and whether it is the bottom of the stack. */
static void mpls(struct pb *p, uint32_t label, bool bottom)
{
	put32(p, label << 12 | (bottom ? 0x100u : 0) | 64);
}

static void test_mpls(void **s)
{
	(void)s;
	struct dp_pkt pk;

	/* Unicast and multicast label stacks of one to the most labels, over IPv4 and IPv6. */
	for (int n = 1; n <= DP_MAX_MPLS_LABELS + 1; n++)
		for (int v6 = 0; v6 < 2; v6++) {
			struct pb b = { .n = 0 };

			eth(&b, n % 2 ? 0x8847 : 0x8848);
			for (int i = 0; i < n; i++)
				mpls(&b, (uint32_t)(16 + i), i == n - 1);
			if (v6)
				ipv6(&b, 17, "2001:db8::1", "2001:db8::2", 8);
			else
				ipv4(&b, 17, 0x0a000001, 0x0a000002, 0, 8, 0);
			udp(&b, 1000, 53);
			if (n > DP_MAX_MPLS_LABELS) {
				bad(DP_LINK_ETHERNET, &b, b.n, DP_UNPARSED_TOO_MANY_MPLS);
				continue;
			}
			ok(DP_LINK_ETHERNET, &b, &pk);
			if (v6)
				flow_is(&pk, "2001:db8::1", 1000, "2001:db8::2", 53, 17);
			else
				flow_is(&pk, "10.0.0.1", 1000, "10.0.0.2", 53, 17);
			assert_int_equal(pk.l3_off, 14 + 4 * n);
			/* Cut inside the stack, or a stack without its bottom */
			bad(DP_LINK_ETHERNET, &b, 14 + 4 * (uint32_t)n - 2, DP_UNPARSED_TRUNCATED_LINK);
			bad(DP_LINK_ETHERNET, &b, 14 + 4 * (uint32_t)n, DP_UNPARSED_TRUNCATED_LINK);
		}

	/* An Ethernet pseudowire with its control word, carrying a VLAN-tagged frame (tcpreplay's test.pcap). */
	struct pb w = { .n = 0 };

	eth(&w, 0x8847);
	mpls(&w, 100, false);
	mpls(&w, 200, true);
	put32(&w, 0); /* control word */
	eth(&w, 0x8100);
	put16(&w, 7);
	put16(&w, 0x0800);
	ipv4(&w, 6, 0xc0a80001, 0xc0a80002, 0, 20, 0);
	tcp(&w, 40000, 80, 0x02);
	ok(DP_LINK_ETHERNET, &w, &pk);
	flow_is(&pk, "192.168.0.1", 40000, "192.168.0.2", 80, 6);
	assert_int_equal(pk.nvlan, 1);
	assert_int_equal(pk.l3_off, 14 + 8 + 4 + 14 + 4);
	bad(DP_LINK_ETHERNET, &w, 14 + 8 + 4 + 10, DP_UNPARSED_TRUNCATED_LINK);

	/* A payload that is neither IP nor a pseudowire with a control word is not read. */
	struct pb x = { .n = 0 };

	eth(&x, 0x8847);
	mpls(&x, 3, true);
	put32(&x, 0xa0000000);
	bad(DP_LINK_ETHERNET, &x, x.n, DP_UNPARSED_MPLS_NOT_IP);
	/* A pseudowire inside a pseudowire is past the bound. */
	struct pb y = { .n = 0 };

	eth(&y, 0x8847);
	mpls(&y, 3, true);
	put32(&y, 0);
	eth(&y, 0x8847);
	mpls(&y, 4, true);
	put32(&y, 0);
	eth(&y, 0x0800);
	ipv4(&y, 17, 1, 2, 0, 8, 0);
	udp(&y, 1, 2);
	bad(DP_LINK_ETHERNET, &y, y.n, DP_UNPARSED_MPLS_NOT_IP);
}

static void test_ipv4_options_and_bad_headers(void **s)
{
	(void)s;
	struct pb b = { .n = 0 };
	struct dp_pkt pk;

	eth(&b, 0x0800);
	ipv4(&b, 6, 0xc0a80001, 0xc0a80002, 12, 20, 0);
	tcp(&b, 1, 2, 0x10);
	ok(DP_LINK_ETHERNET, &b, &pk);
	assert_int_equal(pk.l4_off, 14 + 32);
	flow_is(&pk, "192.168.0.1", 1, "192.168.0.2", 2, 6);
	/* Options promised but not captured. */
	bad(DP_LINK_ETHERNET, &b, 14 + 24, DP_UNPARSED_TRUNCATED_IPV4);

	struct pb c = b;

	c.b[14] = 0x44; /* IHL 4: shorter than the fixed header */
	bad(DP_LINK_ETHERNET, &c, c.n, DP_UNPARSED_BAD_IPV4_IHL);
	c = b;
	c.b[14] = 0x6b; /* version 6 inside an IPv4 frame */
	bad(DP_LINK_ETHERNET, &c, c.n, DP_UNPARSED_BAD_IPV4_VERSION);
	c = b;
	c.b[16] = 0;
	c.b[17] = 20; /* total length below the header length */
	bad(DP_LINK_ETHERNET, &c, c.n, DP_UNPARSED_BAD_IPV4_TOTAL_LENGTH);
	c = b;
	c.b[14 + 32 + 12] = 0x20; /* TCP data offset 2 */
	bad(DP_LINK_ETHERNET, &c, c.n, DP_UNPARSED_BAD_TCP_OFFSET);
}

static void test_ipv4_fragments(void **s)
{
	(void)s;
	struct pb b = { .n = 0 };
	struct dp_pkt pk;

	eth(&b, 0x0800);
	ipv4(&b, 17, 0x0a000001, 0x0a000002, 0, 8, 0x2000); /* more fragments, offset 0 */
	udp(&b, 1000, 2000);
	ok(DP_LINK_ETHERNET, &b, &pk);
	assert_int_equal(pk.frag, DP_FRAG_FIRST);
	assert_true(pk.flow.has_ports);
	assert_int_equal(pk.frag_id, 0x1234);

	struct pb c = { .n = 0 };

	eth(&c, 0x0800);
	ipv4(&c, 17, 0x0a000001, 0x0a000002, 0, 3, 0x0010); /* offset 128 bytes, 3 bytes of data */
	put8(&c, 1);
	put8(&c, 2);
	put8(&c, 3);
	ok(DP_LINK_ETHERNET, &c, &pk);
	assert_int_equal(pk.frag, DP_FRAG_LATER);
	assert_false(pk.flow.has_ports);
	assert_int_equal(pk.flow.proto, 17);
}

static void test_ipv6_extension_chain(void **s)
{
	(void)s;
	struct pb b = { .n = 0 };
	struct dp_pkt pk;

	eth(&b, 0x86dd);
	ipv6(&b, 0, "2001:db8::1", "2001:db8::2", 8 + 16 + 8 + 20);
	put8(&b, 60); /* hop-by-hop, 8 bytes, next: destination options */
	put8(&b, 0);
	put16(&b, 0x0104);
	put32(&b, 0);
	put8(&b, 44); /* destination options, 16 bytes, next: fragment */
	put8(&b, 1);
	for (int i = 0; i < 14; i++)
		put8(&b, 0);
	put8(&b, 6); /* fragment header, first fragment, next: TCP */
	put8(&b, 0);
	put16(&b, 0x0001);
	put32(&b, 0xabcdef01);
	tcp(&b, 22, 40000, 0x12);
	ok(DP_LINK_ETHERNET, &b, &pk);
	flow_is(&pk, "2001:db8::1", 22, "2001:db8::2", 40000, 6);
	assert_int_equal(pk.frag, DP_FRAG_FIRST);
	assert_int_equal(pk.frag_id, 0xabcdef01u);
	assert_int_equal(pk.l4_off, 14 + 40 + 32);
	/* Cut inside the chain, and a header claiming more than the payload holds. */
	bad(DP_LINK_ETHERNET, &b, 14 + 40 + 4, DP_UNPARSED_BAD_IPV6_EXTENSION);
	struct pb c = b;

	c.b[14 + 40 + 8 + 1] = 200;
	bad(DP_LINK_ETHERNET, &c, c.n, DP_UNPARSED_BAD_IPV6_EXTENSION);
	bad(DP_LINK_ETHERNET, &b, 14 + 39, DP_UNPARSED_TRUNCATED_IPV6);
}

static void test_ipv6_chain_too_long(void **s)
{
	(void)s;
	struct pb b = { .n = 0 };

	eth(&b, 0x86dd);
	ipv6(&b, 60, "fd00::1", "fd00::2", 8 * 10);
	for (int i = 0; i < 10; i++) {
		put8(&b, 60); /* destination options pointing at another one, ten times */
		put8(&b, 0);
		put16(&b, 0x0104);
		put32(&b, 0);
	}
	bad(DP_LINK_ETHERNET, &b, b.n, DP_UNPARSED_BAD_IPV6_EXTENSION);
}

static void test_other_transports(void **s)
{
	(void)s;
	struct pb b = { .n = 0 };
	struct dp_pkt pk;

	eth(&b, 0x86dd);
	ipv6(&b, 58, "fe80::1", "ff02::1", 8);
	put8(&b, 135);
	put8(&b, 0);
	put16(&b, 0);
	put32(&b, 0);
	ok(DP_LINK_ETHERNET, &b, &pk);
	assert_int_equal(pk.flow.proto, AZ_PROTO_ICMPV6);
	assert_int_equal(pk.icmp_type, 135);
	assert_false(pk.flow.has_ports);

	struct pb c = { .n = 0 };

	ipv4(&c, 50, 0x01020304, 0x05060708, 0, 8, 0);
	put32(&c, 0xdeadbeef);
	put32(&c, 1);
	ok(DP_LINK_RAW, &c, &pk);
	assert_int_equal(pk.flow.proto, AZ_PROTO_ESP);
	assert_int_equal(pk.spi, 0xdeadbeef);
	bad(DP_LINK_RAW, &c, 24, DP_UNPARSED_TRUNCATED_L4);

	struct pb g = { .n = 0 };

	ipv4(&g, 47, 0x01020304, 0x05060708, 0, 4, 0); /* GRE: addresses and protocol only */
	put32(&g, 0);
	ok(DP_LINK_RAW, &g, &pk);
	assert_int_equal(pk.flow.proto, 47);
}

static void test_link_types(void **s)
{
	(void)s;
	struct pb b = { .n = 0 };
	struct dp_pkt pk;

	put16(&b, 0); /* SLL: packet type, ARPHRD, address length, 8 address bytes, protocol */
	put16(&b, 1);
	put16(&b, 6);
	put32(&b, 0);
	put32(&b, 0);
	put16(&b, 0x0800);
	ipv4(&b, 17, 0x7f000001, 0x7f000001, 0, 8, 0);
	udp(&b, 9, 9);
	ok(DP_LINK_LINUX_SLL, &b, &pk);
	flow_is(&pk, "127.0.0.1", 9, "127.0.0.1", 9, 17);
	bad(DP_LINK_LINUX_SLL, &b, 15, DP_UNPARSED_TRUNCATED_LINK);

	struct pb n = { .n = 0 };

	put8(&n, 2); /* BSD loopback, AF_INET, little-endian */
	put8(&n, 0);
	put8(&n, 0);
	put8(&n, 0);
	ipv4(&n, 17, 1, 2, 0, 8, 0);
	udp(&n, 3, 4);
	ok(DP_LINK_NULL, &n, &pk);
	assert_int_equal(pk.flow.dport, 4);

	struct pb lo = { .n = 0 };

	put32(&lo, 24); /* LINKTYPE_LOOP (OpenBSD): AF_INET6, network byte order */
	ipv6(&lo, 17, "::1", "::1", 8);
	udp(&lo, 5, 6);
	ok(DP_LINK_NULL, &lo, &pk);
	flow_is(&pk, "::1", 5, "::1", 6, 17);

	struct pb h = { .n = 0 };

	put8(&h, 0x0f); /* Cisco HDLC: unicast address, control 0, Ethernet type */
	put8(&h, 0);
	put16(&h, 0x0800);
	ipv4(&h, 6, 0x0a000001, 0x0a000002, 0, 20, 0);
	tcp(&h, 179, 30000, 0x10);
	ok(DP_LINK_C_HDLC, &h, &pk);
	flow_is(&pk, "10.0.0.1", 179, "10.0.0.2", 30000, 6);
	bad(DP_LINK_C_HDLC, &h, 3, DP_UNPARSED_TRUNCATED_LINK);
	h.b[2] = 0x80; /* Cisco SLARP keepalives and the like */
	h.b[3] = 0x35;
	bad(DP_LINK_C_HDLC, &h, h.n, DP_UNPARSED_NOT_IP);

	/* PPP with the HDLC-like framing, without it, and with the protocol compressed to one byte. */
	for (int form = 0; form < 3; form++) {
		struct pb q = { .n = 0 };

		if (form == 0) {
			put8(&q, 0xff);
			put8(&q, 0x03);
		}
		if (form == 2)
			put8(&q, 0x57);
		else
			put16(&q, 0x0057);
		ipv6(&q, 17, "fe80::1", "fe80::2", 8);
		udp(&q, 546, 547);
		ok(DP_LINK_PPP, &q, &pk);
		flow_is(&pk, "fe80::1", 546, "fe80::2", 547, 17);
	}
	struct pb lcp = { .n = 0 };

	put16(&lcp, 0xff03);
	put16(&lcp, 0xc021); /* LCP */
	put32(&lcp, 0);
	bad(DP_LINK_PPP, &lcp, lcp.n, DP_UNPARSED_NOT_IP);
	bad(DP_LINK_PPP, &lcp, 3, DP_UNPARSED_TRUNCATED_LINK);

	struct pb a = { .n = 0 };

	eth(&a, 0x0806); /* ARP */
	put32(&a, 0);
	bad(DP_LINK_ETHERNET, &a, a.n, DP_UNPARSED_NOT_IP);
	struct pb r = { .n = 0 };

	put8(&r, 0x50);
	bad(DP_LINK_RAW, &r, 1, DP_UNPARSED_BAD_IPV4_VERSION);
}

/* Random bytes never crash the parser, and every failure names a known reason. */
static void test_random_bytes(void **s)
{
	(void)s;
	uint64_t r = 7;
	struct pb b;
	struct dp_pkt pk;

	for (int i = 0; i < 200000; i++) {
		b.n = tu_below(&r, 128);
		for (uint32_t k = 0; k < b.n; k++)
			b.b[k] = (uint8_t)tu_rand(&r);
		if (b.n > 14 && tu_below(&r, 2)) {
			b.b[12] = tu_below(&r, 2) ? 0x08 : 0x86;
			b.b[13] = b.b[12] == 0x08 ? 0x00 : 0xdd;
			b.b[14] = (uint8_t)(b.b[12] == 0x08 ? 0x45 : 0x60);
		}
		int why = -1;
		enum dp_link link = (enum dp_link)tu_below(&r, DP_LINK_PPP + 1);

		if (dp_parse(link, b.b, b.n, &pk, &why) < 0)
			assert_true(why >= 0 && why < DP_UNPARSED_COUNT);
		else
			assert_true(pk.l4_off <= b.n || pk.frag == DP_FRAG_LATER);
	}
}

static void pkt_equal(const struct dp_pkt *a, const struct dp_pkt *b)
{
	assert_int_equal(a->flow.proto, b->flow.proto);
	assert_int_equal(a->flow.has_ports, b->flow.has_ports);
	assert_int_equal(a->flow.src.fam, b->flow.src.fam);
	assert_true(a->flow.src.v == b->flow.src.v);
	assert_int_equal(a->flow.dst.fam, b->flow.dst.fam);
	assert_true(a->flow.dst.v == b->flow.dst.v);
	assert_int_equal(a->flow.sport, b->flow.sport);
	assert_int_equal(a->flow.dport, b->flow.dport);
	assert_int_equal(a->frag, b->frag);
	assert_int_equal(a->nvlan, b->nvlan);
	assert_int_equal(a->tcp_flags, b->tcp_flags);
	assert_int_equal(a->icmp_type, b->icmp_type);
	assert_int_equal(a->icmp_code, b->icmp_code);
	assert_int_equal(a->vlan[0], b->vlan[0]);
	assert_int_equal(a->vlan[1], b->vlan[1]);
	assert_int_equal(a->l3_off, b->l3_off);
	assert_int_equal(a->l4_off, b->l4_off);
	assert_int_equal(a->frag_id, b->frag_id);
	assert_int_equal(a->l3_len, b->l3_len);
	assert_int_equal(a->spi, b->spi);
}

/*
 * dp_parse's fast lane (plain Ethernet/IPv4/TCP-UDP) answers exactly what the general parser does:
 * Ethernet/IPv4 frames with each header field that decides the lane (type, version and IHL, total
 * length, fragment bits, protocol, TCP data offset) and the captured length drawn from values on
 * both sides of every boundary.
 */
static void test_fast_lane_agrees(void **s)
{
	(void)s;
	static const uint16_t types[] = { 0x0800, 0x0800, 0x0800, 0x8100, 0x86dd, 0x0806 };
	static const uint8_t vihl[] = { 0x45, 0x45, 0x45, 0x46, 0x44, 0x55, 0x4f };
	static const uint16_t frags[] = { 0, 0, 0x4000, 0x2000, 0x0001, 0x1fff, 0x6000, 0x8000 };
	static const uint8_t protos[] = { 6, 6, 17, 17, 1, 50, 0 };
	uint64_t r = 11;
	unsigned fast = 0;

	for (int i = 0; i < 300000; i++) {
		struct pb b = { .n = 0 };
		uint8_t proto = protos[tu_below(&r, sizeof(protos))];
		uint32_t l4len = proto == 6 ? 20 : proto == 17 ? 8 : 8;

		eth(&b, types[tu_below(&r, sizeof(types) / sizeof(types[0]))]);
		ipv4(&b, proto, (uint32_t)tu_rand(&r), (uint32_t)tu_rand(&r), 0, l4len, frags[tu_below(&r, sizeof(frags) / sizeof(frags[0]))]);
		b.b[14] = vihl[tu_below(&r, sizeof(vihl))];
		if (tu_below(&r, 4) == 0) { /* a total length that lies, short or long */
			uint32_t t = (uint32_t)tu_below(&r, 80);

			b.b[16] = (uint8_t)(t >> 8);
			b.b[17] = (uint8_t)t;
		}
		if (proto == 6)
			tcp(&b, (uint16_t)tu_rand(&r), (uint16_t)tu_rand(&r), (uint8_t)tu_rand(&r));
		else
			udp(&b, (uint16_t)tu_rand(&r), (uint16_t)tu_rand(&r));
		if (proto == 6 && tu_below(&r, 4) == 0)
			b.b[34 + 12] = (uint8_t)(tu_below(&r, 16) << 4);
		if (tu_below(&r, 3) == 0) /* cut anywhere, most often around the transport header */
			b.n = tu_below(&r, 2) ? (uint32_t)tu_below(&r, b.n + 1) : 34 + (uint32_t)tu_below(&r, 22);
		struct dp_pkt a, g;
		int wa = -1, wg = -1;
		int ra = dp_parse(DP_LINK_ETHERNET, b.b, b.n, &a, &wa), rg = dp_parse_general(DP_LINK_ETHERNET, b.b, b.n, &g, &wg);

		assert_int_equal(ra, rg);
		if (ra < 0) {
			assert_int_equal(wa, wg);
			continue;
		}
		pkt_equal(&a, &g);
		fast += a.flow.src.fam == NWS_AF4 && a.flow.has_ports && a.frag == DP_FRAG_NONE && a.l4_off == 34;
	}
	/* About 1 draw in 26 is a plain TCP or UDP packet the fast lane takes (11,506 of them). */
	assert_true(fast > 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_ipv4_tcp),
		cmocka_unit_test(test_vlans),
		cmocka_unit_test(test_mpls),
		cmocka_unit_test(test_ipv4_options_and_bad_headers),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv6_extension_chain),
		cmocka_unit_test(test_ipv6_chain_too_long),
		cmocka_unit_test(test_other_transports),
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_fast_lane_agrees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
