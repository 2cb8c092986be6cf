/* The summary of a replay or a run: where every packet went, as a table or as JSON. */
#include <inttypes.h>
#include <stdio.h>

#include "jw.h"
#include "names.h"
#include "summary.h"

const char *const summary_end_name[PATH_END_COUNT] = { "vm", "internet", "onPremises", "network" };

uint64_t summary_sum(const uint64_t *v, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s;
}

bool summary_balanced(const struct dp_counters *c)
{
	return c->received == summary_sum(c->delivered, PATH_END_COUNT) + summary_sum(c->dropped, PATH_DROP_COUNT) +
				      summary_sum(c->unparsed, DP_UNPARSED_COUNT);
}

static void json_counts(struct jw *w, const char *key, uint64_t packets, uint64_t bytes)
{
	jw_key(w, key);
	jw_obj(w);
	jw_key(w, "packets");
	jw_int(w, (long long)packets);
	jw_key(w, "bytes");
	jw_int(w, (long long)bytes);
	jw_end_obj(w);
}

void summary_json(FILE *f, const struct dp_engine *e, const struct source_stat *cs, int ncs, bool balanced,
		  const struct summary_run *run)
{
	const struct dp_counters *c = &e->c;
	const struct topo *t = e->path->t;
	struct jw w;
	char name[256];

	const char *cs_key = ncs && cs[0].is_port ? "ports" : "captures";

	jw_init(&w, f, true);
	jw_obj(&w);
	jw_key(&w, cs_key);
	jw_arr(&w);
	for (int i = 0; i < ncs; i++) {
		jw_obj(&w);
		jw_key(&w, cs[i].is_port ? "port" : "file");
		jw_str(&w, cs[i].file);
		if (cs[i].linktype) {
			jw_key(&w, cs[i].is_port ? "driver" : "linkType");
			jw_str(&w, cs[i].linktype);
		}
		jw_key(&w, "packets");
		jw_int(&w, (long long)cs[i].packets);
		if (cs[i].error) {
			jw_key(&w, "error");
			jw_str(&w, cs[i].error);
		}
		if (cs[i].port_counted) {
			jw_key(&w, "sent");
			jw_int(&w, (long long)cs[i].sent);
			jw_key(&w, "portCounters");
			jw_obj(&w);
			jw_key(&w, "in");
			jw_int(&w, (long long)cs[i].port_in);
			jw_key(&w, "out");
			jw_int(&w, (long long)cs[i].port_out);
			jw_key(&w, "missed");
			jw_int(&w, (long long)cs[i].port_missed);
			jw_end_obj(&w);
		}
		jw_end_obj(&w);
	}
	jw_end_arr(&w);
	json_counts(&w, "received", c->received, c->received_bytes);
	jw_key(&w, "delivered");
	jw_obj(&w);
	jw_key(&w, "packets");
	jw_int(&w, (long long)summary_sum(c->delivered, PATH_END_COUNT));
	jw_key(&w, "bytes");
	jw_int(&w, (long long)summary_sum(c->delivered_bytes, PATH_END_COUNT));
	jw_key(&w, "byDestination");
	jw_obj(&w);
	for (int i = 0; i < PATH_END_COUNT; i++)
		if (i != PATH_END_NETWORK || c->delivered[i])
			json_counts(&w, summary_end_name[i], c->delivered[i], c->delivered_bytes[i]);
	jw_end_obj(&w);
	jw_end_obj(&w);
	jw_key(&w, "dropped");
	jw_obj(&w);
	jw_key(&w, "packets");
	jw_int(&w, (long long)summary_sum(c->dropped, PATH_DROP_COUNT));
	jw_key(&w, "bytes");
	jw_int(&w, (long long)summary_sum(c->dropped_bytes, PATH_DROP_COUNT));
	jw_key(&w, "byReason");
	jw_obj(&w);
	for (int i = 0; i < PATH_DROP_COUNT; i++)
		if (c->dropped[i])
			json_counts(&w, path_drop_name[i], c->dropped[i], c->dropped_bytes[i]);
	jw_end_obj(&w);
	jw_key(&w, "byRule");
	jw_arr(&w);
	for (size_t g = 0; g < t->nnsgs; g++)
		for (size_t r = 0; r < t->nsgs[g].nrules; r++) {
			uint64_t n = c->rule_drops[t->nsgs[g].rules[r].id];

			if (!n)
				continue;
			jw_obj(&w);
			jw_key(&w, "networkSecurityGroup");
			jw_str(&w, t->nsgs[g].name);
			jw_key(&w, "rule");
			jw_str(&w, names_rule(&t->nsgs[g].rules[r], name, sizeof(name)));
			jw_key(&w, "packets");
			jw_int(&w, (long long)n);
			jw_end_obj(&w);
		}
	jw_end_arr(&w);
	jw_end_obj(&w);
	jw_key(&w, "unparsed");
	jw_obj(&w);
	jw_key(&w, "packets");
	jw_int(&w, (long long)summary_sum(c->unparsed, DP_UNPARSED_COUNT));
	jw_key(&w, "bytes");
	jw_int(&w, (long long)summary_sum(c->unparsed_bytes, DP_UNPARSED_COUNT));
	jw_key(&w, "byReason");
	jw_obj(&w);
	for (int i = 0; i < DP_UNPARSED_COUNT; i++)
		if (c->unparsed[i])
			json_counts(&w, dp_unparsed_name[i], c->unparsed[i], c->unparsed_bytes[i]);
	jw_end_obj(&w);
	jw_end_obj(&w);
	jw_key(&w, "flows");
	jw_obj(&w);
	jw_key(&w, "admitted");
	jw_int(&w, (long long)c->flows_admitted);
	jw_key(&w, "packetsOfAdmittedFlows");
	jw_int(&w, (long long)c->stateful);
	jw_key(&w, "agedOut");
	jw_int(&w, (long long)c->flows_expired);
	jw_key(&w, "tableFull");
	jw_int(&w, (long long)c->flow_table_full);
	jw_key(&w, "fragmentsWithoutFirst");
	jw_int(&w, (long long)c->fragments_unmatched);
	jw_end_obj(&w);
	jw_key(&w, "ruleHits");
	jw_arr(&w);
	for (size_t g = 0; g < t->nnsgs; g++)
		for (size_t r = 0; r < t->nsgs[g].nrules; r++) {
			uint64_t n = c->rule_hits[t->nsgs[g].rules[r].id];

			if (!n)
				continue;
			jw_obj(&w);
			jw_key(&w, "networkSecurityGroup");
			jw_str(&w, t->nsgs[g].name);
			jw_key(&w, "rule");
			jw_str(&w, names_rule(&t->nsgs[g].rules[r], name, sizeof(name)));
			jw_key(&w, "access");
			jw_str(&w, az_access_name[t->nsgs[g].rules[r].access]);
			jw_key(&w, "hits");
			jw_int(&w, (long long)n);
			jw_end_obj(&w);
		}
	jw_end_arr(&w);
	jw_key(&w, "networkInterfaces");
	jw_arr(&w);
	for (size_t n = 0; n < t->nnics; n++) {
		if (!c->nic_sent[n] && !c->nic_received[n] && !c->nic_dropped[n])
			continue;
		jw_obj(&w);
		jw_key(&w, "name");
		jw_str(&w, t->nics[n].name);
		jw_key(&w, "sent");
		jw_int(&w, (long long)c->nic_sent[n]);
		jw_key(&w, "received");
		jw_int(&w, (long long)c->nic_received[n]);
		jw_key(&w, "droppedHere");
		jw_int(&w, (long long)c->nic_dropped[n]);
		jw_end_obj(&w);
	}
	jw_end_arr(&w);
	if (run) {
		jw_key(&w, "sendFailed");
		jw_int(&w, (long long)run->tx_failed);
		jw_key(&w, "policy");
		jw_obj(&w);
		jw_key(&w, "reloads");
		jw_int(&w, run->reloads);
		jw_key(&w, "reloadsRefused");
		jw_int(&w, run->refused);
		jw_key(&w, "versions");
		jw_arr(&w);
		for (size_t i = 0; i < run->nv; i++) {
			jw_obj(&w);
			jw_key(&w, "version");
			jw_int(&w, run->v[i].version);
			jw_key(&w, "received");
			jw_int(&w, (long long)run->v[i].received);
			jw_key(&w, "delivered");
			jw_int(&w, (long long)run->v[i].delivered);
			jw_key(&w, "dropped");
			jw_int(&w, (long long)run->v[i].dropped);
			jw_key(&w, "unparsed");
			jw_int(&w, (long long)run->v[i].unparsed);
			jw_end_obj(&w);
		}
		jw_end_arr(&w);
		jw_end_obj(&w);
	}
	jw_key(&w, "accountingBalanced");
	jw_bool(&w, balanced);
	jw_end_obj(&w);
	jw_done(&w);
}

