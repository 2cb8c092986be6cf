/* IPv4/IPv6 addresses, prefixes and normalised address sets. */
#ifndef NWS_ADDR_H
#define NWS_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef unsigned __int128 nws_u128;

enum nws_family { NWS_AF4 = 4, NWS_AF6 = 6 };

/* An IPv4 address lives in the low 32 bits of v. */
struct nws_ip {
	uint8_t fam;
	nws_u128 v;
};

struct nws_prefix {
	struct nws_ip ip; /* host bits always cleared */
	uint8_t len;
};

struct nws_range {
	uint8_t fam;
	nws_u128 lo, hi;
};

/* Sorted by (family, lo), disjoint and non-adjacent once normalised. Owns r (malloc). */
struct nws_aset {
	struct nws_range *r;
	size_t n, cap;
};

#define NWS_IP_STRLEN 48
#define NWS_PREFIX_STRLEN 56

static inline unsigned nws_fam_bits(uint8_t fam)
{
	return fam == NWS_AF4 ? 32u : 128u;
}

int nws_ip_parse(const char *s, struct nws_ip *ip);
/* "a.b.c.d", "a.b.c.d/n", IPv6 likewise; host bits are masked off. */
int nws_prefix_parse(const char *s, struct nws_prefix *p);
/* True when s has host bits set below its length (for callers that want to refuse it). */
bool nws_prefix_has_host_bits(const char *s);
char *nws_ip_str(const struct nws_ip *ip, char *buf);
char *nws_prefix_str(const struct nws_prefix *p, char *buf);
bool nws_prefix_contains(const struct nws_prefix *p, const struct nws_ip *ip);
bool nws_ip_eq(const struct nws_ip *a, const struct nws_ip *b);
nws_u128 nws_mask(uint8_t fam, unsigned len);
/* Big-endian bytes of the address, 4 or 16 of them. */
void nws_ip_bytes(const struct nws_ip *ip, uint8_t *out);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NWS_BE32(x) __builtin_bswap32(x)
#define NWS_BE64(x) __builtin_bswap64(x)
#else
#define NWS_BE32(x) (x)
#define NWS_BE64(x) (x)
#endif

/* Multicast (224.0.0.0/4, ff00::/8) or the limited broadcast 255.255.255.255. */
static inline bool nws_ip_is_group(const struct nws_ip *ip)
{
	if (ip->fam == NWS_AF4)
		return (uint32_t)(ip->v >> 28) == 0xe || (uint32_t)ip->v == 0xffffffffu;
	return (uint8_t)(ip->v >> 120) == 0xff;
}

/* Network order to a number a word at a time: inline, since every parsed packet comes through here. */
static inline void nws_ip_from_bytes(struct nws_ip *ip, uint8_t fam, const uint8_t *in)
{
	ip->fam = fam;
	if (fam == NWS_AF4) {
		uint32_t w;

		memcpy(&w, in, 4);
		ip->v = NWS_BE32(w);
		return;
	}
	uint64_t hi, lo;

	memcpy(&hi, in, 8);
	memcpy(&lo, in + 8, 8);
	ip->v = (nws_u128)NWS_BE64(hi) << 64 | NWS_BE64(lo);
}

int nws_aset_add_range(struct nws_aset *s, uint8_t fam, nws_u128 lo, nws_u128 hi);
int nws_aset_add_prefix(struct nws_aset *s, const struct nws_prefix *p);
/* Sort and merge; call before the operations below. */
void nws_aset_normalise(struct nws_aset *s);
/* out = a minus b; both normalised; out is normalised. */
int nws_aset_subtract(const struct nws_aset *a, const struct nws_aset *b, struct nws_aset *out);
bool nws_aset_contains(const struct nws_aset *s, const struct nws_ip *ip);
/* Minimal CIDR cover of the set's ranges of one family; *out malloc'd. */
int nws_aset_to_prefixes(const struct nws_aset *s, uint8_t fam, struct nws_prefix **out, size_t *n);
void nws_aset_free(struct nws_aset *s);

#endif
