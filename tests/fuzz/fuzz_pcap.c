/*
 * Captures on any bytes, read as replay reads them (libpcap for pcap and pcapng, then
 * cap_link_of and cap_item): either libpcap refuses the file, or nwsim refuses its link type,
 * or every record becomes exactly one parsed, unparsed or cut item, and a cut ends the capture.
 */
#include <stdint.h>

#include "capture.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	FILE *f;

	if (!size || !(f = fmemopen((void *)(uintptr_t)data, size, "rb")))
		return 0;
	pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	enum dp_link link;

	if (!pc) {
		FUZZ_ASSERT(ebuf[0]);
		fclose(f);
		return 0;
	}
	if (cap_link_of(pcap_datalink(pc), &link) < 0) {
		pcap_close(pc);
		return 0;
	}
	uint64_t records = 0, parsed = 0, unparsed = 0, cut = 0;

	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *d;
		int rc = pcap_next_ex(pc, &h, &d);
		struct dp_item it;

		if (rc == PCAP_ERROR_BREAK)
			break;
		records++;
		cap_item(link, rc, h, d, &it);
		if (it.unparsed < 0) {
			FUZZ_ASSERT(rc == 1 && it.wire_len == h->len);
			parsed++;
		} else if (it.unparsed == DP_UNPARSED_CAPTURE_CUT) {
			FUZZ_ASSERT(rc != 1);
			cut++;
			break;
		} else {
			FUZZ_ASSERT(it.unparsed < DP_UNPARSED_COUNT);
			unparsed++;
		}
	}
	FUZZ_ASSERT(records == parsed + unparsed + cut && cut <= 1);
	pcap_close(pc);
	return 0;
}
