/*
 * Every NSG rule of azure-semantics.md, as a user of test-ip-flow would see it. Each query runs
 * through both the reference evaluator and the compiled rte_acl tables (tu_verify asserts that
 * they agree), then the verdict is compared with the expected one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tutil.h"

static const char *datadir = "tests/data";
static struct tu_net sem, ovr;

static int setup(void **state)
{
	(void)state;
	char *a = tu_slurp(datadir, "semantics.json"), *b = tu_slurp(datadir, "tags-override.json");

	tu_net_open(&sem, a);
	tu_net_open(&ovr, b);
	free(a);
	free(b);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_net_close(&sem);
	tu_net_close(&ovr);
	return 0;
}

/* Expect "Access ruleName" ("-" when no NSG applied) for one query. */
static void expect(const struct tu_net *n, const char *vm, const char *dir, const char *proto, const char *local,
		   const char *remote, const char *want)
{
	char buf[300];
	struct nsg_verdict v = tu_verify(n, vm, dir, proto, local, remote);

	tu_verdict_str(&v, buf, sizeof(buf));
	if (strcmp(buf, want))
		fail_msg("%s %s %s %s <-> %s: got '%s', want '%s'", vm, dir, proto, local, remote, buf, want);
}

/* --- the six default rules ------------------------------------------------------------------ */

static void test_default_allow_vnet_inbound(void **s)
{
	(void)s;
	expect(&sem, "vm-def", "Inbound", "TCP", "10.0.4.4:22", "10.0.1.4:5000", "Allow defaultSecurityRules/AllowVnetInBound");
}

static void test_default_allow_alb_inbound(void **s)
{
	(void)s;
	/* 168.63.129.16 is inside VirtualNetwork, so AllowVnetInBound (65000) decides before 65001. */
	expect(&sem, "vm-def", "Inbound", "TCP", "10.0.4.4:80", "168.63.129.16:5000", "Allow defaultSecurityRules/AllowVnetInBound");
	/* With AzureLoadBalancer given outside the virtual network, 65001 is the one that matches. */
	expect(&ovr, "vm-a", "Inbound", "TCP", "10.0.0.4:80", "100.64.0.7:5000",
	       "Allow defaultSecurityRules/AllowAzureLoadBalancerInBound");
	/* IPv6: the tag is fe80::1234:5678:9abc, outside VirtualNetwork, so 65001 admits it; its neighbour is denied. */
	expect(&sem, "vm-def", "Inbound", "TCP", "[fd00:0:0:4::4]:80", "[fe80::1234:5678:9abc]:5000",
	       "Allow defaultSecurityRules/AllowAzureLoadBalancerInBound");
	expect(&sem, "vm-def", "Inbound", "TCP", "[fd00:0:0:4::4]:80", "[fe80::1234:5678:9abd]:5000",
	       "Deny defaultSecurityRules/DenyAllInBound");
}

static void test_default_deny_all_inbound(void **s)
{
	(void)s;
	expect(&sem, "vm-def", "Inbound", "TCP", "10.0.4.4:80", "13.107.21.200:60000", "Deny defaultSecurityRules/DenyAllInBound");
	expect(&sem, "vm-def", "Inbound", "UDP", "10.0.4.4:53", "10.10.10.10:60000", "Deny defaultSecurityRules/DenyAllInBound");
}

static void test_default_allow_vnet_outbound(void **s)
{
	(void)s;
	expect(&sem, "vm-def", "Outbound", "TCP", "10.0.4.4:60000", "10.0.1.10:80", "Allow defaultSecurityRules/AllowVnetOutBound");
}

static void test_default_allow_internet_outbound(void **s)
{
	(void)s;
	expect(&sem, "vm-def", "Outbound", "TCP", "10.0.4.4:60000", "13.107.21.200:80",
	       "Allow defaultSecurityRules/AllowInternetOutBound");
}

static void test_default_deny_all_outbound(void **s)
{
	(void)s;
	/* The quickstart's 10.10.10.10: private, outside every virtual network, so not Internet. */
	expect(&sem, "vm-def", "Outbound", "TCP", "10.0.4.4:60000", "10.10.10.10:80", "Deny defaultSecurityRules/DenyAllOutBound");
}

