#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>

#include "dp_engine.h"

struct frag_key {
	uint8_t fam, proto;
	uint8_t pad[2];
	uint32_t id;
	uint8_t src[16], dst[16];
};

#define FRAG_ENTRIES 65536

int dp_engine_init(struct dp_engine *e, const struct dp_path *p, uint32_t flow_capacity, struct nws_err *err)
{
	static unsigned seq;
	const struct topo *t = p->t;
	char name[RTE_HASH_NAMESIZE];

	memset(e, 0, sizeof(*e));
	e->path = p;
	e->rule_base = calloc(t->nnsgs + 1, sizeof(*e->rule_base));
	if (!e->rule_base)
		return nws_err_set(err, "out of memory");
	for (size_t g = 0; g < t->nnsgs; g++) {
		e->rule_base[g] = e->nrules;
		e->nrules += t->nsgs[g].nrules;
	}
	e->c.rule_hits = calloc(e->nrules + 1, sizeof(uint64_t));
	e->c.rule_drops = calloc(e->nrules + 1, sizeof(uint64_t));
	e->c.nic_sent = calloc(t->nnics + 1, sizeof(uint64_t));
	e->c.nic_received = calloc(t->nnics + 1, sizeof(uint64_t));
	e->c.nic_dropped = calloc(t->nnics + 1, sizeof(uint64_t));
	e->frag_ports = calloc(FRAG_ENTRIES, sizeof(uint32_t));
	snprintf(name, sizeof(name), "frags-%u", seq++);
	struct rte_hash_parameters hp = {
		.name = name, .entries = FRAG_ENTRIES, .key_len = sizeof(struct frag_key), .hash_func = rte_jhash,
		.socket_id = SOCKET_ID_ANY,
	};

	e->frags = rte_hash_create(&hp);
	if (!e->c.rule_hits || !e->c.rule_drops || !e->c.nic_sent || !e->c.nic_received || !e->c.nic_dropped || !e->frag_ports ||
	    !e->frags) {
		dp_engine_free(e);
		return nws_err_set(err, "out of memory for a worker's tables");
	}
	if (dp_flow_init(&e->flows, flow_capacity, (uint64_t)DP_FLOW_IDLE_S * 1000000000ull, err) < 0) {
		dp_engine_free(e);
		return -1;
	}
	return 0;
}

void dp_engine_free(struct dp_engine *e)
{
	if (!e)
		return;
	dp_flow_free(&e->flows);
	rte_hash_free(e->frags);
	free(e->frag_ports);
	free(e->c.rule_hits);
	free(e->c.rule_drops);
	free(e->c.nic_sent);
	free(e->c.nic_received);
	free(e->c.nic_dropped);
	free(e->rule_base);
	memset(e, 0, sizeof(*e));
}

size_t dp_engine_rule_id(const struct dp_engine *e, const struct topo_rule *r)
{
	const struct topo *t = e->path->t;

	for (size_t g = 0; g < t->nnsgs; g++)
		if (r >= t->nsgs[g].rules && r < t->nsgs[g].rules + t->nsgs[g].nrules)
			return e->rule_base[g] + (size_t)(r - t->nsgs[g].rules);
	return e->nrules; /* not an NSG rule: the spare slot */
}

static void frag_key(struct frag_key *k, const struct dp_pkt *p)
{
	memset(k, 0, sizeof(*k));
	k->fam = p->flow.src.fam;
	k->proto = p->flow.proto;
	k->id = p->frag_id;
	nws_ip_bytes(&p->flow.src, k->src);
	nws_ip_bytes(&p->flow.dst, k->dst);
}

/*
 * Fragments: the first carries the ports; later ones borrow them from it, so they meet the same
 * rules and flow. A later fragment whose first was not seen is judged without ports.
 */
