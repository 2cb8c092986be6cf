/*
 * The engine's counting: a packet's fate, the rules that judged it, what a flow's record keeps.
 * Included by dp_engine.c alone: static, so that the burst loop's copies per mode inline them.
 */
#ifndef DP_ENGINE_COUNT_H
#define DP_ENGINE_COUNT_H

#include "dp_engine.h"
#include "dp_pathcache.h"

#define HAS(mode, flag) (((mode) & (flag)) != 0)

/*
 * Count one packet's fate: every packet lands in exactly one counter. sent: the NIC that sent it;
 * at: the VM's NIC it reached when delivered to one, or where it was dropped. Both as dp_nic_slot
 * gives them. Inlined: a cached packet's answer is mostly this.
 */
static inline __attribute__((always_inline)) void count_fate(struct dp_engine *e, struct dp_burst_count *n, uint32_t len,
							      bool delivered, int code, int sent, int at)
{
	e->c.nic_sent[sent]++;
	if (delivered) {
		n->delivered[code]++;
		n->delivered_bytes[code] += len;
		e->c.nic_received[at]++;
	} else {
		n->dropped[code]++;
		n->dropped_bytes[code] += len;
		e->c.nic_dropped[at]++;
	}
}

/* Count one walked packet: its fate (its verdict v), and the rules that judged it on the way. */
static void count_walked(struct dp_engine *e, struct dp_burst_count *n, const struct dp_item *it, const struct dp_verdict *v,
			 const struct path_result *r)
{
	int nnics = e->path->t->nnics;

	count_fate(e, n, it->wire_len, v->delivered, v->code, dp_nic_slot(v->sent, nnics), dp_nic_slot(v->at, nnics));
	if (v->rule_id)
		e->c.rule_drops[v->rule_id]++;
	for (int h = 0; h < r->nhops; h++) {
		const struct path_hop *hp = &r->hops[h];

		if (hp->has_in && hp->nsg_in.rule)
			e->c.rule_hits[hp->nsg_in.rule_id]++;
		if (hp->has_out && hp->nsg_out.rule)
			e->c.rule_hits[hp->nsg_out.rule_id]++;
	}
}

/* The NSGs that let the flow's first packet through, for its flow log tuples. */
static void remember_nsgs(struct dp_flow_info *fe, const struct path_result *r)
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

/* FIN or RST: the flow log's E state. */
static inline bool tcp_end(const struct dp_item *it)
{
	return it->pkt.flow.proto == AZ_PROTO_TCP && (it->pkt.tcp_flags & (DP_TCP_FIN | DP_TCP_RST));
}

static inline __attribute__((always_inline)) void flow_touch(const struct dp_engine *e, struct dp_flow_entry *fe,
							      int dir, const struct dp_item *it, uint64_t clk,
							      const unsigned mode)
{
	if (HAS(mode, DP_ENGINE_FLOW_INFO)) { /* a line of its own: only flow logs count a flow's packets */
		struct dp_flow_info *fi = dp_flow_info(&e->flows, fe);

		fi->packets[dir]++;
		fi->bytes[dir] += it->wire_len;
	}
	fe->last_ns = clk;
	if (tcp_end(it))
		fe->ended = true;
}

#endif