/* --- first match by priority ------------------------------------------------------------------ */

static void test_first_match_by_priority_not_file_order(void **s)
{
	(void)s;
	/* AllowLater (300) is written before DenyFirst (250); 250 is processed first. */
	expect(&sem, "vm-feat", "Inbound", "TCP", "10.0.5.4:9000", "8.8.8.8:5000", "Deny securityRules/DenyFirst");
}

static void test_user_rule_beats_default(void **s)
{
	(void)s;
	/* DenyVnet (130) overrides AllowVnetInBound (65000) for traffic from the virtual network. */
	expect(&sem, "vm-feat", "Inbound", "TCP", "10.0.5.4:3000", "10.0.1.4:5000", "Deny securityRules/DenyVnet");
	/* DenyInternetOut overrides AllowInternetOutBound. */
	expect(&sem, "vm-feat", "Outbound", "UDP", "10.0.5.4:5000", "8.8.8.8:53", "Deny securityRules/DenyInternetOut");
	expect(&sem, "vm-feat", "Outbound", "UDP", "10.0.5.4:5000", "10.1.0.4:53", "Allow defaultSecurityRules/AllowVnetOutBound");
}

/* --- two NSGs per NIC --------------------------------------------------------------------------- */

static void test_inbound_subnet_then_nic(void **s)
{
	(void)s;
	/* Subnet allows 80, NIC denies it: both must allow. */
	expect(&sem, "vm-both", "Inbound", "TCP", "10.0.1.4:80", "8.8.8.8:5000", "Deny securityRules/DenyNic80");
	/* Subnet denies 8080 first; the NIC's allow is never reached. */
	expect(&sem, "vm-both", "Inbound", "TCP", "10.0.1.4:8080", "8.8.8.8:5000", "Deny securityRules/DenySub8080");
	/* Both allow: the NIC NSG's rule (evaluated last inbound) is named. */
	expect(&sem, "vm-both", "Inbound", "TCP", "10.0.1.4:8081", "8.8.8.8:5000", "Allow securityRules/AllowNic8081");
}

static void test_outbound_nic_then_subnet(void **s)
{
	(void)s;
	/* NIC denies 443 first, although the subnet allows it. */
	expect(&sem, "vm-both", "Outbound", "TCP", "10.0.1.4:5000", "8.8.8.8:443", "Deny securityRules/DenyNicOut443");
	/* NIC allows 203.0.113.0/24, the subnet then denies it. */
	expect(&sem, "vm-both", "Outbound", "TCP", "10.0.1.4:5000", "203.0.113.5:25", "Deny securityRules/DenySubOutTestNet");
	/* Both allow: the subnet NSG's rule (evaluated last outbound) is named. */
	expect(&sem, "vm-both", "Outbound", "UDP", "10.0.1.4:5000", "8.8.8.8:53", "Allow defaultSecurityRules/AllowInternetOutBound");
}

static void test_one_level_only(void **s)
{
	(void)s;
	/* Subnet NSG only. */
	expect(&sem, "vm-sub", "Inbound", "TCP", "10.0.2.4:80", "8.8.8.8:5000", "Allow securityRules/AllowWeb80");
	/* NIC NSG only. */
	expect(&sem, "vm-nic", "Inbound", "TCP", "10.0.3.4:80", "8.8.8.8:5000", "Deny securityRules/DenyNic80");
	expect(&sem, "vm-nic", "Inbound", "TCP", "10.0.3.4:8080", "8.8.8.8:5000", "Allow securityRules/AllowNic8080");
}

static void test_absent_nsg_allows(void **s)
{
	(void)s;
	expect(&sem, "vm-none", "Inbound", "TCP", "10.0.3.5:3389", "8.8.8.8:5000", "Allow -");
	expect(&sem, "vm-none", "Outbound", "UDP", "10.0.3.5:5000", "10.10.10.10:53", "Allow -");
}

static void test_subnet_nsg_applies_within_subnet(void **s)
{
	(void)s;
	expect(&sem, "vm-sub", "Inbound", "UDP", "10.0.2.4:53", "10.0.2.5:5000", "Deny securityRules/DenyIntraSubnetUdp");
}

