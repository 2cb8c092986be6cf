/*
 * cJSON's memory while a topology loads, taken in bulk. A 100 MB topology is millions of cJSON
 * nodes and strings; one malloc each was a third of the load. Between jbump_begin and jbump_end
 * the calling thread's cJSON allocations come from large blocks, their frees do nothing, and
 * jbump_end returns the blocks whole. Other threads (nwsim run's control socket while a reload
 * loads) keep malloc. Every tree made in between must be deleted (or dropped) before jbump_end.
 */
#ifndef JBUMP_H
#define JBUMP_H

/* -1 out of memory (the load then runs on malloc). Nests: only the outermost pair counts. */
int jbump_begin(void);
void jbump_end(void);

#endif
