/* The loader: both of Azure's shapes, references by name and by id, what is ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nws_arena.h"
#include "topo.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

static const char *datadir = "tests/data";

static struct topo *load(const char *name)
{
	char path[512];
	struct nws_err err = { { 0 } };
	struct topo *t;

	snprintf(path, sizeof(path), "%s/%s", datadir, name);
	t = topo_load(path, &err);
	if (!t)
		fail_msg("%s", err.msg);
	return t;
}

static void same_rule(const struct topo_rule *a, const struct topo_rule *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->priority, b->priority);
	assert_int_equal(a->dir, b->dir);
	assert_int_equal(a->access, b->access);
	assert_int_equal(a->proto, b->proto);
	assert_int_equal(a->src.kind, b->src.kind);
	assert_int_equal(a->src.tag, b->src.tag);
	assert_int_equal(a->dst.kind, b->dst.kind);
	assert_int_equal(a->dport.n, b->dport.n);
	assert_int_equal(a->dport.r[0].lo, b->dport.r[0].lo);
	assert_int_equal(a->dport.r[0].hi, b->dport.r[0].hi);
	assert_int_equal(a->sport.any, b->sport.any);
	assert_int_equal(a->is_default, b->is_default);
}

static void test_arm_and_flat_shapes_agree(void **s)
{
	(void)s;
	struct topo *a = load("shapes-arm.json"), *f = load("shapes-flat.json");

	assert_int_equal(a->nnsgs, 1);
	assert_int_equal(f->nnsgs, 1);
	assert_int_equal(a->nsgs[0].nrules, f->nsgs[0].nrules);
	assert_int_equal(a->nsgs[0].nrules, 1 + 6); /* the user rule and the six defaults */
	for (size_t i = 0; i < a->nsgs[0].nrules; i++)
		same_rule(&a->nsgs[0].rules[i], &f->nsgs[0].rules[i]);
	assert_int_equal(a->nics[0].ipcfgs[0].ip.v, f->nics[0].ipcfgs[0].ip.v);
	assert_int_equal(a->subnets[0].nsg, 0);
	assert_int_equal(f->subnets[0].nsg, 0);
	/* The ARM id is kept; the flattened shape gets nwsim's synthetic one. */
	assert_string_equal(a->nsgs[0].id, "/subscriptions/1111/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg-web");
	assert_string_equal(f->nsgs[0].id,
			    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/nwsim/providers/Microsoft.Network/networkSecurityGroups/nsg-web");
	/* A VM's networkProfile refers to a top-level NIC by id. */
	assert_int_equal(a->nvms, 1);
	assert_int_equal(a->vms[0].nnics, 1);
	assert_string_equal(a->nics[a->vms[0].first_nic].name, "web1-nic");
	topo_free(a);
	topo_free(f);
}

static void test_defaults_in_order(void **s)
{
	(void)s;
	struct topo *t = load("shapes-flat.json");
	const struct topo_nsg *g = &t->nsgs[0];
	const char *in[] = { "AllowHTTPS", "AllowVnetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInBound" };
	const char *out[] = { "AllowVnetOutBound", "AllowInternetOutBound", "DenyAllOutBound" };

	assert_int_equal(g->norder[AZ_INBOUND], 4);
	assert_int_equal(g->norder[AZ_OUTBOUND], 3);
	for (int i = 0; i < 4; i++)
		assert_string_equal(g->order[AZ_INBOUND][i]->name, in[i]);
	for (int i = 0; i < 3; i++)
		assert_string_equal(g->order[AZ_OUTBOUND][i]->name, out[i]);
	assert_int_equal(g->order[AZ_INBOUND][3]->priority, 65500);
	assert_int_equal(g->order[AZ_OUTBOUND][1]->priority, 65001);
	topo_free(t);
}

static void test_buffer_errors_name_the_place(void **s)
{
	(void)s;
	struct nws_err err = { { 0 } };
	const char *j = "{\"virtualNetworks\": [{\"name\": \"v\", \"addressSpace\": [\"10.0.0.0/16\"], \"subnets\": "
			"[{\"name\": \"s\", \"addressPrefix\": \"10.0.0.0/24\", \"NetworkSecurityGroup\": \"nope\"}]}]}";

	assert_null(topo_load_buf("inline.json", j, strlen(j), &err));
	assert_string_equal(err.msg, "inline.json: virtualNetworks[0].subnets[0].NetworkSecurityGroup: unknown network security group 'nope'");
	assert_null(topo_load_buf("empty.json", "", 0, &err));
	assert_string_equal(err.msg, "empty.json: not valid JSON: syntax error at line 1, column 1");
}

static void test_empty_topology_loads(void **s)
{
	(void)s;
	struct nws_err err = { { 0 } };
	const char *j = "{\"virtualNetworks\": []}";
	struct topo *t = topo_load_buf("empty.json", j, strlen(j), &err);

	/* An object nwsim does not recognise is an error, never an empty network. */
	assert_null(topo_load_buf("nothing.json", "{}", 2, &err));
	assert_string_equal(err.msg, "nothing.json: not a topology, ARM resource, resource list, ARM template or service-tag file: "
				     "a JSON object with no keys");
	assert_non_null(t);
	assert_int_equal(t->nvms + t->nnsgs + t->nvnets, 0);
	topo_free(t);
}

/* Under ASan, a write past an arena allocation lands in a poisoned redzone, as past malloc's. */
static void test_arena_redzones(void **state)
{
	(void)state;
	struct nws_arena a = { 0 };
	char *p = nws_arena_alloc(&a, 5), *q = nws_arena_alloc(&a, 16);

	assert_non_null(p);
	assert_non_null(q);
	assert_true(q >= p + 16);
	assert_int_equal(p[4], 0);
#if defined(__SANITIZE_ADDRESS__)
	assert_false(__asan_address_is_poisoned(p + 4));
	assert_true(__asan_address_is_poisoned(p + 5));
	assert_true(__asan_address_is_poisoned(q + 16));
	assert_false(__asan_address_is_poisoned(q + 15));
#endif
	nws_arena_free(&a);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena_redzones),
		cmocka_unit_test(test_arm_and_flat_shapes_agree),
		cmocka_unit_test(test_defaults_in_order),
		cmocka_unit_test(test_buffer_errors_name_the_place),
		cmocka_unit_test(test_empty_topology_loads),
	};

	if (argc > 1)
		datadir = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