/* --- service tags -------------------------------------------------------------------------------- */

static void test_virtualnetwork_tag(void **s)
{
	(void)s;
	/* Peered virtual network's address space. */
	expect(&sem, "vm-def", "Inbound", "TCP", "10.0.4.4:22", "10.1.0.4:5000", "Allow defaultSecurityRules/AllowVnetInBound");
	/* On-premises prefixes through the gateway. */
	expect(&sem, "vm-def", "Inbound", "TCP", "10.0.4.4:22", "192.168.10.5:5000", "Allow defaultSecurityRules/AllowVnetInBound");
	/* Prefixes of user-defined routes on the virtual network's subnets. */
	expect(&sem, "vm-def", "Outbound", "TCP", "10.0.4.4:5000", "172.16.5.9:22", "Allow defaultSecurityRules/AllowVnetOutBound");
	/* A peer that uses the remote gateway sees its on-premises prefixes too. */
	expect(&sem, "vm-spoke", "Inbound", "TCP", "10.1.0.4:22", "192.168.10.5:5000", "Allow defaultSecurityRules/AllowVnetInBound");
	/* A virtual network that is not peered is outside. */
	expect(&sem, "vm-island", "Inbound", "TCP", "10.2.0.4:22", "10.0.1.4:5000", "Deny defaultSecurityRules/DenyAllInBound");
	expect(&sem, "vm-island", "Inbound", "TCP", "10.2.0.4:22", "192.168.10.5:5000", "Deny defaultSecurityRules/DenyAllInBound");
	/* A user route for 0.0.0.0/0 makes VirtualNetwork cover the internet, as the docs warn. */
	expect(&ovr, "vm-c", "Outbound", "TCP", "10.5.0.4:5000", "1.1.1.1:443", "Allow defaultSecurityRules/AllowVnetOutBound");
}

static void test_internet_tag(void **s)
{
	(void)s;
	expect(&sem, "vm-def", "Outbound", "TCP", "10.0.4.4:5000", "8.8.8.8:443", "Allow defaultSecurityRules/AllowInternetOutBound");
	/* Private and special-use ranges are not Internet (nwsim's documented choice). */
	expect(&sem, "vm-def", "Outbound", "TCP", "10.0.4.4:5000", "100.64.1.1:443", "Deny defaultSecurityRules/DenyAllOutBound");
	expect(&sem, "vm-def", "Outbound", "TCP", "10.0.4.4:5000", "172.20.0.1:443", "Deny defaultSecurityRules/DenyAllOutBound");
	expect(&sem, "vm-def", "Outbound", "TCP", "10.0.4.4:5000", "224.0.0.5:443", "Deny defaultSecurityRules/DenyAllOutBound");
	/* A topology-supplied Internet replaces the built-in one. */
	expect(&ovr, "vm-a", "Outbound", "TCP", "10.0.0.4:5000", "8.8.8.8:443", "Allow defaultSecurityRules/AllowInternetOutBound");
	expect(&ovr, "vm-a", "Outbound", "TCP", "10.0.0.4:5000", "1.1.1.1:443", "Deny defaultSecurityRules/DenyAllOutBound");
	/* Internet as a rule source, with a port restriction and protocol '*'. */
	expect(&sem, "vm-feat", "Inbound", "TCP", "10.0.5.4:8443", "8.8.8.8:5000", "Allow securityRules/AllowAnyProto8443");
	expect(&sem, "vm-feat", "Inbound", "UDP", "10.0.5.4:8443", "8.8.8.8:5000", "Allow securityRules/AllowAnyProto8443");
}

static void test_custom_and_classic_tags(void **s)
{
	(void)s;
	expect(&sem, "vm-feat", "Inbound", "UDP", "10.0.5.4:445", "52.239.1.2:5000", "Allow securityRules/AllowStorage");
	expect(&sem, "vm-feat", "Inbound", "UDP", "10.0.5.4:445", "52.240.1.2:5000", "Deny defaultSecurityRules/DenyAllInBound");
	/* VIRTUAL_NETWORK is the classic spelling of VirtualNetwork. */
	expect(&sem, "vm-feat", "Inbound", "TCP", "10.0.5.4:7000", "10.1.0.4:5000", "Allow securityRules/AllowClassic");
}

