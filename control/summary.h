/* The summary of a replay or a run: counters, rule hits, NICs, and the accounting check. */
#ifndef SUMMARY_H
#define SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

#include "dp_engine.h"

/* Where packets came from: a capture file, or a port. */
struct source_stat {
	const char *file;     /* the capture's name, or the port's */
	const char *linktype; /* the capture's link type, or the port's driver */
	uint64_t packets;
	bool is_port;
	const char *error;    /* a capture that could not be read, or not to its end: why */
	bool port_counted;    /* a port whose own counters were read: */
	uint64_t port_in, port_out, port_missed, sent;
};

/* What a run adds: each policy version's share of the packets (hot reloads). */
struct summary_version {
	uint32_t version;
	uint64_t received, delivered, dropped, unparsed;
};

struct summary_run {
	uint32_t reloads, refused;
	const struct summary_version *v;
	size_t nv;
	uint64_t tx_failed;
};

/* Where delivered packets went, as reports name it (enum path_end). */
extern const char *const summary_end_name[PATH_END_COUNT];

uint64_t summary_sum(const uint64_t *v, size_t n);
/* received = delivered + dropped + unparsed */
bool summary_balanced(const struct dp_counters *c);
/* run: NULL for a replay. */
void summary_json(FILE *f, const struct dp_engine *e, const struct source_stat *cs, int ncs, bool balanced,
		  const struct summary_run *run);
void summary_table(const struct dp_engine *e, const struct source_stat *cs, int ncs, bool balanced);

#endif
