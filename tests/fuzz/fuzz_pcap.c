/*
 * Captures on any bytes, read as replay reads them (cap_open_mem, cap_next, cap_item): either the
 * file is refused with a reason, or every record becomes exactly one parsed or unparsed item
 * until the end or until the reader names the record at which the file is cut short or damaged,
 * after which it reads nothing more. Record numbers count up from 1 without a gap.
 */
#include <stdint.h>
#include <string.h>

#include "capture.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cap_file cf;
	struct nws_err err = { { 0 } };

	if (cap_open_mem(&cf, "fuzz.pcap", data, size, &err) < 0) {
		FUZZ_ASSERT(!strncmp(err.msg, "fuzz.pcap: ", 11) && err.msg[11]);
		cap_close(&cf);
		return 0;
	}
	uint64_t records = 0, parsed = 0, unparsed = 0, failed = 0;

	for (;;) {
		struct cap_rec rec;
		struct dp_item it;
		int rc = cap_next(&cf, &rec, &err);

		if (rc == 0)
			break;
		if (rc < 0) {
			FUZZ_ASSERT(!strncmp(err.msg, "fuzz.pcap: record ", 18) && rec.no == records + 1);
			if (rec.why >= 0) {
				FUZZ_ASSERT(rec.why == DP_UNPARSED_CAPTURE_CUT || rec.why == DP_UNPARSED_CAPTURE_DAMAGED);
				cap_item_failed(&rec, &it);
				FUZZ_ASSERT(it.unparsed == rec.why);
				records++;
				failed++;
			}
			FUZZ_ASSERT(cap_next(&cf, &rec, &err) == 0); /* nothing after a failure */
			break;
		}
		FUZZ_ASSERT(rec.no == ++records && rec.caplen <= CAP_MAX_CAPLEN && rec.len >= rec.caplen);
		cap_item(&rec, &it);
		if (it.unparsed < 0) {
			FUZZ_ASSERT(it.wire_len == rec.len && rec.link >= 0);
			parsed++;
		} else {
			FUZZ_ASSERT(it.unparsed < DP_UNPARSED_COUNT && it.unparsed != DP_UNPARSED_CAPTURE_CUT &&
				    it.unparsed != DP_UNPARSED_CAPTURE_DAMAGED);
			unparsed++;
		}
	}
	FUZZ_ASSERT(records == parsed + unparsed + failed && failed <= 1 && cf.records == records);
	cap_close(&cf);
	return 0;
}