static void join_fragment(struct dp_engine *e, struct dp_pkt *p)
{
	struct frag_key k;

	if (p->frag == DP_FRAG_NONE || (p->flow.proto != AZ_PROTO_TCP && p->flow.proto != AZ_PROTO_UDP))
		return;
	frag_key(&k, p);
	if (p->frag == DP_FRAG_FIRST) {
		int32_t pos = rte_hash_add_key(e->frags, &k);

		if (pos >= 0)
			e->frag_ports[pos] = (uint32_t)p->flow.sport << 16 | p->flow.dport;
		return;
	}
	int32_t pos = rte_hash_lookup(e->frags, &k);

	if (pos < 0) {
		e->c.fragments_unmatched++;
		return;
	}
	p->flow.sport = (uint16_t)(e->frag_ports[pos] >> 16);
	p->flow.dport = (uint16_t)e->frag_ports[pos];
	p->flow.has_ports = true;
}

static void count_rules(struct dp_engine *e, const struct path_result *r)
{
	for (int h = 0; h < r->nhops; h++) {
		const struct path_hop *hp = &r->hops[h];

		if (hp->has_in && hp->nsg_in.rule)
			e->c.rule_hits[dp_engine_rule_id(e, hp->nsg_in.rule)]++;
		if (hp->has_out && hp->nsg_out.rule)
			e->c.rule_hits[dp_engine_rule_id(e, hp->nsg_out.rule)]++;
	}
}

/* The NSGs that let the flow's first packet through, for its flow log tuples. */
static void remember_nsgs(struct dp_flow_entry *fe, const struct path_result *r)
{
	fe->nnsg = 0;
	for (int h = 0; h < r->nhops; h++) {
		const struct path_hop *hp = &r->hops[h];
		const struct nsg_verdict *v[2] = { hp->has_out ? &hp->nsg_out : NULL, hp->has_in ? &hp->nsg_in : NULL };
		const enum az_dir d[2] = { AZ_OUTBOUND, AZ_INBOUND };

		for (int k = 0; k < 2; k++)
			for (int l = 0; v[k] && l < v[k]->nlevels && fe->nnsg < DP_FLOW_NSG_MAX; l++)
				fe->nsg[fe->nnsg++] = (struct dp_flow_nsg){
					.inst = v[k]->level_inst[l], .nic = hp->nic, .dir = (uint8_t)d[k], .rule = v[k]->level_rule[l],
				};
	}
}

_Static_assert(PATH_MAX_HOPS == 8, "struct dp_flow_path holds PATH_MAX_HOPS hops");

static void path_save(struct dp_flow_path *c, const struct path_result *r)
{
	c->valid = 1;
	c->nhops = (uint8_t)r->nhops;
	c->delivered = r->delivered;
	c->code = (uint8_t)(r->delivered ? (int)r->end : (int)r->reason);
	c->drop_hop = (uint8_t)r->drop_hop;
	c->origin = (uint8_t)r->origin;
	for (int h = 0; h < r->nhops; h++) {
		c->hop[h].nic = (int16_t)r->hops[h].nic;
		c->hop[h].vnet = (int16_t)r->hops[h].vnet;
		c->hop[h].kind = (uint8_t)r->hops[h].kind;
		c->hop[h].ipcfg = (uint8_t)r->hops[h].ipcfg;
		c->hop[h].route = r->hops[h].route;
	}
}

/* The result a walk without NSGs would give, from the flow's cached path. */
static void path_load(const struct dp_flow_path *c, struct path_result *r)
{
	r->nhops = c->nhops;
	r->delivered = c->delivered;
	r->end = c->delivered ? (enum path_end)c->code : 0;
	r->reason = c->delivered ? 0 : (enum path_drop)c->code;
	r->drop_hop = c->drop_hop;
	r->origin = (enum path_origin)c->origin;
	for (int h = 0; h < c->nhops; h++) {
		struct path_hop *hp = &r->hops[h];

		hp->kind = (enum path_hop_kind)c->hop[h].kind;
		hp->nic = c->hop[h].nic;
		hp->ipcfg = c->hop[h].ipcfg;
		hp->vnet = c->hop[h].vnet;
		hp->route = c->hop[h].route;
		hp->has_in = hp->has_out = false;
	}
}

