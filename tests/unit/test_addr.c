/* Addresses, prefixes and address sets: parsing, formatting and the set algebra tags rely on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nws_addr.h"
#include "tutil.h"

static void test_parse_and_format(void **s)
{
	(void)s;
	struct nws_prefix p;
	char b[NWS_PREFIX_STRLEN];

	assert_int_equal(nws_prefix_parse("10.1.2.3/8", &p), 0);
	assert_string_equal(nws_prefix_str(&p, b), "10.0.0.0/8");
	assert_int_equal(nws_prefix_parse("192.168.0.1", &p), 0);
	assert_string_equal(nws_prefix_str(&p, b), "192.168.0.1/32");
	assert_int_equal(nws_prefix_parse("2001:DB8::1/32", &p), 0);
	assert_string_equal(nws_prefix_str(&p, b), "2001:db8::/32");
	assert_int_equal(nws_prefix_parse("::/0", &p), 0);
	assert_string_equal(nws_prefix_str(&p, b), "::/0");
	assert_true(nws_prefix_has_host_bits("10.1.2.3/8"));
	assert_false(nws_prefix_has_host_bits("10.0.0.0/8"));
	const char *bad[] = { "10.0.0.0/33", "10.0.0/8", "010.0.0.1", "10.0.0.1/", "10.0.0.1/-1", "1.2.3.4/8x",
			      "2001:db8::/129", "", "/8", "Internet", "1.2.3.4/0008", NULL };

	for (const char **x = bad; *x; x++)
		if (nws_prefix_parse(*x, &p) == 0)
			fail_msg("'%s' parsed", *x);
}

static void test_contains(void **s)
{
	(void)s;
	struct nws_prefix p;
	struct nws_ip ip;

	nws_prefix_parse("10.0.0.0/8", &p);
	nws_ip_parse("10.255.255.255", &ip);
	assert_true(nws_prefix_contains(&p, &ip));
	nws_ip_parse("11.0.0.0", &ip);
	assert_false(nws_prefix_contains(&p, &ip));
	nws_ip_parse("::ffff:10.0.0.1", &ip);
	assert_false(nws_prefix_contains(&p, &ip)); /* never across families */
	nws_prefix_parse("0.0.0.0/0", &p);
	nws_ip_parse("255.255.255.255", &ip);
	assert_true(nws_prefix_contains(&p, &ip));
}

static void add(struct nws_aset *a, const char *s)
{
	struct nws_prefix p;

	assert_int_equal(nws_prefix_parse(s, &p), 0);
	assert_int_equal(nws_aset_add_prefix(a, &p), 0);
}

static char *cidrs(const struct nws_aset *a, uint8_t fam, char *out)
{
	struct nws_prefix *p;
	size_t n;
	char b[NWS_PREFIX_STRLEN];

	out[0] = 0;
	assert_int_equal(nws_aset_to_prefixes(a, fam, &p, &n), 0);
	for (size_t i = 0; i < n; i++)
		sprintf(out + strlen(out), "%s%s", i ? " " : "", nws_prefix_str(&p[i], b));
	free(p);
	return out;
}

static void test_set_algebra(void **s)
{
	(void)s;
	struct nws_aset a = { 0 }, b = { 0 }, c = { 0 };
	char out[4096];

	add(&a, "10.0.0.0/24");
	add(&a, "10.0.1.0/24"); /* adjacent: merges */
	add(&a, "10.0.0.128/25"); /* inside: absorbed */
	nws_aset_normalise(&a);
	assert_int_equal(a.n, 1);
	assert_string_equal(cidrs(&a, NWS_AF4, out), "10.0.0.0/23");
	add(&b, "10.0.0.5/32");
	nws_aset_normalise(&b);
	assert_int_equal(nws_aset_subtract(&a, &b, &c), 0);
	assert_string_equal(cidrs(&c, NWS_AF4, out),
			    "10.0.0.0/30 10.0.0.4/32 10.0.0.6/31 10.0.0.8/29 10.0.0.16/28 10.0.0.32/27 10.0.0.64/26 10.0.0.128/25 10.0.1.0/24");
	nws_aset_free(&a);
	nws_aset_free(&b);
	nws_aset_free(&c);
	/* All of IPv6 less ::1 is ::/128 plus the 127 blocks above it. */
	nws_aset_add_range(&a, NWS_AF6, 0, ~(nws_u128)0);
	add(&b, "::1/128");
	nws_aset_normalise(&b);
	nws_aset_subtract(&a, &b, &c);
	assert_int_equal(c.n, 2);
	struct nws_prefix *p;
	size_t n;

	nws_aset_to_prefixes(&c, NWS_AF6, &p, &n);
	assert_int_equal(n, 128);
	free(p);
	nws_aset_free(&a);
	nws_aset_free(&b);
	nws_aset_free(&c);
}

/* Random sets: membership through the ranges, the CIDR cover and the listed prefixes agree. */
static void test_random_sets(void **s)
{
	(void)s;
	uint64_t r = 42;

	for (int round = 0; round < 300; round++) {
		struct nws_aset a = { 0 };
		struct nws_prefix in[8];
		int n = 1 + (int)tu_below(&r, 8);

		for (int i = 0; i < n; i++) {
			in[i].ip.fam = tu_below(&r, 2) ? NWS_AF4 : NWS_AF6;
			in[i].len = (uint8_t)tu_below(&r, nws_fam_bits(in[i].ip.fam) + 1);
			in[i].ip.v = ((nws_u128)tu_rand(&r) << 64 | tu_rand(&r)) & nws_mask(in[i].ip.fam, in[i].len);
			nws_aset_add_prefix(&a, &in[i]);
		}
		nws_aset_normalise(&a);
		struct nws_prefix *cv[2];
		size_t ncv[2];

		nws_aset_to_prefixes(&a, NWS_AF4, &cv[0], &ncv[0]);
		nws_aset_to_prefixes(&a, NWS_AF6, &cv[1], &ncv[1]);
		for (int k = 0; k < 2000; k++) {
			struct nws_ip ip;
			const struct nws_prefix *base = &in[tu_below(&r, (uint32_t)n)];

			/* Points near listed prefixes' edges, and anywhere. */
			ip.fam = base->ip.fam;
			nws_u128 host = ~nws_mask(ip.fam, base->len) & nws_mask(ip.fam, nws_fam_bits(ip.fam));
			switch (tu_below(&r, 4)) {
			case 0: ip.v = base->ip.v; break;
			case 1: ip.v = base->ip.v | host; break;
			case 2: ip.v = (base->ip.v | host) + 1; break;
			default: ip.v = ((nws_u128)tu_rand(&r) << 64 | tu_rand(&r)); break;
			}
			ip.v &= nws_mask(ip.fam, nws_fam_bits(ip.fam));
			bool want = false, cover = false;

			for (int i = 0; i < n; i++)
				want |= nws_prefix_contains(&in[i], &ip);
			int f = ip.fam == NWS_AF4 ? 0 : 1;

			for (size_t i = 0; i < ncv[f]; i++)
				cover |= nws_prefix_contains(&cv[f][i], &ip);
			assert_int_equal(nws_aset_contains(&a, &ip), want);
			assert_int_equal(cover, want);
		}
		free(cv[0]);
		free(cv[1]);
		nws_aset_free(&a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_format),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_set_algebra),
		cmocka_unit_test(test_random_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
