/*
 * Connection troubleshoot: probes through the dataplane's workers, and the response built from
 * what they answered (hops, issues, counters, latencies).
 */
#ifndef CONNECT_H
#define CONNECT_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "feed.h"

#define CONN_MAX_HOPS 32
#define CONN_MAX_NEXT 8
#define CONN_MAX_ISSUES 8
#define CONN_MAX_DST 8
#define CONN_MAX_PROBES 100
#define CONN_HIGH_PERCENT 90.0 /* CPU or memory at or above this: a Warning (nwsim's threshold) */

#define CONN_MAX_CODES 16

/* An Http or Https check: what is asked, and which answers count as reachable. */
struct conn_http {
	bool on;
	const char *path; /* --path, else the URI's, else / (the method is Get, the only one Azure sends) */
	int valid[CONN_MAX_CODES]; /* status codes; none given: 200..299 */
	unsigned nvalid;
};

struct conn_query {
	int src_vm;
	uint16_t src_port; /* 0: an ephemeral port per probe */
	int proto;         /* AZ_PROTO_TCP or AZ_PROTO_ICMP (Http and Https probe over TCP) */
	uint16_t dst_port;
	struct conn_http http;
	bool dst_is_vm; /* the destination was given as a VM (its hop is VirtualMachine) */
	uint8_t want_fam; /* --preferred-ip-version: NWS_AF4 or NWS_AF6; 0 the source's primary address's */
	int src_cfg;      /* the source NIC's IP configuration the probes leave from (conn_target) */
	const char *dst_name;           /* as given (for DnsResolution) */
	struct nws_ip dst[CONN_MAX_DST]; /* the addresses probed, in turn; none: the name did not resolve */
	unsigned ndst;
	unsigned probes;
	uint64_t seed;
	uint64_t t0_ns; /* the probes' clock */
};

struct conn_issue_rec {
	const char *origin, *severity, *type;
	/* The context: up to two pairs (none when key is empty); a value holds up to a rule's ARM id. */
	char key[32], value[512], key2[32], value2[64];
};

/* An issue's value for a drawing's label: a rule's name where the value is its full ARM id. */
const char *conn_issue_label(const struct conn_issue_rec *x);

/* A link from one hop to the next, as Azure lists them (peerings are links, not hops). */
struct conn_link {
	int next; /* the hop it leads to */
	const char *type;  /* VirtualNetwork, VirtualNetworkPeering, VirtualNetworkGateway, Internet */
	char resource[512]; /* "": none */
	double rtt_min, rtt_max, rtt_sum; /* its round trip, over the probes that came back across it */
	unsigned rtt_n;
};

struct conn_hop {
	char type[24], resource[512], id[37]; /* resource "": none (an Internet hop) */
	struct nws_ip ip;
	bool has_ip;
	int nic;     /* the NIC this hop is, or -1 */
	int gw_vnet; /* the network whose gateway (or whose on-premises side) this hop is, or -1 */
	struct conn_link links[CONN_MAX_NEXT];
	int nlinks;
	int prev[CONN_MAX_NEXT], prev_link[CONN_MAX_NEXT], nprev; /* the hops (and their link) that lead here */
	struct conn_issue_rec issues[CONN_MAX_ISSUES];
	int nissues;
	bool no_facts; /* an end the probes reached of which the topology says nothing (no host answers) */
	bool vm_stopped; /* the destination VM is stopped: Unreachable, no issue (the table says why) */
	unsigned reached, dropped; /* probes (and replies) that got here, and that were dropped here */
	double rtt_sum;            /* round trip to this hop over the probes that made it back */
	unsigned rtt_n;
};

struct conn_result {
	struct conn_hop hops[CONN_MAX_HOPS];
	int nhops;
	unsigned probes_sent, probes_failed, reachable;
	double min_ms, avg_ms, max_ms, proc_ms;
};

/*
 * The destination: VM vm's primary address, or host (an address, or a name the topology's dns
 * resolves: no address then, which the check reports as DnsResolution). q->src_vm must be set.
 */
int conn_target(const struct topo *t, const char *vm, const char *host, struct conn_query *q, struct nws_err *err);
/* The feeder a check's probes go through: nworkers workers (0: inline), the full engine. */
int conn_feed_init(struct feeder *fd, const struct app *app, unsigned nworkers, struct nws_err *err);
/* Run the check on the workers of fd (launched). */
int conn_run(const struct app *app, struct feeder *fd, const struct conn_query *q, struct conn_result *cr,
	     struct nws_err *err);
/* An issue on hop h (once), with no context when key is NULL. */
void conn_issue(struct conn_hop *h, const char *origin, const char *severity, const char *type, const char *key,
		const char *value);
bool conn_guest_allows(const struct topo_vm *vm, enum az_dir dir, int proto, uint16_t local_port,
		       const struct nws_ip *remote, const char **rule);
/*
 * A probe's Ethernet frame: TCP with flags, UDP, ICMP echo or echo reply, or another protocol
 * with an opaque payload. Returns its length.
 */
size_t conn_frame(uint8_t *buf, const struct nws_flow *f, uint8_t tcp_flags, bool echo_reply, uint16_t seq);
/* What to change, for an issue type (the table's hints). */
const char *conn_hint(const char *type);

#endif
