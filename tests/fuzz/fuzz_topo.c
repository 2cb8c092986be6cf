/*
 * The topology loader on any bytes: either a topology that the models build from and the
 * reference walk runs on, or one line naming the file. Never a crash.
 */
#include <stdint.h>

#include "fuzz.h"
#include "nsg.h"
#include "path.h"
#include "route.h"
#include "topo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nws_err err = { { 0 } };
	struct topo *t = topo_load_buf("fuzz.json", (const char *)data, size, &err);

	if (!t) {
		fuzz_check_error(&err, "fuzz.json");
		return 0;
	}
	struct nsg_model m;
	struct route_model rm;

	if (nsg_model_build(&m, t, &err) < 0) {
		fuzz_check_error(&err, "");
		topo_free(t);
		return 0;
	}
	if (route_model_build(&rm, t, &err) < 0) {
		fuzz_check_error(&err, "");
		nsg_model_free(&m);
		topo_free(t);
		return 0;
	}
	/* Walk between the first addresses of a few NICs, both ways, on TCP port 443. */
	struct path_env env = { .t = t, .nsg = &m, .rm = &rm };
	size_t n = t->nnics < 4 ? t->nnics : 4;

	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < n; b++) {
			if (!t->nics[a].nipcfgs || !t->nics[b].nipcfgs)
				continue;
			struct nws_flow f = { .proto = AZ_PROTO_TCP, .has_ports = true, .sport = 50000, .dport = 443 };
			struct path_result r;

			f.src = t->nics[a].ipcfgs[0].ip;
			f.dst = t->nics[b].ipcfgs[0].ip;
			if (f.src.fam != f.dst.fam)
				continue;
			path_walk(&env, &f, false, &r);
			FUZZ_ASSERT(r.nhops >= 1 && r.nhops <= PATH_MAX_HOPS);
		}
	route_model_free(&rm);
	nsg_model_free(&m);
	topo_free(t);
	return 0;
}