void summary_table(const struct dp_engine *e, const struct source_stat *cs, int ncs, bool balanced)
{
	const struct dp_counters *c = &e->c;
	const struct topo *t = e->path->t;
	uint64_t dl = summary_sum(c->delivered, PATH_END_COUNT), dr = summary_sum(c->dropped, PATH_DROP_COUNT), un = summary_sum(c->unparsed, DP_UNPARSED_COUNT);
	char name[256];

	for (int i = 0; i < ncs; i++) {
		printf("%s %-48s %-12s %10" PRIu64 " packets\n", cs[i].is_port ? "port   " : "capture", cs[i].file,
		       cs[i].linktype ? cs[i].linktype : "-", cs[i].packets);
		if (cs[i].error)
			printf("        error: %s\n", cs[i].error);
	}
	printf("\n%-44s %12s %14s\n", "", "packets", "bytes");
	printf("%-44s %12" PRIu64 " %14" PRIu64 "\n", "received", c->received, c->received_bytes);
	printf("%-44s %12" PRIu64 " %14" PRIu64 "\n", "delivered", dl, summary_sum(c->delivered_bytes, PATH_END_COUNT));
	for (int i = 0; i < PATH_END_COUNT; i++)
		if (c->delivered[i])
			printf("  to %-40s %12" PRIu64 " %14" PRIu64 "\n", summary_end_name[i], c->delivered[i], c->delivered_bytes[i]);
	printf("%-44s %12" PRIu64 " %14" PRIu64 "\n", "dropped", dr, summary_sum(c->dropped_bytes, PATH_DROP_COUNT));
	for (int i = 0; i < PATH_DROP_COUNT; i++)
		if (c->dropped[i])
			printf("  %-42s %12" PRIu64 " %14" PRIu64 "\n", path_drop_name[i], c->dropped[i], c->dropped_bytes[i]);
	printf("%-44s %12" PRIu64 " %14" PRIu64 "\n", "unparsed", un, summary_sum(c->unparsed_bytes, DP_UNPARSED_COUNT));
	for (int i = 0; i < DP_UNPARSED_COUNT; i++)
		if (c->unparsed[i])
			printf("  %-42s %12" PRIu64 " %14" PRIu64 "\n", dp_unparsed_name[i], c->unparsed[i], c->unparsed_bytes[i]);
	printf("\naccounting: received %" PRIu64 " = delivered %" PRIu64 " + dropped %" PRIu64 " + unparsed %" PRIu64 ": %s\n",
	       c->received, dl, dr, un, balanced ? "balanced" : "NOT BALANCED");
	printf("flows admitted %" PRIu64 ", packets passed as part of an admitted flow %" PRIu64 ", flows aged out %" PRIu64
	       "\n",
	       c->flows_admitted, c->stateful, c->flows_expired);
	if (c->flow_table_full)
		printf("warning: the flow table was full %" PRIu64 " times; those flows were not remembered (see --flows)\n",
		       c->flow_table_full);
	bool head = false;

	for (size_t g = 0; g < t->nnsgs; g++)
		for (size_t r = 0; r < t->nsgs[g].nrules; r++) {
			size_t id = t->nsgs[g].rules[r].id;

			if (!c->rule_hits[id])
				continue;
			if (!head)
				printf("\n%-20s %-52s %-6s %10s %10s\n", "NSG", "rule", "access", "hits", "dropped");
			head = true;
			printf("%-20s %-52s %-6s %10" PRIu64 " %10" PRIu64 "\n", t->nsgs[g].name,
			       names_rule(&t->nsgs[g].rules[r], name, sizeof(name)), az_access_name[t->nsgs[g].rules[r].access],
			       c->rule_hits[id], c->rule_drops[id]);
		}
	head = false;
	for (size_t n = 0; n < t->nnics; n++) {
		if (!c->nic_sent[n] && !c->nic_received[n] && !c->nic_dropped[n])
			continue;
		if (!head)
			printf("\n%-28s %10s %10s %12s\n", "network interface", "sent", "received", "dropped here");
		head = true;
		printf("%-28s %10" PRIu64 " %10" PRIu64 " %12" PRIu64 "\n", t->nics[n].name, c->nic_sent[n], c->nic_received[n],
		       c->nic_dropped[n]);
	}
}

