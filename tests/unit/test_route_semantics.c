/*
 * Azure's routing rules (azure-semantics.md, "Routes and next hop"), one test each: the effective
 * table of a subnet, and next hops through both the linear reference and the rte_lpm tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp_route.h"
#include "tutil.h"

static const char *datadir = "tests/data";
static struct topo *t;
static struct route_model m;
static struct dp_routes dr;

static int setup(void **s)
{
	(void)s;
	char path[512];
	struct nws_err err;

	tu_eal();
	snprintf(path, sizeof(path), "%s/routes.json", datadir);
	t = topo_load(path, &err);
	if (!t)
		fail_msg("%s", err.msg);
	if (route_model_build(&m, t, &err) < 0 || dp_routes_build(&dr, &m, DP_ROUTE_LPM_TABLES, &err) < 0)
		fail_msg("%s", err.msg);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	dp_routes_free(&dr);
	route_model_free(&m);
	topo_free(t);
	return 0;
}

static int subnet_of(const char *vm)
{
	int v = topo_find_vm(t, vm);

	assert_true(v >= 0);
	return t->nics[t->vms[v].first_nic].ipcfgs[0].subnet;
}

static void line(const struct route_entry *r, char *buf, size_t len)
{
	char p[NWS_PREFIX_STRLEN], ip[NWS_IP_STRLEN] = "-";

	if (r->has_ip)
		nws_ip_str(&r->ip, ip);
	snprintf(buf, len, "%s %s %s %s %s", route_source_name[r->source], route_state_name[r->state],
		 nws_prefix_str(&r->prefix, p), az_nexthop_name[r->type], ip);
}

/* The subnet's effective table lists exactly this route ("Source State prefix Type ip"). */
static bool has(const char *vm, const char *want)
{
	const struct route_table *tb = &m.subnet[subnet_of(vm)];
	char buf[256];

	for (size_t i = 0; i < tb->n; i++) {
		line(&tb->e[i], buf, sizeof(buf));
		if (!strcmp(buf, want))
			return true;
	}
	return false;
}

#define HAS(vm, want)                                                                   \
	do {                                                                            \
		if (!has(vm, want))                                                     \
			fail_msg("%s: effective routes lack '%s'", vm, want);           \
	} while (0)
#define HAS_NOT(vm, want)                                                               \
	do {                                                                            \
		if (has(vm, want))                                                      \
			fail_msg("%s: effective routes hold '%s'", vm, want);           \
	} while (0)

/* Next hop from vm to dst: "Type ip table" with table "System Route" or the route table's name. */
static void hop(const char *vm, const char *dst, const char *want)
{
	struct dp_route_query q = { .subnet = subnet_of(vm) };
	struct route_hop ref, got;
	char ip[NWS_IP_STRLEN] = "-", buf[256];

	assert_int_equal(nws_ip_parse(dst, &q.dst), 0);
	route_ref_lookup(&m.subnet[q.subnet], &q.dst, &ref);
	dp_routes_lookup(&dr, &q, &got, 1);
	assert_int_equal(ref.type, got.type);
	assert_int_equal(ref.rt, got.rt);
	assert_int_equal(ref.has_ip, got.has_ip);
	if (ref.has_ip)
		nws_ip_str(&ref.ip, ip);
	snprintf(buf, sizeof(buf), "%s %s %s", az_nexthop_name[ref.type], ip, ref.rt >= 0 ? t->rts[ref.rt].name : AZ_SYSTEM_ROUTE);
	if (strcmp(buf, want))
		fail_msg("%s -> %s: got '%s', want '%s'", vm, dst, buf, want);
}

static void test_system_routes(void **s)
{
	(void)s;
	HAS("vm-plain", "Default Active 10.0.0.0/16 VnetLocal -");
	HAS("vm-plain", "Default Active 0.0.0.0/0 Internet -");
	HAS("vm-plain", "Default Active 10.0.0.0/8 None -");
	HAS("vm-plain", "Default Active 100.64.0.0/10 None -");
	hop("vm-plain", "10.0.1.9", "VnetLocal - System Route");
	hop("vm-plain", "13.107.21.200", "Internet - System Route");
	/* A network range inside a reserved one leaves the None route: LPM picks the /16. */
	hop("vm-plain", "10.5.0.5", "None - System Route");
	hop("vm-plain", "100.64.1.1", "None - System Route");
}

