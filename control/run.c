/*
 * nwsim run: the testbed mode. Packets received on the ports are judged by the workers; what the
 * simulated network delivers leaves on the egress port, the rest is dropped and counted. Runs
 * until SIGINT/SIGTERM (or --duration, or --idle-exit), then prints the summary, cross-checked
 * against the ports' own counters. Live counters: /nwsim/counters on DPDK's telemetry socket.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_telemetry.h>

#include "app.h"
#include "batch.h"
#include "cmds.h"
#include "ctlsock.h"
#include "dp_verify.h"
#include "names.h"
#include "query.h"
#include "dp_eal.h"
#include "dp_port.h"
#include "dp_rxq.h"
#include "feed.h"
#include "summary.h"

static const char usage_text[] =
	"usage: nwsim run -t TOPOLOGY [--egress PORT] [--workers N] [--duration S] [--idle-exit S]\n"
	"                 [--flows N] [--report FILE] [--control SOCKET] [-o table|json] [-v] [--progress|-q] -- EAL-OPTIONS\n"
	"\n"
	"Testbed mode: packets received on every port DPDK finds (real NICs, or vdevs such as\n"
	"net_pcap, net_tap, net_af_packet, net_ring given after '--') go through the simulated\n"
	"network; delivered packets leave on the egress port (default: the other port of a pair,\n"
	"port 0<->1, 2<->3, ...; with one port, that port), dropped ones are freed and counted. Stops on\n"
	"SIGINT or SIGTERM, after --duration seconds, or after --idle-exit seconds without a packet,\n"
	"then prints the summary and the ports' own counters. While it runs, /nwsim/counters on the\n"
	"telemetry socket (dpdk-telemetry.py) gives the live counters. Where every port spreads flows\n"
	"over queues symmetrically (RSS on the IP addresses, or net_af_packet with qpairs=N), each\n"
	"worker polls its own queues (-v says so); otherwise the main lcore receives for all.\n"
	"SIGHUP reloads the topology file while packets flow: each packet is judged by one policy\n"
	"version; a file that does not load is refused and the running version stays. --control SOCKET\n"
	"opens a Unix socket (mode 0600) taking one JSON request a line: {\"command\": \"counters\"},\n"
	"{\"command\": \"reload\"}, {\"command\": \"test-ip-flow\", \"query\": \"--vm VM --direction ...\"}.\n";

#define RX_BURST 32

static volatile sig_atomic_t stopping, reload_wanted;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_wanted = 1;
	else
		stopping = 1;
}

/*
 * Hot reload on SIGHUP: a control thread reads and compiles the topology file again while the
 * workers (and the main lcore's receiving) go on; a bad file is refused with its error and the
 * running version stays. The main lcore swaps a compiled version in between two of its polls
 * (dp_policy_swap: RCU) and hands the old one back to the control thread to free. Each version's
 * packets are tallied.
 */
struct version_tally {
	uint32_t version;
	struct dp_policy_tally t;
};

enum { RL_IDLE, RL_READY, RL_SWAPPED }; /* READY: next_* built; SWAPPED: old_* to free */

struct reloader {
	const struct cli_common *c;
	struct feeder *fd;
	unsigned nw;                /* engines that follow the policy */
	struct dp_policy pol;
	struct app *first, *cur;    /* the version running now; first is cmd_run's own */
	struct dp_policy_ver *ver;
	struct app *next_app, *old_app;
	struct dp_policy_ver *next_ver, *old_ver;
	int state;                  /* RL_*: the control thread and the main lcore hand over by it */
	uint32_t done, refused;
	struct version_tally *tallies;
	size_t ntallies;
	pthread_t th;
	bool th_up;
	volatile bool quit;
	struct ctl_server ctl; /* --control: the socket (fd -1 when none) */
};

static struct reloader rl;

static void tally_add(struct dp_policy_tally *a, const struct dp_policy_tally *b)
{
	a->received += b->received;
	a->delivered += b->delivered;
	a->dropped += b->dropped;
	a->unparsed += b->unparsed;
}

