/*
 * nwsim replay: captures replayed through the simulated network. Each packet is parsed, looked up
 * in the flow table, walked through the compiled NSGs and routes, and counted; the summary says
 * where every packet went, and received = delivered + dropped + unparsed is checked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "batch.h"
#include "capture.h"
#include "cmds.h"
#include "dp_eal.h"
#include "dp_engine.h"
#include "feed.h"
#include "flowlog.h"
#include "summary.h"
#include "jw.h"
#include "names.h"

static const char usage_text[] =
	"usage: nwsim replay -t TOPOLOGY [--report FILE] [--verdicts FILE] [--flow-log FILE] [--vnet-flow-log FILE]\n"
	"                    [--write-allowed FILE] [--write-denied FILE] [--at NIC] [--loop N] [--rate PPS]\n"
	"                    [--flows N] [--workers N]\n"
	"                    [-o table|json] [-v] [--progress|-q]\n"
	"                    CAPTURE... [-- EAL-OPTIONS]\n"
	"\n"
	"Replays pcap or pcapng captures, plain or gzip-compressed ('-' reads one from standard input),\n"
	"through the topology: link types Ethernet, Linux cooked, raw IP, BSD loopback, Cisco HDLC and\n"
	"PPP, with VLAN tags and MPLS labels read through. Every packet is delivered (to a VM, the\n"
	"internet or on-premises) or dropped with one reason at one hop, or counted unparsed with its\n"
	"reason. A capture that cannot be read, or is damaged or cut short partway, is named on standard\n"
	"error with the record and the reason; the others are replayed, and the status is then 3. NSGs\n"
	"are stateful: the packets of a flow that was admitted pass without rule evaluation. Prints a\n"
	"summary (a table, or JSON with -o json); --report FILE writes the JSON summary to FILE as well;\n"
	"--verdicts FILE writes one JSON line per packet: what happened to it, where, and which rule or\n"
	"route decided. --write-allowed and --write-denied write the delivered and the dropped packets,\n"
	"as captured, to pcap files. --flow-log FILE writes NSG flow logs in Azure's version 2 JSON\n"
	"format; --vnet-flow-log FILE the same flows as virtual network flow logs (version 4), which\n"
	"replace NSG flow logs in Azure. --loop N reads the captures into memory and replays them N times (-v reports the packet\n"
	"rate). --at NIC judges a capture taken on one VM: only that NIC's NSGs, and its subnet's route\n"
	"for what it sends. --rate PPS paces the replay to that many packets per second. --flows N sizes\n"
	"the flow table (default 524288 flows, per worker). --workers N sets the worker lcores (default:\n"
	"one per CPU but the main one's; 0 runs everything on the main lcore). On a terminal, a progress\n"
	"line shows how far the compile of NSGs and the replay are (-q: none; --progress: the compile's\n"
	"elsewhere too).\n";

static const char *hop_label(const struct topo *t, const struct path_hop *h)
{
	switch (h->kind) {
	case PATH_HOP_GATEWAY:
		return h->vnet >= 0 && t->vnets[h->vnet].gateway ? t->vnets[h->vnet].gateway->name : "gateway";
	case PATH_HOP_INTERNET:
		return "Internet";
	default:
		return t->nics[h->nic].name;
	}
}

static void endpoint_str(const struct nws_ip *ip, uint16_t port, bool ports, char *out, size_t len)
{
	char a[NWS_IP_STRLEN];

	nws_ip_str(ip, a);
	if (!ports)
		snprintf(out, len, "%s", a);
	else if (ip->fam == NWS_AF6)
		snprintf(out, len, "[%s]:%u", a, port);
	else
		snprintf(out, len, "%s:%u", a, port);
}

/* One JSON line for one packet (--verdicts). */
static void write_verdict(FILE *f, const struct topo *t, const char *file, uint64_t no, const struct dp_item *it,
			  const struct dp_outcome *o)
{
	struct jw w;
	char b[300];

	jw_init(&w, f, false);
	jw_obj(&w);
	jw_key(&w, "capture");
	jw_str(&w, file);
	jw_key(&w, "packet");
	jw_int(&w, (long long)no);
	if (it->unparsed >= 0) {
		jw_key(&w, "verdict");
		jw_str(&w, "Unparsed");
		jw_key(&w, "reason");
		jw_str(&w, dp_unparsed_name[it->unparsed]);
		jw_end_obj(&w);
		jw_done(&w);
		return;
	}
	const struct nws_flow *fl = &it->pkt.flow;
	const struct path_result *r = &o->trace->r;

	char pb[8];

	jw_key(&w, "protocol");
	jw_str(&w, fl->proto == AZ_PROTO_ICMPV6 ? "Icmp" : az_proto_name(fl->proto, pb));
	jw_key(&w, "source");
	endpoint_str(&fl->src, fl->sport, fl->has_ports, b, sizeof(b));
	jw_str(&w, b);
	jw_key(&w, "destination");
	endpoint_str(&fl->dst, fl->dport, fl->has_ports, b, sizeof(b));
	jw_str(&w, b);
	jw_key(&w, "verdict");
	jw_str(&w, r->delivered ? "Delivered" : "Dropped");
	if (r->delivered) {
		jw_key(&w, "to");
		jw_str(&w, summary_end_name[r->end]);
	} else {
		jw_key(&w, "reason");
		jw_str(&w, path_drop_name[r->reason]);
		jw_key(&w, "at");
		jw_str(&w, hop_label(t, &r->hops[r->drop_hop]));
	}
	jw_key(&w, "stateful");
	jw_bool(&w, o->stateful);
	jw_key(&w, "hops");
	jw_arr(&w);
	for (int h = 0; h < r->nhops; h++) {
		const struct path_hop *hp = &r->hops[h];

		jw_obj(&w);
		jw_key(&w, "at");
		jw_str(&w, hop_label(t, hp));
		if (hp->has_out || hp->has_in) {
			const struct nsg_verdict *v[2] = { hp->has_in ? &hp->nsg_in : NULL, hp->has_out ? &hp->nsg_out : NULL };
			const char *key[2] = { "inbound", "outbound" };

			for (int d = 0; d < 2; d++) {
				if (!v[d])
					continue;
				jw_key(&w, key[d]);
				jw_obj(&w);
				jw_key(&w, "access");
				jw_str(&w, az_access_name[v[d]->access]);
				jw_key(&w, "ruleName");
				const char *rn = names_verdict_rule(v[d], b, sizeof(b));

				if (rn)
					jw_str(&w, rn);
				else
					jw_null(&w);
				jw_end_obj(&w);
			}
		}
		if (hp->route) {
			jw_key(&w, "nextHopType");
			jw_str(&w, names_next_hop_type(hp->route->type));
			jw_key(&w, "routeTableId");
			jw_str(&w, hp->route->rt >= 0 ? t->rts[hp->route->rt].id : AZ_SYSTEM_ROUTE);
		}
		jw_end_obj(&w);
	}
	jw_end_arr(&w);
	jw_end_obj(&w);
	jw_done(&w);
}

