#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "cli.h"
#include "flowlog.h"
#include "jw.h"

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

static void put(struct flowlog *fl, int inst, int nic, const struct topo_rule *rule, uint64_t ts_ns, const char *text)
{
	struct flowlog_tuple *tp;

	if (inst < 0 || !rule || !(tp = add(fl)))
		return;
	tp->nsg = fl->m->inst[inst].nsg;
	tp->nic = nic;
	tp->rule = rule;
	tp->minute = ts_ns / 60000000000ull;
	snprintf(tp->text, sizeof(tp->text), "%s", text);
}

void flowlog_denied(struct flowlog *fl, const struct dp_item *it, const struct dp_outcome *o)
{
	const struct path_result *r = &o->r;

	if (it->unparsed >= 0 || r->delivered || (r->reason != PATH_DROP_NSG_INBOUND && r->reason != PATH_DROP_NSG_OUTBOUND))
		return;
	const struct path_hop *h = &r->hops[r->drop_hop];
	enum az_dir dir = r->reason == PATH_DROP_NSG_INBOUND ? AZ_INBOUND : AZ_OUTBOUND;
	const struct nsg_verdict *v = dir == AZ_INBOUND ? &h->nsg_in : &h->nsg_out;
	char text[200];

	tuple(text, sizeof(text), it->ts_ns, &it->pkt.flow, dir, false, 'D', NULL, NULL);
	put(fl, v->inst, h->nic, v->rule, it->ts_ns, text);
}

void flowlog_flow(struct flowlog *fl, const struct dp_flow_entry *fe, const struct dp_flow_info *fi, bool ended)
{
	char b[200], c[200];

	for (int k = 0; k < fi->nnsg; k++) {
		const struct dp_flow_nsg *n = &fi->nsg[k];

		tuple(b, sizeof(b), fi->first_ns, &fi->init, (enum az_dir)n->dir, true, 'B', NULL, NULL);
		put(fl, n->inst, n->nic, n->rule, fi->first_ns, b);
		tuple(c, sizeof(c), fe->last_ns, &fi->init, (enum az_dir)n->dir, true, ended ? 'E' : 'C', fi->packets, fi->bytes);
		put(fl, n->inst, n->nic, n->rule, fe->last_ns, c);
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

static int by_record(const void *a, const void *b)
{
	const struct flowlog_tuple *x = a, *y = b;

	if (x->nsg != y->nsg)
		return x->nsg < y->nsg ? -1 : 1;
	if (x->minute != y->minute)
		return x->minute < y->minute ? -1 : 1;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	if (x->nic != y->nic)
		return x->nic < y->nic ? -1 : 1;
	return strcmp(x->text, y->text);
}

static void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 32);
}

int flowlog_write(struct flowlog *fl, const char *path, struct nws_err *err)
{
	FILE *f;
	struct jw w;

	if (fl->oom)
		return nws_err_set(err, "%s: out of memory collecting flow log tuples", path);
	f = fopen(path, "w");
	if (!f)
		return nws_err_set(err, "%s: cannot write: %s", path, strerror(errno));
	if (fl->n > 1) /* qsort wants a real array, which an empty log does not have */
		qsort(fl->v, fl->n, sizeof(*fl->v), by_record);
	jw_init(&w, f, true);
	jw_obj(&w);
	jw_key(&w, "records");
	jw_arr(&w);
	for (size_t i = 0; i < fl->n;) {
		const struct flowlog_tuple *r0 = &fl->v[i];
		char tbuf[32], id[512], name[300];
		time_t secs = (time_t)(r0->minute * 60);
		struct tm tm;

		gmtime_r(&secs, &tm);
		strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S.0000000Z", &tm);
		snprintf(id, sizeof(id), "%s", fl->t->nsgs[r0->nsg].id);
		upper(id); /* Azure writes resource ids in flow logs upper-case */
		jw_obj(&w);
		jw_key(&w, "time");
		jw_str(&w, tbuf);
		jw_key(&w, "category");
		jw_str(&w, "NetworkSecurityGroupFlowEvent");
		jw_key(&w, "resourceId");
		jw_str(&w, id);
		jw_key(&w, "operationName");
		jw_str(&w, "NetworkSecurityGroupFlowEvents");
		jw_key(&w, "properties");
		jw_obj(&w);
		jw_key(&w, "Version");
		jw_int(&w, 2);
		jw_key(&w, "flows");
		jw_arr(&w);
		size_t j = i;

		while (j < fl->n && fl->v[j].nsg == r0->nsg && fl->v[j].minute == r0->minute) {
			const struct topo_rule *rule = fl->v[j].rule;

			snprintf(name, sizeof(name), "%s%s", rule->is_default ? "DefaultRule_" : "UserRule_", rule->name);
			jw_obj(&w);
			jw_key(&w, "rule");
			jw_str(&w, name);
			jw_key(&w, "flows");
			jw_arr(&w);
			while (j < fl->n && fl->v[j].nsg == r0->nsg && fl->v[j].minute == r0->minute && fl->v[j].rule == rule) {
				int nic = fl->v[j].nic;

				jw_obj(&w);
				jw_key(&w, "mac");
				jw_str(&w, nic >= 0 ? fl->t->nics[nic].mac : "000000000000");
				jw_key(&w, "flowTuples");
				jw_arr(&w);
				while (j < fl->n && fl->v[j].nsg == r0->nsg && fl->v[j].minute == r0->minute &&
				       fl->v[j].rule == rule && fl->v[j].nic == nic)
					jw_str(&w, fl->v[j++].text);
				jw_end_arr(&w);
				jw_end_obj(&w);
			}
			jw_end_arr(&w);
			jw_end_obj(&w);
		}
		jw_end_arr(&w);
		jw_end_obj(&w);
		jw_end_obj(&w);
		i = j;
	}
	jw_end_arr(&w);
	jw_end_obj(&w);
	jw_done(&w);
	return cli_close_file(f, path, err);
}