/* The workers' totals while they run: what telemetry and the control socket report. */
static void live_totals(const struct feeder *fd, struct dp_policy_tally *t)
{
	struct dp_policy_tally one;

	*t = (struct dp_policy_tally){ 0 };
	for (unsigned i = 0; fd && i < fd->nw; i++) {
		dp_engine_totals(&fd->w[i].eng, &one);
		tally_add(t, &one);
	}
}

static int tally_keep(struct reloader *r, uint32_t version, const struct dp_policy_tally *t)
{
	struct version_tally *g = realloc(r->tallies, (r->ntallies + 1) * sizeof(*g));

	if (!g)
		return -1;
	r->tallies = g;
	g[r->ntallies++] = (struct version_tally){ .version = version, .t = *t };
	return 0;
}

static void app_drop(struct reloader *r, struct app *a)
{
	app_free_tables(a);
	if (a != r->first)
		free(a);
}

/* Control thread: load and compile the topology file as the next version; -1 and err when refused. */
static int reload_build(struct reloader *r, struct nws_err *err)
{
	struct app *na = calloc(1, sizeof(*na));
	struct dp_policy_ver *nv = NULL;

	if (!na) {
		nws_err_set(err, "out of memory");
		goto refuse;
	}
	if (app_open(na, r->c, err) != CLI_OK || app_build(na, r->c, APP_PATH, err) != CLI_OK)
		goto refuse;
	nv = dp_policy_ver_new(&na->path, r->ver->version + 1, r->nw);
	if (!nv) {
		nws_err_set(err, "out of memory for the new version's counters");
		goto refuse;
	}
	r->next_app = na;
	r->next_ver = nv;
	__atomic_store_n(&r->state, RL_READY, __ATOMIC_RELEASE);
	return 0;
refuse:
	r->refused++;
	fprintf(stderr, "nwsim: reload refused: %s; policy version %u keeps running\n", err->msg, r->ver->version);
	if (na)
		app_drop(r, na);
	return -1;
}

/* Control thread: free the version the main lcore swapped out, if it did. */
static void reload_collect(struct reloader *r)
{
	if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != RL_SWAPPED)
		return;
	app_drop(r, r->old_app);
	dp_policy_ver_free(r->old_ver);
	r->old_app = NULL;
	r->old_ver = NULL;
	__atomic_store_n(&r->state, RL_IDLE, __ATOMIC_RELEASE);
}

/* Control thread, for the socket's reload: build, wait for the swap, and say which version runs. */
static int reload_now(struct reloader *r, struct nws_err *err)
{
	reload_collect(r);
	if (reload_build(r, err) < 0)
		return -1;
	while (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) == RL_READY && !stopping)
		rte_delay_us_sleep(200);
	if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) == RL_READY)
		return nws_err_set(err, "nwsim run is stopping");
	reload_collect(r);
	return 0;
}

static void reply_error(char *out, size_t cap, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	char *txt;

	cJSON_AddStringToObject(o, "error", msg);
	txt = cJSON_PrintUnformatted(o);
	snprintf(out, cap, "%s", txt ? txt : "{\"error\": \"out of memory\"}");
	cJSON_free(txt);
	cJSON_Delete(o);
}

static void reply(char *out, size_t cap, cJSON *o)
{
	char *txt = cJSON_PrintUnformatted(o);

	if (txt)
		snprintf(out, cap, "%s", txt);
	else
		reply_error(out, cap, "out of memory");
	cJSON_free(txt);
	cJSON_Delete(o);
}