/* One capture of the command line. */
struct capture {
	const char *path;
	struct cap_file cf;
	bool open;                  /* cap_open took it */
	bool failed;                /* unreadable, or damaged or cut short on the way */
	char error[sizeof(((struct nws_err *)0)->msg)]; /* why, without the file's name */
	uint16_t seen[4];           /* the link types its records had, for the summary */
	unsigned nseen;
	char linktypes[64];
};

static void capture_failed(struct capture *c, const struct nws_err *err)
{
	size_t fl = strlen(c->cf.name ? c->cf.name : c->path);
	const char *m = err->msg;

	/* The summary names the file beside the error: the message need not. */
	if (!strncmp(m, c->cf.name ? c->cf.name : c->path, fl) && !strncmp(m + fl, ": ", 2))
		m += fl + 2;
	snprintf(c->error, sizeof(c->error), "%s", m);
	c->failed = true;
}

static void capture_saw(struct capture *c, uint16_t linktype)
{
	char nb[32];
	size_t n;

	for (unsigned i = 0; i < c->nseen; i++)
		if (c->seen[i] == linktype)
			return;
	if (c->nseen == sizeof(c->seen) / sizeof(c->seen[0]))
		return;
	c->seen[c->nseen++] = linktype;
	n = strlen(c->linktypes);
	snprintf(c->linktypes + n, sizeof(c->linktypes) - n, "%s%s", n ? "," : "", cap_linktype_name(linktype, nb, sizeof(nb)));
}

