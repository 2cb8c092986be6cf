/*
 * Reading captures: what a pcap or pcapng record becomes for the engine. Shared by replay and
 * the capture fuzz harness, so that what is fuzzed is what replay runs.
 */
#ifndef CAPTURE_H
#define CAPTURE_H

#include <pcap/pcap.h>

#include "dp_engine.h"

/* The parser's link layer for a capture's link type; -1 when nwsim cannot read it. */
int cap_link_of(int dlt, enum dp_link *l);

/*
 * One record as pcap_next_ex returned it (rc) into an item: parsed, unparsed with a reason, or
 * cut by the end of the file (rc other than 1; the capture ends there).
 */
void cap_item(enum dp_link link, int rc, const struct pcap_pkthdr *h, const u_char *d, struct dp_item *it);

#endif