/* One IP flow verify on the running version: the query is test-ip-flow's options, as a batch line. */
static void sock_ipflow(struct reloader *r, const char *query, char *out, size_t cap)
{
	struct nws_err err = { { 0 } };
	struct batch b;
	struct nsg_query q;
	struct nsg_verdict v;
	char name[512];

	if (!*query || batch_open_mem(&b, "query", query, strlen(query), &err) < 0) {
		reply_error(out, cap, *query ? err.msg : "query: empty");
		return;
	}
	const struct app *cur = __atomic_load_n(&r->cur, __ATOMIC_ACQUIRE);
	const struct dp_policy_ver *ver = __atomic_load_n(&r->ver, __ATOMIC_ACQUIRE);
	bool bad;
	ssize_t n = ipf_batch_read(&b, cur->t, &q, 1, &bad, &err);

	batch_close(&b);
	if (bad)
		nws_err_prefix(&err, "query: ");
	if (n != 1) {
		reply_error(out, cap, n < 0 || bad ? err.msg : "query: empty");
		return;
	}
	if (ipf_verify(&cur->acl, &cur->m, &q, &v, 1) < 0) {
		reply_error(out, cap, "query: out of memory");
		return;
	}
	cJSON *o = cJSON_CreateObject();
	const char *rule = names_verdict_rule(&v, name, sizeof(name));
	char id[1024];

	cJSON_AddStringToObject(o, "access", v.access == AZ_ALLOW ? "Allow" : "Deny");
	if (rule)
		cJSON_AddStringToObject(o, "ruleName", rule);
	else
		cJSON_AddNullToObject(o, "ruleName");
	cJSON_AddStringToObject(o, "ruleId", names_rule_id(&cur->m, &v, id, sizeof(id)));
	cJSON_AddNumberToObject(o, "policyVersion", ver->version);
	reply(out, cap, o);
}

/* One request: {"command": "counters" | "reload" | "test-ip-flow", ...}; req may be NULL (not JSON). */
static void sock_one(struct reloader *r, cJSON *req, char *out, size_t cap)
{
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(req, "command");
	struct nws_err err = { { 0 } };

	if (!cJSON_IsObject(req)) {
		reply_error(out, cap, "not a JSON object: one request a line, such as {\"command\": \"counters\"}");
	} else if (!cJSON_IsString(cmd)) {
		reply_error(out, cap, "command: missing, or not a string (counters, reload or test-ip-flow)");
	} else if (!strcmp(cmd->valuestring, "counters")) {
		struct dp_policy_tally t;

		live_totals(r->fd, &t);
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "received", (double)t.received);
		cJSON_AddNumberToObject(o, "delivered", (double)t.delivered);
		cJSON_AddNumberToObject(o, "dropped", (double)t.dropped);
		cJSON_AddNumberToObject(o, "unparsed", (double)t.unparsed);
		cJSON_AddNumberToObject(o, "policyVersion", __atomic_load_n(&r->ver, __ATOMIC_ACQUIRE)->version);
		cJSON_AddNumberToObject(o, "reloads", r->done);
		cJSON_AddNumberToObject(o, "reloadsRefused", r->refused);
		reply(out, cap, o);
	} else if (!strcmp(cmd->valuestring, "reload")) {
		if (reload_now(r, &err) < 0) {
			reply_error(out, cap, err.msg);
		} else {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddNumberToObject(o, "policyVersion", __atomic_load_n(&r->ver, __ATOMIC_ACQUIRE)->version);
			reply(out, cap, o);
		}
	} else if (!strcmp(cmd->valuestring, "test-ip-flow")) {
		const cJSON *q = cJSON_GetObjectItemCaseSensitive(req, "query");

		if (!cJSON_IsString(q))
			reply_error(out, cap, "query: missing, or not a string (test-ip-flow's options, as in a --batch line)");
		else
			sock_ipflow(r, q->valuestring, out, cap);
	} else {
		char msg[256];

		snprintf(msg, sizeof(msg), "command: '%.64s' is not counters, reload or test-ip-flow", cmd->valuestring);
		reply_error(out, cap, msg);
	}
}

/*
 * The control socket's requests: one a line, each answered on a line of its own. A line that
 * holds several (a client that left out the newlines) gets an answer for each, in order.
 */
