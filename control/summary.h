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
};

/* Where delivered packets went, as reports name it (enum path_end). */
extern const char *const summary_end_name[PATH_END_COUNT];

uint64_t summary_sum(const uint64_t *v, size_t n);
/* received = delivered + dropped + unparsed */
bool summary_balanced(const struct dp_counters *c);
void summary_json(FILE *f, const struct dp_engine *e, const struct source_stat *cs, int ncs, bool balanced);
void summary_table(const struct dp_engine *e, const struct source_stat *cs, int ncs, bool balanced);

#endif