/* The packets of a burst waiting for one path walk. */
struct pending {
	struct nws_flow f[DP_PATH_BURST];
	bool skip[DP_PATH_BURST], lo_src[DP_PATH_BURST];
	struct dp_flow_key key[DP_PATH_BURST];
	uint32_t khash[DP_PATH_BURST];
	struct path_result *res[DP_PATH_BURST]; /* into the caller's outcomes */
	struct dp_flow_entry *fe[DP_PATH_BURST]; /* the admitted flow, for its path cache */
	int8_t dir[DP_PATH_BURST];
	uint8_t idx[DP_PATH_BURST];
	unsigned k;
};

/* Count one walked (or cached) packet: every packet lands in exactly one counter. */
static void account(struct dp_engine *e, const struct dp_item *it, const struct path_result *r)
{
	if (r->hops[0].kind == PATH_HOP_SOURCE)
		e->c.nic_sent[r->hops[0].nic]++;
	if (r->delivered) {
		e->c.delivered[r->end]++;
		e->c.delivered_bytes[r->end] += it->wire_len;
		if (r->end == PATH_END_VM)
			e->c.nic_received[r->hops[r->nhops - 1].nic]++;
		return;
	}
	e->c.dropped[r->reason]++;
	e->c.dropped_bytes[r->reason] += it->wire_len;
	const struct path_hop *h = &r->hops[r->drop_hop];

	if (h->nic >= 0)
		e->c.nic_dropped[h->nic]++;
	if (r->reason == PATH_DROP_NSG_INBOUND || r->reason == PATH_DROP_NSG_OUTBOUND) {
		const struct nsg_verdict *v = r->reason == PATH_DROP_NSG_INBOUND ? &h->nsg_in : &h->nsg_out;

		if (v->rule)
			e->c.rule_drops[dp_engine_rule_id(e, v->rule)]++;
	}
}

static void flush(struct dp_engine *e, struct pending *pd, struct dp_item *const *it, struct dp_outcome *const *out)
{
	if (!pd->k)
		return;
	dp_path_walk_into(e->path, pd->f, pd->skip, pd->res, pd->k);
	for (unsigned j = 0; j < pd->k; j++) {
		unsigned i = pd->idx[j];
		const struct path_result *r = pd->res[j];

		out[i]->stateful = pd->skip[j];
		if (pd->skip[j])
			e->c.stateful++;
		if (pd->fe[j])
			path_save(&pd->fe[j]->path[pd->dir[j]], r);
		account(e, it[i], r);
		if (r->delivered && !pd->skip[j]) {
			struct dp_flow_entry *fe = dp_flow_admit(&e->flows, &pd->key[j], pd->lo_src[j], it[i]->ts_ns);

			if (fe) {
				e->c.flows_admitted++;
				fe->packets[0] = 1;
				fe->bytes[0] = it[i]->wire_len;
				fe->init = pd->f[j];
				remember_nsgs(fe, r);
				path_save(&fe->path[0], r);
				out[i]->flow_dir = 0;
			} else {
				e->c.flow_table_full++;
			}
		}
		count_rules(e, r);
	}
	pd->k = 0;
}