static void sock_request(void *ctx, const char *line, char *out, size_t cap)
{
	const char *p = line;
	size_t used = 0;

	do {
		const char *end = NULL;
		cJSON *req = cJSON_ParseWithOpts(p, &end, false);

		if (used && used + 1 < cap)
			out[used++] = '\n';
		out[used] = 0;
		sock_one(ctx, req, out + used, cap - used);
		used += strlen(out + used);
		cJSON_Delete(req);
		if (!req)
			break; /* not JSON from here on: one error answers the rest of the line */
		p = end + strspn(end, " \t\r");
	} while (*p);
}

static void *reload_thread(void *arg)
{
	struct reloader *r = arg;

	/* DPDK's allocations (tables, rte_acl contexts) from this thread: it becomes a non-EAL lcore. */
	rte_thread_register();
	while (!r->quit) {
		reload_collect(r);
		if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) == RL_IDLE && reload_wanted) {
			struct nws_err err = { { 0 } };

			reload_wanted = 0;
			reload_build(r, &err);
		}
		ctl_poll(&r->ctl, 2, sock_request, r);
	}
	rte_thread_unregister();
	return NULL;
}

/* Main lcore, between polls: put a compiled version in, and hand the old one back. */
static void reload_check(void)
{
	struct reloader *r = &rl;

	if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != RL_READY)
		return;
	struct dp_policy_ver *old, *nv = r->next_ver;

	if (r->fd->inline_engine) {
		/* No worker lcores: the engine runs on this thread, so it moves over now. */
		old = r->ver;
		r->pol.cur = nv;
		dp_engine_adopt(&r->fd->w[0].eng, nv);
	} else {
		old = dp_policy_swap(&r->pol, nv);
	}
	struct dp_policy_tally t = { 0 };

	for (unsigned w = 0; w < r->nw; w++)
		tally_add(&t, &old->tally[w]);
	if (tally_keep(r, old->version, &t) < 0)
		fprintf(stderr, "nwsim: reload: out of memory for version %u's tally\n", old->version);
	r->old_app = r->cur;
	r->old_ver = old;
	/* The control thread reads these while answering the socket; it frees old ones itself. */
	__atomic_store_n(&r->cur, r->next_app, __ATOMIC_RELEASE);
	__atomic_store_n(&r->ver, nv, __ATOMIC_RELEASE);
	r->next_app = NULL;
	r->next_ver = NULL;
	r->done++;
	if (r->c->verbose)
		fprintf(stderr, "nwsim: reload: policy version %u runs\n", nv->version);
	__atomic_store_n(&r->state, RL_SWAPPED, __ATOMIC_RELEASE);
}

/* After the workers stopped: the control thread ends, and what it held goes. */
static void reload_end(struct reloader *r)
{
	if (r->th_up) {
		r->quit = true;
		pthread_join(r->th, NULL);
		r->th_up = false;
	}
	if (r->next_app) /* built, never swapped in */
		app_drop(r, r->next_app);
	dp_policy_ver_free(r->next_ver);
	if (r->old_app)
		app_drop(r, r->old_app);
	dp_policy_ver_free(r->old_ver);
	r->next_app = r->old_app = NULL;
	r->next_ver = r->old_ver = NULL;
	ctl_close(&r->ctl);
}

/* Per port: where its delivered packets go, and what left or could not. */
struct run_state {
	struct feeder *fd;
	struct dp_ports *ports;
	uint16_t egress[DP_PORT_MAX];  /* index into ports */
	struct rte_mbuf *tx[DP_PORT_MAX][RX_BURST];
	unsigned ntx[DP_PORT_MAX];
	uint64_t rx[DP_PORT_MAX], sent[DP_PORT_MAX], tx_failed;
};

static void tx_flush(struct run_state *rs, unsigned p)
{
	unsigned n = rs->ntx[p], k = rte_eth_tx_burst(rs->ports->id[p], 0, rs->tx[p], (uint16_t)n);

	rs->sent[p] += k;
	/* A port that cannot take them: freed, and counted apart from the verdicts. */
	for (unsigned i = k; i < n; i++)
		rte_pktmbuf_free(rs->tx[p][i]);
	rs->tx_failed += n - k;
	rs->ntx[p] = 0;
}