static void test_address_space_replaces_reserved_none(void **s)
{
	(void)s;
	/* hub has 192.168.0.0/16 itself: no None route for it, VnetLocal instead. */
	HAS("vm-plain", "Default Active 192.168.0.0/16 VnetLocal -");
	HAS_NOT("vm-plain", "Default Active 192.168.0.0/16 None -");
	hop("vm-plain", "192.168.7.7", "VnetLocal - System Route");
	/* island's 100.64.0.0/10 equals the reserved range. */
	HAS_NOT("vm-island", "Default Active 100.64.0.0/10 None -");
	HAS("vm-island", "Default Active 100.64.0.0/10 VnetLocal -");
	HAS("vm-island", "Default Active 10.0.0.0/8 None -");
}

static void test_ipv6_routes(void **s)
{
	(void)s;
	HAS("vm-plain", "Default Active fd00:1::/48 VnetLocal -");
	HAS("vm-plain", "Default Active ::/0 Internet -");
	hop("vm-plain", "fd00:1::9", "VnetLocal - System Route");
	hop("vm-plain", "2001:db8::1", "Internet - System Route");
	/* A network without IPv6 space has no IPv6 route: nothing carries the packet. */
	HAS_NOT("vm-spoke", "Default Active ::/0 Internet -");
	hop("vm-spoke", "2001:db8::1", "None - System Route");
}

static void test_peering_routes(void **s)
{
	(void)s;
	HAS("vm-plain", "Default Active 10.1.0.0/16 VNetPeering -");
	HAS("vm-plain", "Default Active 10.2.0.0/16 VNetPeering -");
	HAS("vm-spoke", "Default Active 10.0.0.0/16 VNetPeering -");
	HAS("vm-spoke", "Default Active 192.168.0.0/16 VNetPeering -");
	hop("vm-plain", "10.2.3.4", "VNetPeering - System Route");
	/* Peering is not transitive: island is peered with nobody. */
	hop("vm-island", "10.1.0.5", "None - System Route");
}

static void test_gateway_routes(void **s)
{
	(void)s;
	HAS("vm-plain", "VirtualNetworkGateway Active 10.10.0.0/16 VirtualNetworkGateway 20.50.60.70");
	hop("vm-plain", "10.10.1.1", "VirtualNetworkGateway 20.50.60.70 System Route");
	/* A peer that uses the remote gateway learns its routes. */
	HAS("vm-spoke", "VirtualNetworkGateway Active 10.10.0.0/16 VirtualNetworkGateway 20.50.60.70");
	hop("vm-spoke", "10.10.1.1", "VirtualNetworkGateway 20.50.60.70 System Route");
	/* Gateway (BGP) beats a system route of the same prefix: 172.16.0.0/12 None turns Invalid. */
	HAS("vm-plain", "VirtualNetworkGateway Active 172.16.0.0/12 VirtualNetworkGateway 20.50.60.70");
	HAS("vm-plain", "Default Invalid 172.16.0.0/12 None -");
	hop("vm-plain", "172.20.0.1", "VirtualNetworkGateway 20.50.60.70 System Route");
}

/*
 * Today's Azure: system routes for the network's own ranges and peered ranges are preferred over
 * BGP routes, even more specific ones (azure-semantics.md, "Route selection"). The office
 * network announces 10.0.0.128/25 (inside the hub), 10.1.0.0/24 (inside the spoke) and
 * 192.168.0.0/16 (the hub's own range, the same prefix).
 */
static void test_network_routes_beat_bgp(void **s)
{
	(void)s;
	HAS("vm-plain", "VirtualNetworkGateway Invalid 10.0.0.128/25 VirtualNetworkGateway 20.50.60.70");
	hop("vm-plain", "10.0.0.200", "VnetLocal - System Route");
	HAS("vm-plain", "VirtualNetworkGateway Invalid 10.1.0.0/24 VirtualNetworkGateway 20.50.60.70");
	hop("vm-plain", "10.1.0.4", "VNetPeering - System Route");
	HAS("vm-plain", "Default Active 192.168.0.0/16 VnetLocal -");
	HAS("vm-plain", "VirtualNetworkGateway Invalid 192.168.0.0/16 VirtualNetworkGateway 20.50.60.70");
	hop("vm-plain", "192.168.7.7", "VnetLocal - System Route");
	/* In the spoke, which learns the hub gateway's routes: its own range and the peered hub's. */
	HAS("vm-spoke", "VirtualNetworkGateway Invalid 10.1.0.0/24 VirtualNetworkGateway 20.50.60.70");
	hop("vm-spoke", "10.1.0.9", "VnetLocal - System Route");
	hop("vm-spoke", "10.0.0.200", "VNetPeering - System Route");
	/* A user route still overrides: rt-types sends 10.10/16 to the appliance, not the gateway. */
	hop("vm-udr", "10.10.1.1", "VirtualAppliance 10.0.100.4 rt-types");
}

