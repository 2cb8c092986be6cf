/*
 * The reference path walk on a hub-and-spoke network: every way a packet can be delivered or
 * dropped, each with the hop that decided and, for NSG drops, the rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "path.h"
#include "tutil.h"

static const char *datadir = "tests/data";

struct net {
	struct topo *t;
	struct nsg_model m;
	struct route_model rm;
	struct path_env e;
};

static void open_net(struct net *n, const char *file)
{
	char path[512];
	struct nws_err err;

	snprintf(path, sizeof(path), "%s/%s", datadir, file);
	n->t = topo_load(path, &err);
	if (!n->t)
		fail_msg("%s", err.msg);
	if (nsg_model_build(&n->m, n->t, &err) < 0 || route_model_build(&n->rm, n->t, &err) < 0)
		fail_msg("%s", err.msg);
	n->e = (struct path_env){ .t = n->t, .nsg = &n->m, .rm = &n->rm };
}

static void close_net(struct net *n)
{
	route_model_free(&n->rm);
	nsg_model_free(&n->m);
	topo_free(n->t);
}

static const char *hop_name(const struct topo *t, const struct path_hop *h, char *buf)
{
	switch (h->kind) {
	case PATH_HOP_GATEWAY:
		return "gateway";
	case PATH_HOP_INTERNET:
		return "internet";
	default:
		snprintf(buf, 64, "%s", t->vms[t->nics[h->nic].vm].name);
		return buf;
	}
}

/*
 * "web1>fw1>db1 delivered" or "web1>fw1>db1 nsg-inbound@db1 securityRules/DenyVnetInbound".
 */
static void describe(const struct net *n, const struct path_result *r, char *out, size_t len)
{
	char b[64];
	size_t o = 0;

	for (int i = 0; i < r->nhops; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? ">" : "", hop_name(n->t, &r->hops[i], b));
	if (r->delivered) {
		snprintf(out + o, len - o, " delivered");
		return;
	}
	const struct path_hop *h = &r->hops[r->drop_hop];
	const struct nsg_verdict *v = r->reason == PATH_DROP_NSG_INBOUND ? &h->nsg_in : &h->nsg_out;

	o += (size_t)snprintf(out + o, len - o, " %s@%s", path_drop_name[r->reason], hop_name(n->t, h, b));
	if ((r->reason == PATH_DROP_NSG_INBOUND || r->reason == PATH_DROP_NSG_OUTBOUND) && v->rule)
		snprintf(out + o, len - o, " %s%s", v->rule->is_default ? AZ_DEFAULT_RULE_PREFIX : AZ_USER_RULE_PREFIX,
			 v->rule->name);
}

static void walk(const char *file, const char *proto, const char *src, uint16_t sport, const char *dst,
		 uint16_t dport, bool skip, const char *want)
{
	struct net n;
	struct nws_flow f = { 0 };
	struct path_result r;
	char got[512];

	open_net(&n, file);
	f.proto = !strcmp(proto, "TCP") ? AZ_PROTO_TCP : !strcmp(proto, "UDP") ? AZ_PROTO_UDP : AZ_PROTO_ICMP;
	f.has_ports = f.proto != AZ_PROTO_ICMP;
	nws_ip_parse(src, &f.src);
	nws_ip_parse(dst, &f.dst);
	f.sport = sport;
	f.dport = dport;
	path_walk(&n.e, &f, skip, &r);
	describe(&n, &r, got, sizeof(got));
	close_net(&n);
	if (strcmp(got, want))
		fail_msg("%s %s:%u -> %s:%u: got '%s', want '%s'", proto, src, sport, dst, dport, got, want);
}

static void test_spoke_to_spoke_through_appliance(void **s)
{
	(void)s;
	walk("paths.json", "TCP", "10.1.1.4", 50000, "10.2.1.4", 1433, false, "web1>fw1>db1 delivered");
	walk("paths.json", "TCP", "10.1.1.4", 50000, "10.2.1.4", 22, false,
	     "web1>fw1>db1 nsg-inbound@db1 securityRules/DenyVnetInbound");
}

static void test_stateful_return_skips_nsgs(void **s)
{
	(void)s;
	walk("paths.json", "TCP", "10.1.1.4", 50000, "10.2.1.4", 22, true, "web1>fw1>db1 delivered");
}

static void test_source_nsg(void **s)
{
	(void)s;
	walk("paths.json", "TCP", "10.1.1.4", 50000, "192.168.5.5", 25, false, "web1 nsg-outbound@web1 securityRules/DenySmtpOut");
}

static void test_routes_end_the_path(void **s)
{
	(void)s;
	walk("paths.json", "TCP", "10.1.1.4", 50000, "10.1.99.7", 80, false, "web1 route-none@web1");
	walk("paths.json", "TCP", "10.1.1.4", 50000, "192.168.5.5", 80, false, "web1>gateway delivered");
	walk("paths.json", "TCP", "10.2.1.4", 50000, "192.168.5.5", 80, false, "db1>fw1>gateway delivered");
	walk("paths.json", "TCP", "10.1.1.4", 50000, "8.8.8.8", 443, false, "web1>fw1>internet delivered");
	/* 172.20.1.1 is neither VirtualNetwork nor Internet: the source's NSG stops it first... */
	walk("paths.json", "UDP", "10.0.2.4", 53, "172.20.1.1", 53, false,
	     "dns1 nsg-outbound@dns1 defaultSecurityRules/DenyAllOutBound");
	/* ...while the firewall, without NSGs, meets the None route for 10.0.0.0/8. */
	walk("paths.json", "UDP", "10.0.1.4", 53, "10.5.0.1", 53, false, "fw1 route-none@fw1");
	walk("paths.json", "TCP", "10.1.1.4", 50000, "10.1.1.99", 80, false, "web1 unknown-destination@web1");
	walk("paths.json", "TCP", "10.1.1.4", 50000, "203.0.113.5", 80, false, "web1 appliance-missing@web1");
	walk("paths-loop.json", "TCP", "10.1.1.4", 50000, "10.2.1.4", 1433, false,
	     "web1>fw1>fw1>fw1>fw1>fw1>fw1>fw1 routing-loop@fw1");
}