/* A worker's answer: delivered packets are queued for their egress port, others freed. */
static void answered(void *ctx, struct dp_slot *s)
{
	struct run_state *rs = ctx;

	if (!s->m)
		return;
	if (s->item.unparsed < 0 && s->out.v.delivered) {
		unsigned p = rs->egress[s->file];

		rs->tx[p][rs->ntx[p]++] = s->m;
		if (rs->ntx[p] == RX_BURST)
			tx_flush(rs, p);
	} else {
		rte_pktmbuf_free(s->m);
	}
	s->m = NULL;
}

/* The live counters, for telemetry. Read while workers write them: each value is one word. */
static struct feeder *tel_fd;

/* The main lcore polls every port and spreads the packets over the workers by the flow hash. */
static void run_main(struct feeder *fd, struct dp_ports *ports, struct run_state *rs, double dur, double idle_s)
{
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_get_tsc_cycles(), last = t0;
	struct rte_mbuf *mb[RX_BURST];

	while (!stopping) {
		uint64_t now = rte_get_tsc_cycles(), c = now - t0;
		uint64_t ts = c / hz * 1000000000ull + c % hz * 1000000000ull / hz;
		unsigned got = 0;

		for (unsigned p = 0; p < ports->n; p++)
			for (uint16_t q = 0; q < ports->nrxq[p]; q++) {
				unsigned n = rte_eth_rx_burst(ports->id[p], q, mb, RX_BURST);

				got += n;
				rs->rx[p] += n;
				for (unsigned i = 0; i < n; i++) {
					struct dp_slot *s = feed_get_slot(fd);

					s->m = mb[i];
					s->file = p;
					s->no = rs->rx[p] - n + i + 1;
					dp_port_item(&s->item, mb[i], ts);
					feed_submit(fd, s);
				}
			}
		feed_kick(fd);
		feed_drain(fd);
		reload_check();
		for (unsigned p = 0; p < ports->n; p++)
			if (rs->ntx[p])
				tx_flush(rs, p);
		if (got)
			last = now;
		if (dur > 0 && (double)(now - t0) / (double)hz >= dur)
			break;
		if (idle_s > 0 && (double)(now - last) / (double)hz >= idle_s)
			break;
	}
	feed_finish(fd);
	for (unsigned p = 0; p < ports->n; p++)
		if (rs->ntx[p])
			tx_flush(rs, p);
}

/* The workers poll their own queues (symmetric RSS or fanout); the main lcore only watches. */
static int run_queues(struct feeder *fd, struct dp_ports *ports, struct run_state *rs, double dur, double idle_s,
		      bool verbose, struct nws_err *err)
{
	static struct dp_rxq rq[MAX_WORKERS];
	unsigned nw = ports->ntxq < fd->nw ? ports->ntxq : fd->nw, i = 0, lc;
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_get_tsc_cycles(), last = t0, seen = 0;
	int rc = 0;

	if (verbose)
		fprintf(stderr, "nwsim: %u workers poll %u receive queues per port (symmetric spread by the ports)\n", nw,
			ports->nrxq[0]);
	RTE_LCORE_FOREACH_WORKER(lc) {
		if (i == nw)
			break;
		dp_rxq_init(&rq[i], &fd->w[i].eng, ports, rs->egress, i, nw, t0);
		if ((rc = dp_rxq_launch(&rq[i], lc, err)) < 0)
			break;
		i++;
	}
	while (!stopping && rc == 0) {
		uint64_t now = rte_get_tsc_cycles(), rx = 0;

		rte_delay_us_sleep(2000);
		reload_check();
		for (unsigned w = 0; w < i; w++)
			for (unsigned p = 0; p < ports->n; p++)
				rx += rq[w].rx[p];
		if (rx != seen) {
			seen = rx;
			last = now;
		}
		if (dur > 0 && (double)(now - t0) / (double)hz >= dur)
			break;
		if (idle_s > 0 && (double)(now - last) / (double)hz >= idle_s)
			break;
	}
	for (unsigned w = 0; w < i; w++) {
		dp_rxq_stop(&rq[w]);
		for (unsigned p = 0; p < ports->n; p++) {
			rs->rx[p] += rq[w].rx[p];
			rs->sent[p] += rq[w].sent[p];
		}
		rs->tx_failed += rq[w].tx_failed;
		if (verbose) {
			uint64_t n = 0;

			for (unsigned p = 0; p < ports->n; p++)
				n += rq[w].rx[p];
			fprintf(stderr, "nwsim: worker %u received %" PRIu64 " packets\n", w, n);
		}
	}
	return rc;
}

