#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "cli.h"
#include "flowlog.h"
#include "jw.h"
#include "names.h"

void flowlog_init(struct flowlog *fl, const struct topo *t, const struct nsg_model *m)
{
	memset(fl, 0, sizeof(*fl));
	fl->t = t;
	fl->m = m;
}

void flowlog_free(struct flowlog *fl)
{
	free(fl->v);
	memset(fl, 0, sizeof(*fl));
}

static struct flowlog_tuple *add(struct flowlog *fl)
{
	if (fl->n == fl->cap) {
		size_t nc = fl->cap ? fl->cap * 2 : 1024;
		struct flowlog_tuple *nv = realloc(fl->v, nc * sizeof(*nv));

		if (!nv) {
			fl->oom = true;
			return NULL;
		}
		fl->v = nv;
		fl->cap = nc;
	}
	return &fl->v[fl->n++];
}

static char proto_letter(uint8_t p, char *buf)
{
	if (p == AZ_PROTO_TCP)
		return 'T';
	if (p == AZ_PROTO_UDP)
		return 'U';
	/* Version 2 names TCP and UDP only; nwsim writes other protocols by number (see docs). */
	snprintf(buf, 4, "%u", p);
	return 0;
}

/* The tuple text, counts empty for B and D. */
static void tuple(char *out, size_t len, uint64_t ts_ns, const struct nws_flow *f, enum az_dir dir, bool allow,
		  char state, const uint64_t *pk, const uint64_t *by)
{
	char s[NWS_IP_STRLEN], d[NWS_IP_STRLEN], pb[4], p = proto_letter(f->proto, pb);
	int n = snprintf(out, len, "%" PRIu64 ",%s,%s,%u,%u,", (uint64_t)(ts_ns / 1000000000u), nws_ip_str(&f->src, s),
			 nws_ip_str(&f->dst, d), f->sport, f->dport);

	n += p ? snprintf(out + n, len - (size_t)n, "%c", p) : snprintf(out + n, len - (size_t)n, "%s", pb);
	n += snprintf(out + n, len - (size_t)n, ",%c,%c,%c,", dir == AZ_INBOUND ? 'I' : 'O', allow ? 'A' : 'D', state);
	if (pk)
		snprintf(out + n, len - (size_t)n, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64, pk[0], by[0], pk[1], by[1]);
	else
		snprintf(out + n, len - (size_t)n, ",,,");
}

static void put(struct flowlog *fl, int inst, int nic, const struct topo_rule *rule, uint64_t ts_ns, const struct nws_flow *f,
		enum az_dir dir, bool allow, char state, const uint64_t *pk, const uint64_t *by)
{
	struct flowlog_tuple *tp;

	if (inst < 0 || !rule || !(tp = add(fl)))
		return;
	*tp = (struct flowlog_tuple){ .nsg = fl->m->inst[inst].nsg, .nic = nic, .vnet = fl->m->inst[inst].vnet, .rule = rule,
				      .minute = ts_ns / 60000000000ull,
				      .ts_ns = ts_ns, .f = *f, .dir = dir, .allow = allow, .state = state, .counts = pk != NULL };
	if (pk) {
		memcpy(tp->pk, pk, sizeof(tp->pk));
		memcpy(tp->by, by, sizeof(tp->by));
	}
	tuple(tp->text, sizeof(tp->text), ts_ns, f, dir, allow, state, pk, by);
}

void flowlog_denied(struct flowlog *fl, const struct dp_item *it, const struct dp_outcome *o)
{
	const struct path_result *r = &o->trace->r;

	if (it->unparsed >= 0 || r->delivered || (r->reason != PATH_DROP_NSG_INBOUND && r->reason != PATH_DROP_NSG_OUTBOUND))
		return;
	const struct path_hop *h = &r->hops[r->drop_hop];
	enum az_dir dir = r->reason == PATH_DROP_NSG_INBOUND ? AZ_INBOUND : AZ_OUTBOUND;
	const struct nsg_verdict *v = dir == AZ_INBOUND ? &h->nsg_in : &h->nsg_out;
	/* Version 2 has no state of its own for a denied flow: it begins (B), decision D, no counts. */
	put(fl, v->inst, h->nic, v->rule, it->ts_ns, &it->pkt.flow, dir, false, 'B', NULL, NULL);
}

void flowlog_flow(struct flowlog *fl, const struct dp_flow_entry *fe, const struct dp_flow_info *fi, bool ended)
{
	for (int k = 0; k < fi->nnsg; k++) {
		const struct dp_flow_nsg *n = &fi->nsg[k];

		put(fl, n->inst, n->nic, n->rule, fi->first_ns, &fi->init, (enum az_dir)n->dir, true, 'B', NULL, NULL);
		put(fl, n->inst, n->nic, n->rule, fe->last_ns, &fi->init, (enum az_dir)n->dir, true, ended ? 'E' : 'C', fi->packets,
		    fi->bytes);
	}
}

void flowlog_gone(void *arg, const struct dp_flow_entry *fe, const struct dp_flow_info *fi)
{
	flowlog_flow(arg, fe, fi, true);
}

