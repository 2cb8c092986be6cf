/*
 * The packet parser: one code path for every packet source (pcap replay, ports, probes). It reads
 * the link, VLAN, IP and transport headers into a struct dp_pkt, never trusting a length it has
 * not checked, and names exactly one reason when it cannot.
 */
#ifndef DP_PARSE_H
#define DP_PARSE_H

#include <stdint.h>

#include "nsg.h"

/* Link layers a capture or port can carry. */
enum dp_link {
	DP_LINK_ETHERNET,
	DP_LINK_LINUX_SLL, /* Linux cooked capture v1 */
	DP_LINK_LINUX_SLL2,
	DP_LINK_RAW,       /* bare IPv4 or IPv6, told apart by the version nibble */
	DP_LINK_NULL,      /* BSD loopback: a 4-byte address family, in either byte order */
	DP_LINK_C_HDLC,    /* Cisco HDLC: address, control, then an Ethernet type */
	DP_LINK_PPP,       /* PPP, with or without the HDLC-like address and control bytes */
};

/*
 * How deep nwsim reads into a frame before IP: VLAN tags (802.1Q, 802.1ad QinQ, and the older
 * 0x9100 stacks; real frames carry up to three or four) and MPLS labels (a label stack ends at
 * the bottom-of-stack bit).
 */
#define DP_MAX_VLAN_TAGS 8
#define DP_MAX_MPLS_LABELS 8

/* Why a packet could not be parsed: the enum, the names reports use, and the counters. */
#define DP_UNPARSED_REASONS(X)                                                                    \
	X(TRUNCATED_LINK, "truncated-link-header")                                                \
	X(TOO_MANY_VLANS, "too-many-vlan-tags")                                                   \
	X(TOO_MANY_MPLS, "too-many-mpls-labels")                                                  \
	X(MPLS_NOT_IP, "mpls-payload-not-ip")                                                     \
	X(NOT_IP, "not-ip")                                                                       \
	X(TRUNCATED_IPV4, "truncated-ipv4-header")                                                \
	X(BAD_IPV4_VERSION, "bad-ip-version")                                                     \
	X(BAD_IPV4_IHL, "bad-ipv4-header-length")                                                 \
	X(BAD_IPV4_TOTAL_LENGTH, "bad-ipv4-total-length")                                         \
	X(TRUNCATED_IPV6, "truncated-ipv6-header")                                                \
	X(BAD_IPV6_EXTENSION, "bad-ipv6-extension-header")                                        \
	X(TRUNCATED_L4, "truncated-transport-header")                                             \
	X(BAD_TCP_OFFSET, "bad-tcp-data-offset")                                                  \
	X(CAPTURE_CUT, "capture-cut-mid-packet")     /* set by capture readers, not dp_parse */  \
	X(CAPTURE_DAMAGED, "capture-record-damaged") /* likewise */                               \
	X(LINK_TYPE, "unsupported-link-type")        /* likewise: a pcapng interface nwsim cannot read */ \
	X(NOT_A_PACKET, "not-a-packet")              /* likewise: a pcapng record without a packet */

enum dp_unparsed {
#define X(e, s) DP_UNPARSED_##e,
	DP_UNPARSED_REASONS(X)
#undef X
	DP_UNPARSED_COUNT,
};

extern const char *const dp_unparsed_name[DP_UNPARSED_COUNT];

enum dp_frag { DP_FRAG_NONE, DP_FRAG_FIRST, DP_FRAG_LATER };

/* TCP header flags (byte 13). */
#define DP_TCP_FIN 0x01u
#define DP_TCP_SYN 0x02u
#define DP_TCP_RST 0x04u
#define DP_TCP_ACK 0x10u

/* What the parser found; owned by whoever holds the packet. */
struct dp_pkt {
	struct nws_flow flow;  /* src, dst, proto; ports when flow.has_ports */
	uint8_t frag;          /* enum dp_frag */
	uint8_t nvlan;         /* VLAN tags, up to DP_MAX_VLAN_TAGS */
	uint8_t tcp_flags;     /* DP_TCP_*, as the header has them */
	uint8_t icmp_type, icmp_code;
	uint16_t vlan[2];      /* the outer two tags' VLAN ids */
	uint16_t l3_off, l4_off;
	uint32_t frag_id;      /* IPv4 identification or IPv6 fragment identification */
	uint32_t l3_len;       /* IP total length as the header says */
	uint32_t spi;          /* ESP / AH */
};

/*
 * Parse len captured bytes (wire_len on the wire). Returns -1 and the reason (enum dp_unparsed)
 * in *why when the packet cannot be parsed.
 */
int dp_parse(enum dp_link link, const uint8_t *data, uint32_t len, struct dp_pkt *p, int *why);
/* The same without dp_parse's fast lane for plain Ethernet/IPv4/TCP-UDP: the tests compare the two. */
int dp_parse_general(enum dp_link link, const uint8_t *data, uint32_t len, struct dp_pkt *p, int *why);

#endif