static int tel_counters(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	struct dp_policy_tally t;

	live_totals(tel_fd, &t);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "received", t.received);
	rte_tel_data_add_dict_u64(d, "delivered", t.delivered);
	rte_tel_data_add_dict_u64(d, "dropped", t.dropped);
	rte_tel_data_add_dict_u64(d, "unparsed", t.unparsed);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct cli_common c = { 0 };
	const char *egress = NULL, *workers = NULL, *duration = NULL, *idle = NULL, *flows = NULL, *report = NULL,
		   *control = NULL;
	const struct cli_opt opts[] = {
		{ "--egress", 0, &egress, NULL, NULL }, { "--workers", 0, &workers, NULL, NULL }, { "--duration", 0, &duration, NULL, NULL },
		{ "--idle-exit", 0, &idle, NULL, NULL }, { "--flows", 0, &flows, NULL, NULL }, { "--report", 0, &report, NULL, NULL },
		{ "--control", 0, &control, NULL, NULL },
		{ NULL, 0, NULL, NULL, NULL },
	};
	struct nws_err err = { { 0 } };
	struct app app = { 0 };
	bool have_ports = false;
	struct dp_ports ports = { 0 };
	static struct feeder fd;
	static struct run_state rs;
	int ncpu = cli_ncpus();
	unsigned nworkers;
	uint32_t nflows;
	double dur = 0, idle_s = 0, v_workers = ncpu > 1 ? (double)ncpu - 1 : 0, v_egress = -1,
	       v_flows = DP_FLOW_DEFAULT_CAPACITY;
	int eg = -1, rc;

	if (cli_parse(argc, argv, opts, &c, NULL, NULL, &err) < 0 || cli_check_output(&c, CLI_FORMATS_REPORT, &err) < 0) {
		nws_err_prefix(&err, "run: ");
		return cli_die(CLI_USAGE, &err);
	}
	if (c.help) {
		fputs(usage_text, stdout);
		return CLI_OK;
	}
	/*
	 * From the start, before the topology compiles and DPDK starts (seconds, for a large one): a
	 * SIGTERM then ends the run as soon as it is up, with its summary and the socket removed, and
	 * a SIGHUP reloads the file once it is, instead of either killing a half-started process.
	 */
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	const struct cli_num nums[] = {
		{ "--duration", duration, 0.001, 1e9, false, &dur }, { "--idle-exit", idle, 0.001, 1e9, false, &idle_s },
		{ "--workers", workers, 0, MAX_WORKERS, true, &v_workers }, { "--egress", egress, 0, DP_PORT_MAX - 1, true, &v_egress },
		{ "--flows", flows, 1024, 1 << 26, true, &v_flows },
	};

	if (cli_numbers(nums, sizeof(nums) / sizeof(nums[0]), &err) < 0) {
		nws_err_prefix(&err, "run: ");
		return cli_die(CLI_USAGE, &err);
	}
	nworkers = v_workers > MAX_WORKERS ? MAX_WORKERS : (unsigned)v_workers;
	eg = (int)v_egress;
	nflows = (uint32_t)v_flows;
	if (cli_set_workers(&c, &nworkers, workers != NULL, &err) < 0) {
		nws_err_prefix(&err, "run: ");
		return cli_die(CLI_USAGE, &err);
	}
	c.ports = true;
	/* The socket before DPDK starts: a bad path is a usage error, said before anything else. */
	if (control && ctl_open(&rl.ctl, control, &err) < 0) {
		rc = CLI_USAGE;
		goto out;
	}
	rc = app_open(&app, &c, &err);
	if (rc != CLI_OK)
		goto out;
	rc = app_compile(&app, &c, APP_PATH, &err);
	if (rc != CLI_OK)
		goto out;
	rc = CLI_FAIL;
	if (dp_ports_start(&ports, 8191 + 4096 * (nworkers + 1), nworkers, &err) < 0)
		goto out;
	have_ports = true;
	if (eg >= (int)ports.n) {
		nws_err_set(&err, "run: --egress: port %d does not exist (%u port%s)", eg, ports.n, ports.n == 1 ? "" : "s");
		rc = CLI_USAGE;
		goto out;
	}
	for (unsigned p = 0; p < ports.n; p++)
		rs.egress[p] = (uint16_t)(eg >= 0 ? (unsigned)eg : (p ^ 1u) < ports.n ? p ^ 1u : p);
	struct dp_engine_conf ec = dp_engine_conf_full(nflows);

	/* A packet is forwarded or not: run reads r.delivered only, and keeps no flow records. */
	ec.hop_trace = false;
	ec.flow_info = false;
	if (feed_init(&fd, &app.path, nworkers, &ec, false, &err) < 0)
		goto out;
	rs.fd = &fd;
	rs.ports = &ports;
	fd.answered = answered;
	fd.ctx = &rs;
	/* Policy version 1 is the topology loaded above; SIGHUP loads the next. */
	rl.c = &c;
	rl.fd = &fd;
	rl.nw = fd.inline_engine ? 1 : fd.nw;
	rl.first = rl.cur = &app;
	if (dp_policy_init(&rl.pol, rl.nw, &err) < 0)
		goto out;
	rl.ver = dp_policy_ver_new(&app.path, 1, 0);
	if (!rl.ver) {
		nws_err_set(&err, "out of memory");
		goto out;
	}
	rl.pol.cur = rl.ver;
	for (unsigned w = 0; w < rl.nw; w++) {
		if (fd.inline_engine) {
			fd.w[w].eng.ver = rl.ver;
			fd.w[w].eng.tid = w;
		} else {
			dp_engine_attach(&fd.w[w].eng, &rl.pol, rl.ver, w);
		}
	}
	if (pthread_create(&rl.th, NULL, reload_thread, &rl) != 0) {
		nws_err_set(&err, "run: cannot start the reload thread");
		goto out;
	}
	rl.th_up = true;
	tel_fd = &fd;
	rte_telemetry_register_cmd("/nwsim/counters", tel_counters, "nwsim's packet counters. Takes no parameters");
	if (ports.per_worker) {
		if (run_queues(&fd, &ports, &rs, dur, idle_s, c.verbose, &err) < 0)
			goto out;
	} else {
		if (feed_launch(&fd, &err) < 0)
			goto out;
		run_main(&fd, &ports, &rs, dur, idle_s);
	}
	/* The running version's tally, from each engine, before feed_stop adds the counters up. */
	{
		struct dp_policy_tally t = { 0 }, one;

		for (unsigned w = 0; w < fd.nw; w++)
			dp_worker_stop(&fd.w[w]);
		reload_end(&rl);
		for (unsigned w = 0; w < rl.nw; w++) {
			dp_engine_tally(&fd.w[w].eng, &one);
			tally_add(&t, &one);
		}
		tally_keep(&rl, rl.ver->version, &t);
	}
	feed_stop(&fd, rl.cur->t->nnics, false);
	tel_fd = NULL;

	const struct dp_engine *eng = &fd.w[0].eng;
	const struct dp_counters *k = &eng->c;
	bool balanced = summary_balanced(k);
	struct source_stat src[DP_PORT_MAX];
	bool ports_agree = true;

	/* The ports' own counters, beside nwsim's: what came in, and what left. */
	for (unsigned p = 0; p < ports.n; p++) {
		struct dp_port_stats st;

		src[p] = (struct source_stat){ .file = ports.name[p], .linktype = ports.driver[p], .packets = rs.rx[p],
					       .is_port = true, .sent = rs.sent[p] };
		if (dp_port_stats(ports.id[p], &st) < 0)
			continue;
		ports_agree &= st.ipackets == rs.rx[p];
		src[p].port_counted = true;
		src[p].port_in = st.ipackets;
		src[p].port_out = st.opackets;
		src[p].port_missed = st.imissed;
	}
	/* Each policy version's packets: together, every packet, each judged by one version. */
	struct summary_version *vers = calloc(rl.ntallies + 1, sizeof(*vers));
	struct summary_run sr = { .reloads = rl.done, .refused = rl.refused, .v = vers, .nv = vers ? rl.ntallies : 0,
				  .tx_failed = rs.tx_failed };

	for (size_t i = 0; vers && i < rl.ntallies; i++)
		vers[i] = (struct summary_version){ .version = rl.tallies[i].version, .received = rl.tallies[i].t.received,
						    .delivered = rl.tallies[i].t.delivered, .dropped = rl.tallies[i].t.dropped,
						    .unparsed = rl.tallies[i].t.unparsed };
	if (cli_table(&c) || !c.output) {
		summary_table(eng, src, (int)ports.n, balanced);
		for (unsigned p = 0; p < ports.n; p++)
			if (src[p].port_counted)
				printf("port %u (%s): port counted %" PRIu64 " in, %" PRIu64 " out, %" PRIu64
				       " missed; nwsim received %" PRIu64 ", sent %" PRIu64 "\n",
				       p, ports.name[p], src[p].port_in, src[p].port_out, src[p].port_missed, rs.rx[p], rs.sent[p]);
		if (rl.done || rl.refused) {
			printf("policy reloads: %u done, %u refused\n", rl.done, rl.refused);
			for (size_t i = 0; i < sr.nv; i++)
				printf("policy version %u: received %" PRIu64 ", delivered %" PRIu64 ", dropped %" PRIu64
				       ", unparsed %" PRIu64 "\n",
				       vers[i].version, vers[i].received, vers[i].delivered, vers[i].dropped, vers[i].unparsed);
		}
	} else {
		summary_json(stdout, eng, src, (int)ports.n, balanced, &sr);
	}
	if (rs.tx_failed)
		fprintf(stderr, "nwsim: %" PRIu64 " delivered packets could not be sent (egress port full)\n", rs.tx_failed);
	if (report) {
		FILE *f = fopen(report, "w");

		if (!f) {
			nws_err_set(&err, "%s: cannot write: %m", report);
			free(vers);
			goto out;
		}
		summary_json(f, eng, src, (int)ports.n, balanced, &sr);
		if (cli_close_file(f, report, &err) < 0) {
			free(vers);
			goto out;
		}
	}
	free(vers);
	rc = balanced && ports_agree ? CLI_OK : CLI_FAIL;
	if (!balanced)
		nws_err_set(&err, "run: accounting does not balance");
	else if (!ports_agree)
		nws_err_set(&err, "run: the ports counted other numbers of packets than nwsim received");
out:
	reload_end(&rl);
	dp_eal_exit_begin();
	feed_free(&fd);
	if (have_ports)
		dp_ports_stop(&ports);
	if (rl.cur && rl.cur != &app)
		app_drop(&rl, rl.cur);
	dp_policy_ver_free(rl.ver);
	if (rl.pol.qs)
		dp_policy_free(&rl.pol);
	free(rl.tallies);
	app_close(&app);
	if (rc != CLI_OK)
		return cli_die(rc, &err);
	return rc;
}