/* --loop: the parsed packets of every capture, replayed from memory. */
struct memcap {
	struct dp_item *it;
	uint32_t *file; /* which capture each came from */
	uint64_t *no;   /* its number in that capture */
	size_t n, cap;
};

/* Where the answers of a replay go besides the counters. */
struct sinks {
	double rate;        /* --rate: packets per second to pace to, 0 for as fast as possible */
	double t0;          /* when pacing started */
	uint64_t paced;     /* packets handed to the engine so far */
	bool progress;      /* standard error is a terminal: show how far the replay is */
	bool progress_shown;
	double last_progress;
	struct memcap *mem; /* set: keep the packets instead of replaying them now */
	const struct capture *caps;
	uint32_t file_idx;
	FILE *verdicts;
	struct flowlog *flowlog; /* NULL without --flow-log or --vnet-flow-log */
	struct cap_writer allowed, denied;
	bool writers;
	int write_failed;   /* a capture writer failed: errno */
	const struct topo *t;
	struct feeder *fd;
};

/* --rate: wait until this many more packets are due. */
static void pace_cb(void *ctx, unsigned n)
{
	struct sinks *sk = ctx;

	if (sk->rate <= 0)
		return;
	if (sk->paced == 0)
		sk->t0 = batch_now();
	sk->paced += n;
	double due = sk->t0 + (double)sk->paced / sk->rate, now = batch_now();

	if (due > now) {
		double d = due - now;
		struct timespec ts = { .tv_sec = (time_t)d, .tv_nsec = (long)((d - (double)(time_t)d) * 1e9) };

		nanosleep(&ts, NULL);
	}
}

/* An answered packet: its outputs (the feeder frees the slot after this). */
static void answered(void *ctx, struct dp_slot *s)
{
	struct sinks *sk = ctx;
	struct feeder *fd = sk->fd;
	size_t idx = (size_t)(s - fd->slots);

	if (sk->verdicts)
		write_verdict(sk->verdicts, sk->t, sk->caps[s->file].cf.name, s->no, &s->item, &s->out);
	if (sk->flowlog)
		flowlog_denied(sk->flowlog, &s->item, &s->out);
	if (fd->raw && s->item.unparsed < 0) {
		struct cap_writer *w = s->out.v.delivered ? &sk->allowed : &sk->denied;
		const struct feed_raw *r = &fd->raw[idx];

		if (w->f && cap_writer_put(w, r->ts_ns, r->len, r->data, r->caplen) < 0 && !sk->write_failed)
			sk->write_failed = errno ? errno : EIO;
	}
}

static int keep_raw(struct feeder *fd, struct dp_slot *s, const struct cap_rec *rec)
{
	struct feed_raw *r = &fd->raw[s - fd->slots];

	if (r->cap < rec->caplen) {
		uint8_t *nb = realloc(r->data, rec->caplen);

		if (!nb)
			return -1;
		r->data = nb;
		r->cap = rec->caplen;
	}
	r->ts_ns = rec->ts_ns;
	r->len = rec->len;
	r->caplen = rec->caplen;
	r->linktype = rec->linktype;
	if (rec->caplen)
		memcpy(r->data, rec->data, rec->caplen);
	return 0;
}

static int keep(struct memcap *m, const struct dp_item *it, uint32_t file, uint64_t no)
{
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 65536;
		struct dp_item *ni = realloc(m->it, nc * sizeof(*ni));
		uint32_t *nf = ni ? realloc(m->file, nc * sizeof(*nf)) : NULL;
		uint64_t *nn = nf ? realloc(m->no, nc * sizeof(*nn)) : NULL;

		if (ni)
			m->it = ni;
		if (nf)
			m->file = nf;
		if (!nn)
			return -1;
		m->no = nn;
		m->cap = nc;
	}
	m->it[m->n] = *it;
	m->file[m->n] = file;
	m->no[m->n++] = no;
	return 0;
}

/* Progress lines go every quarter second at most; this many packets between looks at the clock. */
#define PROGRESS_EVERY 256

static void progress_clear(struct sinks *sk)
{
	if (sk->progress_shown)
		fputs("\r\033[K", stderr);
	sk->progress_shown = false;
}

