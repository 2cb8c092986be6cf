#include "nws_addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nws_u128 nws_mask(uint8_t fam, unsigned len)
{
	unsigned bits = nws_fam_bits(fam);
	nws_u128 all = bits == 128 ? ~(nws_u128)0 : (((nws_u128)1 << bits) - 1);

	if (len == 0)
		return 0;
	return all & ~((((nws_u128)1) << (bits - len)) - 1) & all;
}

void nws_ip_bytes(const struct nws_ip *ip, uint8_t *out)
{
	unsigned n = ip->fam == NWS_AF4 ? 4 : 16;

	for (unsigned i = 0; i < n; i++)
		out[i] = (uint8_t)(ip->v >> (8 * (n - 1 - i)));
}


/* Dotted quad, as inet_pton reads it (no leading zeros, four parts), without its overhead. */
static int ip4_parse(const char *s, struct nws_ip *ip)
{
	uint32_t v = 0;

	for (int part = 0; part < 4; part++) {
		unsigned n = 0, digits = 0;

		if (part && *s++ != '.')
			return -1;
		while (*s >= '0' && *s <= '9') {
			if (digits && n == 0)
				return -1; /* leading zero */
			n = n * 10 + (unsigned)(*s++ - '0');
			if (++digits > 3 || n > 255)
				return -1;
		}
		if (!digits)
			return -1;
		v = v << 8 | n;
	}
	if (*s)
		return -1;
	ip->fam = NWS_AF4;
	ip->v = v;
	return 0;
}

int nws_ip_parse(const char *s, struct nws_ip *ip)
{
	uint8_t b[16];

	/* Most addresses in a batch are IPv4: try that first, IPv6 only when it fails. */
	if (ip4_parse(s, ip) == 0)
		return 0;
	if (!strchr(s, ':'))
		return -1;
	{
		if (inet_pton(AF_INET6, s, b) != 1)
			return -1;
		nws_ip_from_bytes(ip, NWS_AF6, b);
		return 0;
	}
}

static int split_prefix(const char *s, struct nws_ip *ip, int *len)
{
	char buf[NWS_PREFIX_STRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);

	if (alen == 0 || alen >= sizeof(buf))
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = 0;
	if (nws_ip_parse(buf, ip) < 0)
		return -1;
	*len = (int)nws_fam_bits(ip->fam);
	if (slash) {
		const char *d = slash + 1;
		int v = 0;

		if (!*d || strlen(d) > 3)
			return -1;
		for (; *d; d++) {
			if (*d < '0' || *d > '9')
				return -1;
			v = v * 10 + (*d - '0');
		}
		if (v > (int)nws_fam_bits(ip->fam))
			return -1;
		*len = v;
	}
	return 0;
}

int nws_prefix_parse(const char *s, struct nws_prefix *p)
{
	int len;

	if (split_prefix(s, &p->ip, &len) < 0)
		return -1;
	p->len = (uint8_t)len;
	p->ip.v &= nws_mask(p->ip.fam, p->len);
	return 0;
}

bool nws_prefix_has_host_bits(const char *s)
{
	struct nws_ip ip;
	int len;

	if (split_prefix(s, &ip, &len) < 0)
		return false;
	return (ip.v & ~nws_mask(ip.fam, (unsigned)len) &
		nws_mask(ip.fam, nws_fam_bits(ip.fam))) != 0;
}

char *nws_ip_str(const struct nws_ip *ip, char *buf)
{
	uint8_t b[16];

	nws_ip_bytes(ip, b);
	inet_ntop(ip->fam == NWS_AF4 ? AF_INET : AF_INET6, b, buf, NWS_IP_STRLEN);
	return buf;
}

char *nws_prefix_str(const struct nws_prefix *p, char *buf)
{
	char a[NWS_IP_STRLEN];

	snprintf(buf, NWS_PREFIX_STRLEN, "%s/%u", nws_ip_str(&p->ip, a), p->len);
	return buf;
}

bool nws_prefix_contains(const struct nws_prefix *p, const struct nws_ip *ip)
{
	return p->ip.fam == ip->fam && (ip->v & nws_mask(ip->fam, p->len)) == p->ip.v;
}

bool nws_ip_eq(const struct nws_ip *a, const struct nws_ip *b)
{
	return a->fam == b->fam && a->v == b->v;
}

