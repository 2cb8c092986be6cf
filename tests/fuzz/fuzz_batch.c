/*
 * The --batch readers of test-ip-flow and show-next-hop on any bytes (the first byte picks the
 * command), against a fixed topology: queries that the reference evaluators answer, or one
 * error line naming the line. The topology is FUZZ_TOPO, or NWSIM_FUZZ_TOPO when set.
 */
#include <stdint.h>

#include "fuzz.h"
#include "nsg.h"
#include "query.h"
#include "route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct topo *topo;
static struct nsg_model model;
static struct route_model routes;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct nws_err err = { { 0 } };
	const char *path = getenv("NWSIM_FUZZ_TOPO") ? getenv("NWSIM_FUZZ_TOPO") : FUZZ_TOPO;

	(void)argc;
	(void)argv;
	topo = topo_load(path, &err);
	if (!topo || nsg_model_build(&model, topo, &err) < 0 || route_model_build(&routes, topo, &err) < 0) {
		fprintf(stderr, "fuzz_batch: %s\n", err.msg);
		exit(1);
	}
	return 0;
}

#define BLOCK 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nws_err err = { { 0 } };
	struct batch b;
	ssize_t n;

	if (size < 2)
		return 0;
	if (batch_open_mem(&b, "fuzz.txt", (const char *)data + 1, size - 1, &err) < 0)
		return 0;
	if (data[0] & 1) {
		struct nsg_query q[BLOCK];
		struct nsg_verdict v;

		bool bad = false;

		while ((n = ipf_batch_read(&b, topo, q, BLOCK, &bad, &err)) > 0 || (n == 0 && bad))
			for (ssize_t i = 0; i < n; i++) {
				FUZZ_ASSERT(b.lines[i] >= 1 && b.lines[i] <= b.lineno && (i == 0 || b.lines[i] > b.lines[i - 1]));
				FUZZ_ASSERT(q[i].nic >= 0 && (size_t)q[i].nic < topo->nnics);
				nsg_ref_verify(&model, q[i].nic, q[i].ipcfg, q[i].dir, &q[i].flow, &v);
				FUZZ_ASSERT(v.access == AZ_ALLOW || v.access == AZ_DENY);
			}
	} else {
		struct nh_reader r;
		struct dp_route_query q[BLOCK];
		struct route_hop h;

		nh_reader_init(&r, topo);
		bool bad = false;

		while ((n = nh_batch_read(&b, &r, q, BLOCK, &bad, &err)) > 0 || (n == 0 && bad))
			for (ssize_t i = 0; i < n; i++) {
				FUZZ_ASSERT(b.lines[i] >= 1 && b.lines[i] <= b.lineno && (i == 0 || b.lines[i] > b.lines[i - 1]));
				FUZZ_ASSERT(q[i].subnet >= 0 && (size_t)q[i].subnet < topo->nsubnets);
				route_ref_lookup(&routes.subnet[q[i].subnet], &q[i].dst, &h);
			}
	}
	if (n < 0)
		fuzz_check_error(&err, "fuzz.txt: line ");
	batch_close(&b);
	return 0;
}