/* A progress line on a terminal: how far into the capture file (or how much of a pipe was read). */
static void show_progress(struct sinks *sk, const struct cap_file *cf, uint64_t packets)
{
	double now = batch_now();

	if (now - sk->last_progress < 0.25)
		return;
	sk->last_progress = now;
	sk->progress_shown = true;
	/* How far the records taken are (not how far the reader has read ahead): in the file's bytes. */
	uint64_t at = cf->gz ? cf->z.total_in : cf->offset;

	if (cf->raw_size)
		fprintf(stderr, "\r%s: %" PRIu64 " packets, %3.0f%%", cf->name, packets,
			100.0 * (double)(at < cf->raw_size ? at : cf->raw_size) / (double)cf->raw_size);
	else
		fprintf(stderr, "\r%s: %" PRIu64 " packets, %.1f MiB read", cf->name, packets, (double)at / 1048576.0);
}

/* A capture that fails on the way: said at once, on its own line, and kept for the summary. */
static void report_failure(struct sinks *sk, struct capture *c, const struct nws_err *err)
{
	progress_clear(sk);
	cli_die(CLI_INPUT, err);
	capture_failed(c, err);
}

/*
 * One capture: each record parsed into a slot and handed over (or kept, for --loop). Returns -1
 * only for what stops the whole replay (memory, a capture writer); a damaged capture ends there,
 * its failed record counted, and is marked failed.
 */
static int replay_file(struct feeder *fd, struct capture *c, struct sinks *sk, struct nws_err *err)
{
	struct cap_file *cf = &c->cf;

	for (;;) {
		struct cap_rec rec;
		struct nws_err rerr;
		int rc = cap_next(cf, &rec, &rerr);
		struct dp_item tmp, *it;
		struct dp_slot *s = NULL;

		if (rc == 0)
			break;
		if (rc < 0) {
			report_failure(sk, c, &rerr);
			if (rec.why < 0)
				break; /* no record was under way: nothing to count */
		}
		if (sk->progress && (rec.no % PROGRESS_EVERY) == 0)
			show_progress(sk, cf, rec.no);
		if (rc == 1) {
			capture_saw(c, rec.linktype);
			if (sk->writers && rec.packet &&
			    (cap_writer_open(&sk->allowed, rec.linktype, err) < 0 || cap_writer_open(&sk->denied, rec.linktype, err) < 0)) {
				nws_err_prefix(err, "%s: record %" PRIu64 ": ", cf->name, rec.no);
				return -1;
			}
		}
		if (!sk->mem) {
			s = feed_get_slot(fd);
			s->file = sk->file_idx;
			s->no = rec.no;
		}
		it = s ? &s->item : &tmp;
		if (rc == 1 && s && fd->raw && keep_raw(fd, s, &rec) < 0)
			return nws_err_set(err, "%s: record %" PRIu64 ": out of memory", cf->name, rec.no);
		if (rc == 1)
			cap_item(&rec, it);
		else
			cap_item_failed(&rec, it);
		if (s)
			feed_submit(fd, s);
		else if (keep(sk->mem, it, sk->file_idx, rec.no) < 0)
			return nws_err_set(err, "%s: out of memory holding the capture for --loop", cf->name);
		if (rc < 0)
			break;
	}
	return 0;
}

/* Replay what --loop holds, passes times; returns the seconds it took. */
static double replay_memory(struct feeder *fd, const struct memcap *m, unsigned passes, struct sinks *sk)
{
	double t0 = batch_now();
	uint64_t total = (uint64_t)m->n * passes, done = 0;

	for (unsigned p = 0; p < passes; p++)
		for (size_t i = 0; i < m->n; i++, done++) {
			struct dp_slot *s = feed_get_slot(fd);

			/* The engine joins fragments in place: each pass starts from the parsed copy. */
			s->item = m->it[i];
			s->file = m->file[i];
			s->no = m->no[i];
			feed_submit(fd, s);
			if (sk->progress && (done % PROGRESS_EVERY) == 0) {
				double now = batch_now();

				if (now - sk->last_progress > 0.25) {
					fprintf(stderr, "\rreplaying from memory: pass %u of %u, %3.0f%%", p + 1, passes,
						100.0 * (double)done / (double)(total ? total : 1));
					sk->last_progress = now;
					sk->progress_shown = true;
				}
			}
		}
	feed_finish(fd);
	return batch_now() - t0;
}