void flowlog_flows(struct flowlog *fl, const struct dp_engine *e)
{
	uint32_t it = 0;
	int32_t pos;

	while ((pos = dp_flow_next(&e->flows, &it)) >= 0) {
		const struct dp_flow_entry *fe = &e->flows.e[pos];

		/* A flow idle past the timeout has ended, swept or not. */
		flowlog_flow(fl, fe, &e->flows.info[pos], fe->ended || dp_flow_stale(&e->flows, fe, e->now_ns));
	}
}

void flowlog_merge(struct flowlog *fl, struct flowlog *from)
{
	fl->oom |= from->oom;
	for (size_t i = 0; i < from->n; i++) {
		struct flowlog_tuple *tp = add(fl);

		if (!tp)
			return;
		*tp = from->v[i];
	}
}

/* Records by NSG, minute and NIC (NSG flow logs) or NIC, minute and NSG (virtual network flow logs); then rule, tuple. */
static int order(const struct flowlog_tuple *x, const struct flowlog_tuple *y, bool by_nic)
{
	const int64_t kx[3] = { by_nic ? x->nic : x->nsg, (int64_t)x->minute, by_nic ? x->nsg : x->nic };
	const int64_t ky[3] = { by_nic ? y->nic : y->nsg, (int64_t)y->minute, by_nic ? y->nsg : y->nic };

	for (int k = 0; k < 3; k++)
		if (kx[k] != ky[k])
			return kx[k] < ky[k] ? -1 : 1;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return strcmp(x->text, y->text);
}

static int by_record(const void *a, const void *b)
{
	return order(a, b, false);
}

static int by_nic_record(const void *a, const void *b)
{
	return order(a, b, true);
}

static void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 32);
}

static void minute_time(uint64_t minute, char *out, size_t len)
{
	time_t secs = (time_t)(minute * 60);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%S.0000000Z", &tm);
}

/* One NSG flow log record: the tuples of one NSG, NIC and minute from i on; returns the next record's first. */
static size_t nsg_record(const struct flowlog *fl, size_t i, struct jw *w)
{
	const struct flowlog_tuple *r0 = &fl->v[i];
	char tbuf[32], id[512], name[300], guid[37];
	const char *mac = r0->nic >= 0 ? fl->t->nics[r0->nic].mac : "000000000000";

	minute_time(r0->minute, tbuf, sizeof(tbuf));
	snprintf(id, sizeof(id), "%s", fl->t->nsgs[r0->nsg].id);
	upper(id); /* Azure writes resource ids in flow logs upper-case */
	/* Azure's systemId is the NSG's resource GUID; nwsim makes a stable one from its id. */
	names_guid(fl->t->nsgs[r0->nsg].id, guid);
	jw_obj(w);
	jw_key(w, "time");
	jw_str(w, tbuf);
	jw_kstr(w, "systemId", guid);
	jw_kstr(w, "macAddress", mac);
	jw_key(w, "category");
	jw_str(w, "NetworkSecurityGroupFlowEvent");
	jw_key(w, "resourceId");
	jw_str(w, id);
	jw_key(w, "operationName");
	jw_str(w, "NetworkSecurityGroupFlowEvents");
	jw_key(w, "properties");
	jw_obj(w);
	jw_key(w, "Version");
	jw_int(w, 2);
	jw_key(w, "flows");
	jw_arr(w);
	size_t j = i;

	while (j < fl->n && fl->v[j].nsg == r0->nsg && fl->v[j].minute == r0->minute && fl->v[j].nic == r0->nic) {
		const struct topo_rule *rule = fl->v[j].rule;

		names_logged_rule(rule, name, sizeof(name));
		jw_obj(w);
		jw_key(w, "rule");
		jw_str(w, name);
		jw_key(w, "flows");
		jw_arr(w);
		jw_obj(w);
		jw_kstr(w, "mac", mac);
		jw_key(w, "flowTuples");
		jw_arr(w);
		while (j < fl->n && fl->v[j].nsg == r0->nsg && fl->v[j].minute == r0->minute && fl->v[j].nic == r0->nic &&
		       fl->v[j].rule == rule)
			jw_str(w, fl->v[j++].text);
		jw_end_arr(w);
		jw_end_obj(w);
		jw_end_arr(w);
		jw_end_obj(w);
	}
	jw_end_arr(w);
	jw_end_obj(w);
	jw_end_obj(w);
	return j;
}

/* ---- virtual network flow logs (version 4) ------------------------------------------------------ */

/* "time ms,src,dst,sport,dport,protocol,I|O,B|C|E|D,NX,packets out,bytes out,packets back,bytes back". */
static void tuple_v4(char *out, size_t len, const struct flowlog_tuple *tp)
{
	char s[NWS_IP_STRLEN], d[NWS_IP_STRLEN];
	/* A denied flow has a state of its own here; B and D carry zero counts. */
	char state = tp->allow ? tp->state : 'D';
	uint64_t z[2] = { 0, 0 };
	const uint64_t *pk = tp->counts ? tp->pk : z, *by = tp->counts ? tp->by : z;

	snprintf(out, len, "%" PRIu64 ",%s,%s,%u,%u,%u,%c,%c,NX,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64,
		 tp->ts_ns / 1000000u, nws_ip_str(&tp->f.src, s), nws_ip_str(&tp->f.dst, d), tp->f.sport, tp->f.dport, tp->f.proto,
		 tp->dir == AZ_INBOUND ? 'I' : 'O', state, pk[0], by[0], pk[1], by[1]);
}

