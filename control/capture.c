#include "capture.h"

int cap_link_of(int dlt, enum dp_link *l)
{
	switch (dlt) {
	case DLT_EN10MB:
		*l = DP_LINK_ETHERNET;
		return 0;
	case DLT_LINUX_SLL:
		*l = DP_LINK_LINUX_SLL;
		return 0;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		*l = DP_LINK_LINUX_SLL2;
		return 0;
#endif
	case DLT_RAW:
	case 228: /* LINKTYPE_IPV4 */
	case 229: /* LINKTYPE_IPV6 */
		*l = DP_LINK_RAW;
		return 0;
	case DLT_NULL:
		*l = DP_LINK_NULL;
		return 0;
	default:
		return -1;
	}
}

void cap_item(enum dp_link link, int rc, const struct pcap_pkthdr *h, const u_char *d, struct dp_item *it)
{
	if (rc != 1) {
		/* A record cut short by the end of the file: counted, and the capture ends there. */
		it->unparsed = DP_UNPARSED_CAPTURE_CUT;
		it->wire_len = 0;
		it->ts_ns = 0;
		return;
	}
	it->wire_len = h->len;
	/* The capture was opened with nanosecond precision: tv_usec holds nanoseconds. */
	it->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
	it->unparsed = dp_parse(link, d, h->caplen, &it->pkt, &it->unparsed) < 0 ? it->unparsed : -1;
}