static void test_appliance_must_forward(void **s)
{
	(void)s;
	walk("paths-noipforwarding.json", "TCP", "10.1.1.4", 50000, "10.2.1.4", 1433, false,
	     "web1>fw1 appliance-not-forwarding@fw1");
	walk("paths-guest-noforward.json", "TCP", "10.1.1.4", 50000, "10.2.1.4", 1433, false,
	     "web1>fw1 appliance-not-forwarding@fw1");
}

static void test_forwarded_traffic_into_peering(void **s)
{
	(void)s;
	walk("paths-noforwarded.json", "TCP", "10.1.1.4", 50000, "10.2.1.4", 1433, false,
	     "web1>fw1 peering-forwarded-traffic-blocked@fw1");
	/* Direct peering traffic (not forwarded) is unaffected: 10.0.0.0/16 beats the 0/0 user route. */
	walk("paths-noforwarded.json", "UDP", "10.2.1.4", 5000, "10.0.2.4", 53, false, "db1>dns1 delivered");
}

static void test_stopped_vm(void **s)
{
	(void)s;
	walk("paths-stopped.json", "TCP", "10.1.1.4", 50000, "10.2.1.4", 1433, false, "web1>fw1>db1 vm-stopped@db1");
	walk("paths-stopped.json", "TCP", "10.2.1.4", 50000, "10.1.1.4", 443, false, "db1 vm-stopped@db1");
}

/* Multicast and broadcast never leave a virtual network: dropped at the source, whatever the routes. */
static void test_multicast_and_broadcast(void **s)
{
	(void)s;
	/* fw1 has no NSG: the drop is the platform's, not a rule's; web1's NSG is skipped (stateful). */
	walk("paths.json", "UDP", "10.0.1.4", 5353, "224.0.0.251", 5353, false, "fw1 multicast-or-broadcast@fw1");
	walk("paths.json", "UDP", "10.0.1.4", 68, "255.255.255.255", 67, false, "fw1 multicast-or-broadcast@fw1");
	walk("paths.json", "UDP", "10.1.1.4", 1900, "239.255.255.250", 1900, true, "web1 multicast-or-broadcast@web1");
	walk("semantics.json", "UDP", "fd00:0:0:4::4", 5353, "ff02::fb", 5353, true, "vm-def multicast-or-broadcast@vm-def");
	/* An NSG that denies it still speaks first. */
	walk("semantics.json", "UDP", "fd00:0:0:4::4", 5353, "ff02::fb", 5353, false,
	     "vm-def nsg-outbound@vm-def defaultSecurityRules/DenyAllOutBound");
}

static void test_from_outside(void **s)
{
	(void)s;
	walk("paths.json", "TCP", "8.8.8.8", 50000, "10.1.1.4", 443, false, "internet>web1 delivered");
	/*
	 * spoke1's route table has a 0.0.0.0/0 user route, so its VirtualNetwork tag covers the whole
	 * internet and AllowVnetInBound admits SSH from anywhere: the gotcha Azure's docs warn about.
	 * spoke2 has the same route; db1's own DenyVnetInbound catches it there.
	 */
	walk("paths.json", "TCP", "8.8.8.8", 50000, "10.1.1.4", 22, false, "internet>web1 delivered");
	walk("paths.json", "TCP", "8.8.8.8", 50000, "10.2.1.4", 22, false,
	     "internet>db1 nsg-inbound@db1 securityRules/DenyVnetInbound");
	walk("paths.json", "TCP", "8.8.8.8", 50000, "10.0.2.4", 22, false,
	     "internet>dns1 nsg-inbound@dns1 defaultSecurityRules/DenyAllInBound");
	walk("paths.json", "TCP", "192.168.7.7", 50000, "10.1.1.4", 22, false, "gateway>web1 delivered");
	walk("paths.json", "TCP", "192.168.7.7", 50000, "10.2.1.4", 1433, false,
	     "gateway>db1 nsg-inbound@db1 securityRules/DenyVnetInbound");
	walk("paths.json", "TCP", "1.1.1.1", 1, "2.2.2.2", 2, false, "internet outside-topology@internet");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spoke_to_spoke_through_appliance),
		cmocka_unit_test(test_stateful_return_skips_nsgs),
		cmocka_unit_test(test_source_nsg),
		cmocka_unit_test(test_routes_end_the_path),
		cmocka_unit_test(test_appliance_must_forward),
		cmocka_unit_test(test_forwarded_traffic_into_peering),
		cmocka_unit_test(test_stopped_vm),
		cmocka_unit_test(test_multicast_and_broadcast),
		cmocka_unit_test(test_from_outside),
	};

	if (argc > 1)
		datadir = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