int nws_aset_add_range(struct nws_aset *s, uint8_t fam, nws_u128 lo, nws_u128 hi)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct nws_range *r = realloc(s->r, cap * sizeof(*r));

		if (!r)
			return -1;
		s->r = r;
		s->cap = cap;
	}
	s->r[s->n++] = (struct nws_range){ .fam = fam, .lo = lo, .hi = hi };
	return 0;
}

int nws_aset_add_prefix(struct nws_aset *s, const struct nws_prefix *p)
{
	nws_u128 host = ~nws_mask(p->ip.fam, p->len) & nws_mask(p->ip.fam, nws_fam_bits(p->ip.fam));

	return nws_aset_add_range(s, p->ip.fam, p->ip.v, p->ip.v | host);
}

static int range_cmp(const void *a, const void *b)
{
	const struct nws_range *x = a, *y = b;

	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

void nws_aset_normalise(struct nws_aset *s)
{
	size_t o = 0;

	if (s->n < 2)
		return;
	qsort(s->r, s->n, sizeof(*s->r), range_cmp);
	for (size_t i = 1; i < s->n; i++) {
		struct nws_range *cur = &s->r[o];

		/* Merge overlapping and adjacent ranges; hi + 1 cannot wrap when hi < lo of next. */
		if (s->r[i].fam == cur->fam && (s->r[i].lo <= cur->hi || s->r[i].lo - 1 == cur->hi)) {
			if (s->r[i].hi > cur->hi)
				cur->hi = s->r[i].hi;
		} else {
			s->r[++o] = s->r[i];
		}
	}
	s->n = o + 1;
}

int nws_aset_subtract(const struct nws_aset *a, const struct nws_aset *b, struct nws_aset *out)
{
	for (size_t i = 0; i < a->n; i++) {
		struct nws_range cur = a->r[i];
		bool alive = true;

		for (size_t j = 0; j < b->n && alive; j++) {
			const struct nws_range *x = &b->r[j];

			if (x->fam != cur.fam || x->hi < cur.lo || x->lo > cur.hi)
				continue;
			if (x->lo > cur.lo && nws_aset_add_range(out, cur.fam, cur.lo, x->lo - 1) < 0)
				return -1;
			if (x->hi >= cur.hi)
				alive = false;
			else
				cur.lo = x->hi + 1;
		}
		if (alive && nws_aset_add_range(out, cur.fam, cur.lo, cur.hi) < 0)
			return -1;
	}
	nws_aset_normalise(out);
	return 0;
}

bool nws_aset_contains(const struct nws_aset *s, const struct nws_ip *ip)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct nws_range *r = &s->r[mid];

		if (r->fam < ip->fam || (r->fam == ip->fam && r->hi < ip->v))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->r[lo].fam == ip->fam && s->r[lo].lo <= ip->v;
}

int nws_aset_to_prefixes(const struct nws_aset *s, uint8_t fam, struct nws_prefix **out, size_t *n)
{
	unsigned bits = nws_fam_bits(fam);
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (s->r[i].fam != fam)
			continue;
		nws_u128 lo = s->r[i].lo, hi = s->r[i].hi;

		for (;;) {
			/* Largest aligned block starting at lo that stays within hi. */
			unsigned len = bits;

			while (len > 0) {
				unsigned sz = bits - (len - 1);
				nws_u128 blk = sz >= 128 ? ~(nws_u128)0 : (((nws_u128)1 << sz) - 1);

				if ((lo & blk) != 0 || (lo | blk) > hi)
					break;
				len--;
			}
			if (*n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct nws_prefix *p = realloc(*out, nc * sizeof(*p));

				if (!p) {
					free(*out);
					*out = NULL;
					return -1;
				}
				*out = p;
				cap = nc;
			}
			(*out)[(*n)++] = (struct nws_prefix){ .ip = { .fam = fam, .v = lo }, .len = (uint8_t)len };
			nws_u128 last = lo | (~nws_mask(fam, len) & nws_mask(fam, bits));

			if (last >= hi)
				break;
			lo = last + 1;
		}
	}
	return 0;
}

void nws_aset_free(struct nws_aset *s)
{
	if (!s)
		return;
	free(s->r);
	s->r = NULL;
	s->n = s->cap = 0;
}