/*
 * The flow log resource nwsim stands for: one per virtual network, in Network Watcher's own
 * resource group of the network's subscription (Azure's default place for it).
 */
static void flowlog_id(const struct topo *t, int vnet, char *out, size_t len)
{
	const char *id = t->vnets[vnet].id, *sub = strstr(id, "/subscriptions/");
	int n = 0;

	if (sub) {
		sub += strlen("/subscriptions/");
		n = (int)strcspn(sub, "/");
	}
	snprintf(out, len, "/subscriptions/%.*s/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/"
		 "NetworkWatcher_nwsim/flowLogs/%s-flowlog", n, sub ? sub : "", t->vnets[vnet].name);
	upper(out);
}

/* One virtual network flow log record: the tuples of one NIC and minute from i on. */
static size_t vnet_record(const struct flowlog *fl, size_t i, struct jw *w)
{
	const struct flowlog_tuple *r0 = &fl->v[i];
	char tbuf[32], id[512], guid[37], name[300], text[256];
	const struct topo_nic *nic = r0->nic >= 0 ? &fl->t->nics[r0->nic] : NULL;

	minute_time(r0->minute, tbuf, sizeof(tbuf));
	flowlog_id(fl->t, r0->vnet, id, sizeof(id));
	names_guid(id, guid);
	jw_obj(w);
	jw_kstr(w, "time", tbuf);
	jw_kint(w, "flowLogVersion", 4);
	jw_kstr(w, "flowLogGUID", guid);
	jw_kstr(w, "macAddress", nic ? nic->mac : "000000000000");
	jw_kstr(w, "category", "FlowLogFlowEvent");
	jw_kstr(w, "flowLogResourceID", id);
	jw_kstr(w, "targetResourceID", fl->t->vnets[r0->vnet].id);
	jw_kstr(w, "operationName", "FlowLogFlowEvent");
	jw_key(w, "flowRecords");
	jw_obj(w);
	jw_key(w, "flows");
	jw_arr(w);
	size_t j = i;

	while (j < fl->n && fl->v[j].nic == r0->nic && fl->v[j].minute == r0->minute) {
		int nsg = fl->v[j].nsg;

		/* Azure's aclID is the NSG's resource GUID; nwsim's is made from its id, as systemId is. */
		names_guid(fl->t->nsgs[nsg].id, guid);
		jw_obj(w);
		jw_kstr(w, "aclID", guid);
		jw_key(w, "flowGroups");
		jw_arr(w);
		while (j < fl->n && fl->v[j].nic == r0->nic && fl->v[j].minute == r0->minute && fl->v[j].nsg == nsg) {
			const struct topo_rule *rule = fl->v[j].rule;

			names_logged_rule(rule, name, sizeof(name));
			jw_obj(w);
			jw_kstr(w, "rule", name);
			jw_key(w, "flowTuples");
			jw_arr(w);
			while (j < fl->n && fl->v[j].nic == r0->nic && fl->v[j].minute == r0->minute && fl->v[j].nsg == nsg &&
			       fl->v[j].rule == rule) {
				tuple_v4(text, sizeof(text), &fl->v[j++]);
				jw_str(w, text);
			}
			jw_end_arr(w);
			jw_end_obj(w);
		}
		jw_end_arr(w);
		jw_end_obj(w);
	}
	jw_end_arr(w);
	jw_end_obj(w);
	jw_end_obj(w);
	return j;
}

/* A log: {"records": [...]}, the tuples sorted by cmp, each record written by rec. */
static int write_log(struct flowlog *fl, const char *path, int (*cmp)(const void *, const void *),
		     size_t (*rec)(const struct flowlog *, size_t, struct jw *), struct nws_err *err)
{
	FILE *f;
	struct jw w;

	if (fl->oom)
		return nws_err_set(err, "%s: out of memory collecting flow log tuples", path);
	f = fopen(path, "w");
	if (!f)
		return nws_err_set(err, "%s: cannot write: %s", path, strerror(errno));
	if (fl->n > 1) /* qsort wants a real array, which an empty log does not have */
		qsort(fl->v, fl->n, sizeof(*fl->v), cmp);
	jw_init(&w, f, true);
	jw_obj(&w);
	jw_key(&w, "records");
	jw_arr(&w);
	for (size_t i = 0; i < fl->n;)
		i = rec(fl, i, &w);
	jw_end_arr(&w);
	jw_end_obj(&w);
	jw_done(&w);
	return cli_close_file(f, path, err);
}

int flowlog_write(struct flowlog *fl, const char *path, struct nws_err *err)
{
	return write_log(fl, path, by_record, nsg_record, err);
}

int flowlog_write_vnet(struct flowlog *fl, const char *path, struct nws_err *err)
{
	return write_log(fl, path, by_nic_record, vnet_record, err);
}