static void test_platform_addresses(void **s)
{
	(void)s;
	/* Outbound to the host and to instance metadata is not subject to NSGs (docs/semantics.md). */
	expect(&sem, "vm-feat", "Outbound", "UDP", "10.0.5.4:5000", "168.63.129.16:53",
	       "Allow platformRules/AllowAzureHostOutBound");
	expect(&sem, "vm-feat", "Outbound", "TCP", "10.0.5.4:5000", "169.254.169.254:80",
	       "Allow platformRules/AllowInstanceMetadataOutBound");
	/* A neighbour of the host address is ordinary traffic. */
	expect(&sem, "vm-feat", "Outbound", "TCP", "10.0.5.4:5000", "168.63.129.17:80", "Deny securityRules/DenyInternetOut");
}

/* --- ASGs and augmented rules --------------------------------------------------------------- */

static void test_asgs(void **s)
{
	(void)s;
	expect(&sem, "vm-feat", "Inbound", "TCP", "10.0.5.4:1433", "10.0.5.5:5000", "Allow securityRules/AllowWebToDb");
	/* Not a member of asg-web: the rule does not apply. */
	expect(&sem, "vm-feat", "Inbound", "TCP", "10.0.5.4:1433", "10.0.1.4:5000", "Deny securityRules/DenyVnet");
	/* The destination IP configuration without asg-db is not matched either. */
	expect(&sem, "vm-feat", "Inbound", "TCP", "[fd00:0:0:5::4]:1433", "[fd00:0:0:5::9]:5000", "Deny securityRules/DenyVnet");
}

static void test_augmented_rules(void **s)
{
	(void)s;
	expect(&sem, "vm-feat", "Inbound", "TCP", "10.0.5.4:80", "198.51.100.77:5000", "Allow securityRules/AllowAugmented");
	expect(&sem, "vm-feat", "Inbound", "TCP", "10.0.5.4:1500", "192.0.2.10:5000", "Allow securityRules/AllowAugmented");
	expect(&sem, "vm-feat", "Inbound", "TCP", "10.0.5.4:2000", "192.0.2.10:5000", "Allow securityRules/AllowAugmented");
	expect(&sem, "vm-feat", "Inbound", "TCP", "10.0.5.4:2001", "192.0.2.10:5000", "Deny defaultSecurityRules/DenyAllInBound");
	expect(&sem, "vm-feat", "Inbound", "TCP", "10.0.5.4:80", "192.0.2.11:5000", "Deny defaultSecurityRules/DenyAllInBound");
	/* Source port ranges. */
	expect(&sem, "vm-feat", "Inbound", "UDP", "10.0.5.4:5000", "8.8.8.8:1024", "Allow securityRules/AllowFromHighPorts");
	expect(&sem, "vm-feat", "Inbound", "UDP", "10.0.5.4:5000", "8.8.8.8:1023", "Deny defaultSecurityRules/DenyAllInBound");
}

/* --- protocols ------------------------------------------------------------------------------------ */

static void test_protocols(void **s)
{
	(void)s;
	expect(&sem, "vm-feat", "Inbound", "ICMP", "10.0.5.4", "198.51.100.1", "Allow securityRules/AllowPing");
	expect(&sem, "vm-feat", "Inbound", "50", "10.0.5.4", "203.0.113.9", "Allow securityRules/AllowEsp");
	expect(&sem, "vm-feat", "Inbound", "51", "10.0.5.4", "203.0.113.9", "Allow securityRules/AllowAh");
	/* A Tcp rule never matches UDP. */
	expect(&sem, "vm-feat", "Inbound", "UDP", "10.0.5.4:22", "8.8.8.8:5000", "Deny defaultSecurityRules/DenyAllInBound");
	/* A rule that names ports does not match packets without ports, even with protocol '*'. */
	expect(&sem, "vm-feat", "Inbound", "ICMP", "10.0.5.4", "8.8.8.8", "Deny defaultSecurityRules/DenyAllInBound");
	/* Other IP protocols (GRE) meet only '*' rules. */
	expect(&sem, "vm-feat", "Inbound", "47", "10.0.5.4", "10.0.1.4", "Deny securityRules/DenyVnet");
}