void dp_engine_burst(struct dp_engine *e, struct dp_item *const *it, struct dp_outcome *const *out, unsigned n)
{
	struct pending pd;

	pd.k = 0;
	for (unsigned i = 0; i < n; i++) {
		e->c.received++;
		e->c.received_bytes += it[i]->wire_len;
		out[i]->stateful = false;
		out[i]->flow_dir = -1;
		if (it[i]->unparsed >= 0) {
			e->c.unparsed[it[i]->unparsed]++;
			e->c.unparsed_bytes[it[i]->unparsed] += it[i]->wire_len;
			continue;
		}
		join_fragment(e, &it[i]->pkt);
		unsigned k = pd.k;

		pd.f[k] = it[i]->pkt.flow;
		dp_flow_key(&pd.key[k], &pd.f[k], &pd.lo_src[k]);
		pd.khash[k] = rte_jhash(&pd.key[k], sizeof(pd.key[k]), 0);
		/*
		 * A packet of a flow that an earlier packet of this burst may admit (a SYN and its
		 * SYN-ACK) must see that admission: walk what is pending first.
		 */
		for (unsigned j = 0; j < k; j++)
			if (!pd.skip[j] && pd.khash[j] == pd.khash[k] && !memcmp(&pd.key[j], &pd.key[k], sizeof(pd.key[k]))) {
				struct dp_flow_key kk = pd.key[k];
				uint32_t kh = pd.khash[k];
				bool lo = pd.lo_src[k];

				flush(e, &pd, it, out);
				k = 0;
				pd.f[0] = it[i]->pkt.flow;
				pd.key[0] = kk;
				pd.khash[0] = kh;
				pd.lo_src[0] = lo;
				break;
			}
		struct dp_flow_entry *fe = dp_flow_find(&e->flows, &pd.key[k], pd.lo_src[k], it[i]->ts_ns, &out[i]->flow_dir);

		pd.skip[k] = fe != NULL;
		pd.fe[k] = fe;
		pd.dir[k] = (int8_t)out[i]->flow_dir;
		if (fe) {
			fe->packets[out[i]->flow_dir]++;
			fe->bytes[out[i]->flow_dir] += it[i]->wire_len;
			/* FIN or RST: the flow log's E state. */
			if (it[i]->pkt.flow.proto == AZ_PROTO_TCP && (it[i]->pkt.tcp_flags & 0x05))
				fe->ended = true;
			/* A path already known for this direction needs no walk. */
			if (fe->path[out[i]->flow_dir].valid) {
				path_load(&fe->path[out[i]->flow_dir], &out[i]->r);
				out[i]->stateful = true;
				e->c.stateful++;
				account(e, it[i], &out[i]->r);
				continue;
			}
		}
		pd.idx[k] = (uint8_t)i;
		pd.res[k] = &out[i]->r;
		pd.k = k + 1;
	}
	flush(e, &pd, it, out);
}

void dp_counters_add(struct dp_counters *dst, const struct dp_counters *src, size_t nrules, size_t nnics)
{
	dst->received += src->received;
	dst->received_bytes += src->received_bytes;
	for (int i = 0; i < PATH_END_COUNT; i++) {
		dst->delivered[i] += src->delivered[i];
		dst->delivered_bytes[i] += src->delivered_bytes[i];
	}
	for (int i = 0; i < PATH_DROP_COUNT; i++) {
		dst->dropped[i] += src->dropped[i];
		dst->dropped_bytes[i] += src->dropped_bytes[i];
	}
	for (int i = 0; i < DP_UNPARSED_COUNT; i++) {
		dst->unparsed[i] += src->unparsed[i];
		dst->unparsed_bytes[i] += src->unparsed_bytes[i];
	}
	dst->stateful += src->stateful;
	dst->flows_admitted += src->flows_admitted;
	dst->flow_table_full += src->flow_table_full;
	dst->fragments_unmatched += src->fragments_unmatched;
	for (size_t r = 0; r <= nrules; r++) {
		dst->rule_hits[r] += src->rule_hits[r];
		dst->rule_drops[r] += src->rule_drops[r];
	}
	for (size_t n = 0; n < nnics; n++) {
		dst->nic_sent[n] += src->nic_sent[n];
		dst->nic_received[n] += src->nic_received[n];
		dst->nic_dropped[n] += src->nic_dropped[n];
	}
}