/* The outputs' last words: each one flushed and closed, the first failure named. */
static int close_outputs(struct sinks *sk, const char *verdicts, struct nws_err *err)
{
	int rc = 0;

	if (sk->verdicts) {
		rc = cli_close_file(sk->verdicts, verdicts, err);
		sk->verdicts = NULL;
	}
	if (sk->write_failed && rc == 0)
		rc = nws_err_set(err, "%s: cannot write: %s", sk->allowed.f ? sk->allowed.path : sk->denied.path,
				 strerror(sk->write_failed));
	struct nws_err e2;

	if (cap_writer_close(&sk->allowed, &e2) < 0 && rc == 0)
		rc = nws_err_set(err, "%s", e2.msg);
	if (cap_writer_close(&sk->denied, &e2) < 0 && rc == 0)
		rc = nws_err_set(err, "%s", e2.msg);
	return rc;
}

int cmd_replay(int argc, char **argv)
{
	struct cli_common c = { 0 };
	const char *report = NULL, *verdicts = NULL, *flowlog = NULL, *vnetlog = NULL, *loop = NULL, *at = NULL, *flows = NULL,
		   *rate = NULL, *workers = NULL;
	unsigned long nflows = DP_FLOW_DEFAULT_CAPACITY;
	struct memcap mem = { 0 };
	unsigned passes = 1;
	struct sinks sk = { 0 };
	struct flowlog fl = { 0 }, *parts = NULL;
	const struct cli_opt opts[] = { { "--report", 0, &report, NULL, NULL }, { "--verdicts", 0, &verdicts, NULL, NULL },
					{ "--write-allowed", 0, &sk.allowed.path, NULL, NULL },
					{ "--write-denied", 0, &sk.denied.path, NULL, NULL }, { "--flow-log", 0, &flowlog, NULL, NULL },
					{ "--vnet-flow-log", 0, &vnetlog, NULL, NULL },
					{ "--loop", 0, &loop, NULL, NULL }, { "--at", 0, &at, NULL, NULL }, { "--flows", 0, &flows, NULL, NULL },
					{ "--rate", 0, &rate, NULL, NULL }, { "--workers", 0, &workers, NULL, NULL },
					{ NULL, 0, NULL, NULL, NULL } };
	const char **files = calloc((size_t)argc + 1, sizeof(char *));
	int nfiles = 0, rc, nread = 0, nstdin = 0;
	struct nws_err err = { { 0 } };
	struct app app = { 0 };
	struct capture *caps = NULL;
	struct source_stat *cs = NULL;
	struct feeder fd = { 0 };
	unsigned nworkers = (unsigned)cli_ncpus() - 1;
	bool failed = false, quiet_fail = false;

	if (!files)
		return CLI_FAIL;
	if (cli_parse(argc, argv, opts, &c, &files, &nfiles, &err) < 0 || cli_check_output(&c, CLI_FORMATS_REPORT, &err) < 0) {
		nws_err_prefix(&err, "replay: ");
		goto usage;
	}
	if (c.help) {
		fputs(usage_text, stdout);
		free(files);
		return CLI_OK;
	}
	if (nfiles == 0) {
		nws_err_set(&err, "replay: give at least one capture file");
		goto usage;
	}
	for (int i = 0; i < nfiles; i++)
		nstdin += !strcmp(files[i], "-");
	if (nstdin > 1 || (nstdin && c.topology && !strcmp(c.topology, "-"))) {
		nws_err_set(&err, "replay: standard input ('-') can be read once: as one capture, or as the topology");
		goto usage;
	}
	double v;

	if (loop) {
		if (cli_number(loop, 1, 1000000, true, &v) < 0) {
			nws_err_set(&err, "replay: --loop: '%s' is not a number of passes in 1..1000000", loop);
			goto usage;
		}
		if (sk.allowed.path || sk.denied.path) {
			nws_err_set(&err, "replay: --loop replays from memory and cannot write captures; drop --write-allowed/--write-denied");
			goto usage;
		}
		passes = (unsigned)v;
		sk.mem = &mem;
	}
	if (flows) {
		if (cli_number(flows, 1024, 1 << 26, true, &v) < 0) {
			nws_err_set(&err, "replay: --flows: '%s' is not a flow table size in 1024..67108864", flows);
			goto usage;
		}
		nflows = (unsigned long)v;
	}
	if (rate && cli_number(rate, 1, 1e9, false, &sk.rate) < 0) {
		nws_err_set(&err, "replay: --rate: '%s' is not a packet rate in 1..1000000000 per second", rate);
		goto usage;
	}
	if (workers) {
		if (cli_number(workers, 0, MAX_WORKERS, true, &v) < 0) {
			nws_err_set(&err, "replay: --workers: '%s' is not a number of worker lcores in 0..%d", workers, MAX_WORKERS);
			goto usage;
		}
		nworkers = (unsigned)v;
	}
	if (nworkers > MAX_WORKERS)
		nworkers = MAX_WORKERS;
	/* The main lcore reads the captures; the workers are lcores 1..N unless the user says otherwise. */
	if (cli_set_workers(&c, &nworkers, workers != NULL, &err) < 0) {
		nws_err_prefix(&err, "replay: ");
		goto usage;
	}
	sk.progress = isatty(STDERR_FILENO) && !c.verbose && !c.quiet;
	sk.writers = sk.allowed.path || sk.denied.path;
	caps = calloc((size_t)nfiles, sizeof(*caps));
	cs = calloc((size_t)nfiles, sizeof(*cs));
	if (!caps || !cs) {
		free(files);
		free(caps);
		free(cs);
		return CLI_FAIL;
	}
	rc = app_open(&app, &c, &err);
	if (rc != CLI_OK)
		goto out;
	/*
	 * Every capture's header is read before DPDK starts and before any output is made: one that
	 * cannot be read is named and left out; when none can, the run is refused with nothing written.
	 */
	for (int i = 0; i < nfiles; i++) {
		caps[i].path = files[i];
		if (!strcmp(files[i], "-"))
			cli_took_stdin();
		if (cap_open(&caps[i].cf, files[i], &err) < 0) {
			cli_die(CLI_INPUT, &err);
			capture_failed(&caps[i], &err);
			failed = true;
			continue;
		}
		caps[i].open = true;
		if (caps[i].cf.have_first)
			capture_saw(&caps[i], caps[i].cf.first_linktype);
		nread++;
	}
	if (!nread) {
		rc = CLI_INPUT;
		quiet_fail = true; /* each capture's error is out already */
		goto out;
	}
	rc = app_compile(&app, &c, APP_PATH, &err);
	if (rc != CLI_OK)
		goto out;
	rc = CLI_FAIL;
	if (at) {
		app.path.at_nic = topo_find_nic(app.t, at);
		app.path.at = true;
		if (app.path.at_nic < 0) {
			nws_err_set(&err, "replay: --at: no network interface '%s' in %s", at, app.t->file);
			rc = CLI_USAGE;
			goto out;
		}
	}
	struct dp_engine_conf ec = dp_engine_conf_full((uint32_t)nflows);

	/* Per-packet verdicts show every hop; flow logs name the NSG at the hop that denied. */
	bool logs = flowlog || vnetlog;

	ec.hop_trace = verdicts || logs;
	ec.flow_info = logs;
	if (feed_init(&fd, &app.path, nworkers, &ec, sk.writers, &err) < 0)
		goto out;
	if (verdicts && !(sk.verdicts = fopen(verdicts, "w"))) {
		nws_err_set(&err, "%s: cannot write: %m", verdicts);
		goto out;
	}
	sk.t = app.t;
	sk.fd = &fd;
	sk.caps = caps;
	fd.answered = answered;
	fd.pace = pace_cb;
	fd.ctx = &sk;
	if (logs) {
		flowlog_init(&fl, app.t, &app.m);
		sk.flowlog = &fl;
		if (!(parts = calloc(fd.nw, sizeof(*parts)))) {
			nws_err_set(&err, "out of memory");
			goto out;
		}
		for (unsigned i = 0; i < fd.nw; i++) {
			flowlog_init(&parts[i], app.t, &app.m);
			fd.w[i].eng.gone = flowlog_gone;
			fd.w[i].eng.gone_arg = &parts[i];
		}
	}
	if (feed_launch(&fd, &err) < 0)
		goto out;
	for (int i = 0; i < nfiles; i++) {
		if (!caps[i].open)
			continue;
		sk.file_idx = (uint32_t)i;
		if (replay_file(&fd, &caps[i], &sk, &err) < 0) {
			rc = CLI_INPUT;
			goto out;
		}
		failed |= caps[i].failed;
	}
	feed_finish(&fd);
	if (sk.mem) {
		double secs = replay_memory(&fd, &mem, passes, &sk);

		if (c.verbose)
			fprintf(stderr, "nwsim: %zu packets x %u passes replayed from memory in %.1f ms: %.2f million packets per second on %u worker%s\n",
				mem.n, passes, secs * 1e3, secs > 0 ? (double)mem.n * passes / secs / 1e6 : 0.0, fd.nw,
				fd.inline_engine ? " (the main lcore)" : fd.nw > 1 ? "s" : "");
	}
	feed_stop(&fd, app.t->nnics, true);
	progress_clear(&sk);
	if (logs) {
		for (unsigned i = 0; i < fd.nw; i++) {
			flowlog_flows(&fl, &fd.w[i].eng);
			flowlog_merge(&fl, &parts[i]);
		}
		if ((flowlog && flowlog_write(&fl, flowlog, &err) < 0) || (vnetlog && flowlog_write_vnet(&fl, vnetlog, &err) < 0)) {
			rc = CLI_FAIL;
			goto out;
		}
	}
	/* A capture writer asked for gets its file even when no packet went its way. */
	for (int i = 0; sk.writers && i < nfiles && !sk.allowed.f; i++)
		if (caps[i].nseen && (cap_writer_open(&sk.allowed, caps[i].seen[0], &err) < 0 ||
				      cap_writer_open(&sk.denied, caps[i].seen[0], &err) < 0)) {
			rc = CLI_FAIL;
			goto out;
		}
	if (close_outputs(&sk, verdicts, &err) < 0) {
		rc = CLI_FAIL;
		goto out;
	}
	const struct dp_engine *eng = &fd.w[0].eng;
	const struct dp_counters *k = &eng->c;
	bool balanced = summary_balanced(k);

	for (int i = 0; i < nfiles; i++) {
		cs[i].file = caps[i].cf.name ? caps[i].cf.name : caps[i].path;
		cs[i].linktype = caps[i].nseen ? caps[i].linktypes : NULL;
		cs[i].packets = caps[i].cf.records;
		cs[i].error = caps[i].failed ? caps[i].error : NULL;
	}
	if (cli_table(&c) || !c.output)
		summary_table(eng, cs, nfiles, balanced);
	else
		summary_json(stdout, eng, cs, nfiles, balanced, NULL);
	if (report) {
		FILE *f = fopen(report, "w");

		if (!f) {
			nws_err_set(&err, "%s: cannot write: %m", report);
			rc = CLI_FAIL;
			goto out;
		}
		summary_json(f, eng, cs, nfiles, balanced, NULL);
		if (cli_close_file(f, report, &err) < 0) {
			rc = CLI_FAIL;
			goto out;
		}
	}
	if (!balanced) {
		nws_err_set(&err, "replay: accounting does not balance");
		rc = CLI_FAIL;
	} else if (failed) {
		/* Each capture that failed was named when it did; the summary covers what was read. */
		rc = CLI_INPUT;
		quiet_fail = true;
	} else {
		rc = CLI_OK;
	}
out:
	progress_clear(&sk);
	free(mem.it);
	free(mem.file);
	free(mem.no);
	flowlog_free(&fl);
	for (unsigned i = 0; parts && i < fd.nw; i++)
		flowlog_free(&parts[i]);
	free(parts);
	if (sk.verdicts)
		fclose(sk.verdicts);
	{
		struct nws_err ignore;

		cap_writer_close(&sk.allowed, &ignore);
		cap_writer_close(&sk.denied, &ignore);
	}
	dp_eal_exit_begin();
	feed_free(&fd);
	app_close(&app);
	for (int i = 0; caps && i < nfiles; i++)
		if (caps[i].open)
			cap_close(&caps[i].cf);
	free(caps);
	free(files);
	free(cs);
	if (rc != CLI_OK && !quiet_fail)
		return cli_die(rc, &err);
	return rc;
usage:
	free(files);
	return cli_die(CLI_USAGE, &err);
}