static void test_disable_bgp_route_propagation(void **s)
{
	(void)s;
	HAS_NOT("vm-nobgp", "VirtualNetworkGateway Active 10.10.0.0/16 VirtualNetworkGateway 20.50.60.70");
	HAS("vm-nobgp", "Default Active 172.16.0.0/12 None -");
	hop("vm-nobgp", "10.10.1.1", "None - System Route");
}

static void test_user_route_types(void **s)
{
	(void)s;
	hop("vm-udr", "10.20.0.1", "VirtualAppliance 10.0.100.4 rt-types");
	hop("vm-udr", "10.21.0.1", "VirtualNetworkGateway 20.50.60.70 rt-types");
	hop("vm-udr", "10.22.0.1", "VnetLocal - rt-types");
	hop("vm-udr", "10.23.0.1", "Internet - rt-types");
	hop("vm-udr", "10.24.0.1", "None - rt-types");
	HAS("vm-udr", "User Active 10.20.0.0/16 VirtualAppliance 10.0.100.4");
}

static void test_selection(void **s)
{
	(void)s;
	/* Same prefix: the user route wins, the gateway route stays listed as Invalid. */
	HAS("vm-udr", "User Active 10.10.0.0/16 VirtualAppliance 10.0.100.4");
	HAS("vm-udr", "VirtualNetworkGateway Invalid 10.10.0.0/16 VirtualNetworkGateway 20.50.60.70");
	hop("vm-udr", "10.10.9.9", "VirtualAppliance 10.0.100.4 rt-types");
	/* Longest prefix first: a /24 user route inside the /16 system route. */
	hop("vm-udr", "10.0.5.1", "None - rt-types");
	hop("vm-udr", "10.0.6.1", "VnetLocal - System Route");
	HAS("vm-udr", "Default Active 10.0.0.0/16 VnetLocal -");
}

static void test_user_default_route(void **s)
{
	(void)s;
	HAS("vm-override", "User Active 0.0.0.0/0 VirtualAppliance 10.0.100.4");
	HAS("vm-override", "Default Invalid 0.0.0.0/0 Internet -");
	/* The docs' routing example: the reserved None routes are removed, not just overridden. */
	HAS_NOT("vm-override", "Default Active 10.0.0.0/8 None -");
	HAS_NOT("vm-override", "Default Invalid 10.0.0.0/8 None -");
	HAS_NOT("vm-override", "Default Active 100.64.0.0/10 None -");
	hop("vm-override", "10.50.0.1", "VirtualAppliance 10.0.100.4 rt-override");
	hop("vm-override", "8.8.8.8", "VirtualAppliance 10.0.100.4 rt-override");
	/* Ranges of the network and the gateway still win by length. */
	hop("vm-override", "10.0.0.7", "VnetLocal - System Route");
	hop("vm-override", "10.10.0.7", "VirtualNetworkGateway 20.50.60.70 System Route");
}

static void test_shared_tables(void **s)
{
	(void)s;
	/* Subnets with the same routes share one compiled table; ones with a route table do not. */
	assert_int_equal(dr.subnet_tab[subnet_of("vm-plain")], dr.subnet_tab[t->vnets[0].first_subnet + 4]);
	assert_int_not_equal(dr.subnet_tab[subnet_of("vm-plain")], dr.subnet_tab[subnet_of("vm-udr")]);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system_routes),
		cmocka_unit_test(test_address_space_replaces_reserved_none),
		cmocka_unit_test(test_ipv6_routes),
		cmocka_unit_test(test_peering_routes),
		cmocka_unit_test(test_gateway_routes),
		cmocka_unit_test(test_network_routes_beat_bgp),
		cmocka_unit_test(test_disable_bgp_route_propagation),
		cmocka_unit_test(test_user_route_types),
		cmocka_unit_test(test_selection),
		cmocka_unit_test(test_user_default_route),
		cmocka_unit_test(test_shared_tables),
	};

	if (argc > 1)
		datadir = argv[1];
	return cmocka_run_group_tests(tests, setup, teardown);
}