/* --- IPv6 --------------------------------------------------------------------------------------- */

static void test_ipv6(void **s)
{
	(void)s;
	expect(&sem, "vm-def", "Outbound", "TCP", "[fd00:0:0:4::4]:5000", "[2001:4860:4860::8888]:443",
	       "Allow defaultSecurityRules/AllowInternetOutBound");
	expect(&sem, "vm-def", "Outbound", "TCP", "[fd00:0:0:4::4]:5000", "[fd00:0:0:1::9]:443",
	       "Allow defaultSecurityRules/AllowVnetOutBound");
	expect(&sem, "vm-def", "Outbound", "TCP", "[fd00:0:0:4::4]:5000", "[fd12::1]:443", "Deny defaultSecurityRules/DenyAllOutBound");
	expect(&sem, "vm-def", "Outbound", "TCP", "[fd00:0:0:4::4]:5000", "[fe80::1]:443", "Deny defaultSecurityRules/DenyAllOutBound");
	expect(&sem, "vm-def", "Outbound", "TCP", "[fd00:0:0:4::4]:5000", "[::1]:443", "Deny defaultSecurityRules/DenyAllOutBound");
	/* Multicast is not Internet in either family (it never leaves a virtual network). */
	expect(&sem, "vm-def", "Outbound", "UDP", "[fd00:0:0:4::4]:5353", "[ff02::fb]:5353", "Deny defaultSecurityRules/DenyAllOutBound");
	expect(&sem, "vm-def", "Outbound", "UDP", "[fd00:0:0:4::4]:5000", "[ff0e::1]:5000", "Deny defaultSecurityRules/DenyAllOutBound");
	expect(&sem, "vm-def", "Outbound", "UDP", "10.0.4.4:5353", "224.0.0.251:5353", "Deny defaultSecurityRules/DenyAllOutBound");
	expect(&sem, "vm-def", "Inbound", "TCP", "[fd00:0:0:4::4]:22", "[2001:db8::1]:5000", "Deny defaultSecurityRules/DenyAllInBound");
	expect(&sem, "vm-feat", "Inbound", "TCP", "[fd00:0:0:5::4]:22", "[2001:db8:1::5]:5000", "Deny securityRules/DenyV6Net");
	expect(&sem, "vm-feat", "Inbound", "TCP", "[fd00:0:0:5::4]:22", "[2001:db8:2::5]:5000", "Allow securityRules/AllowSsh");
	expect(&sem, "vm-feat", "Inbound", "UDP", "[fd00:0:0:5::4]:445", "[2603:1000::7]:5000", "Allow securityRules/AllowStorage");
	expect(&sem, "vm-feat", "Inbound", "ICMP", "[fd00:0:0:5::4]", "[2001:db8:2::5]", "Deny defaultSecurityRules/DenyAllInBound");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_allow_vnet_inbound),
		cmocka_unit_test(test_default_allow_alb_inbound),
		cmocka_unit_test(test_default_deny_all_inbound),
		cmocka_unit_test(test_default_allow_vnet_outbound),
		cmocka_unit_test(test_default_allow_internet_outbound),
		cmocka_unit_test(test_default_deny_all_outbound),
		cmocka_unit_test(test_first_match_by_priority_not_file_order),
		cmocka_unit_test(test_user_rule_beats_default),
		cmocka_unit_test(test_inbound_subnet_then_nic),
		cmocka_unit_test(test_outbound_nic_then_subnet),
		cmocka_unit_test(test_one_level_only),
		cmocka_unit_test(test_absent_nsg_allows),
		cmocka_unit_test(test_subnet_nsg_applies_within_subnet),
		cmocka_unit_test(test_virtualnetwork_tag),
		cmocka_unit_test(test_internet_tag),
		cmocka_unit_test(test_custom_and_classic_tags),
		cmocka_unit_test(test_platform_addresses),
		cmocka_unit_test(test_asgs),
		cmocka_unit_test(test_augmented_rules),
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_ipv6),
	};

	if (argc > 1)
		datadir = argv[1];
	return cmocka_run_group_tests(tests, setup, teardown);
}
