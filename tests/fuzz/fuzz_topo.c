/*
 * The topology loader on any bytes: either a topology that the models build from and the
 * reference walk runs on, or one line naming the file. Never a crash.
 */
#include <stdint.h>
#include <unistd.h>

#include "fuzz.h"
#include "nsg.h"
#include "path.h"
#include "route.h"
#include "topo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Several files, as -t FILE -t FILE --parameters FILE give them: an input holding lines "--"
 * is cut there into up to four files; one that starts "P:" is a parameters file (what follows),
 * one that starts "p:" a --parameter NAME=VALUE. The files go through a folder of their own,
 * as the command line would read them.
 */
#define FUZZ_PARTS 4

static char dir[64];

static void drop_dir(void)
{
	rmdir(dir);
}

static struct topo *load_parts(const char *data, size_t size, struct nws_err *err)
{
	char names[FUZZ_PARTS][96];
	const char *files[FUZZ_PARTS], *pfiles[FUZZ_PARTS], *params[FUZZ_PARTS];
	char param_text[FUZZ_PARTS][128];
	size_t nf = 0, npf = 0, np = 0;
	const char *p = data, *end = data + size;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz-topo-XXXXXX");
		if (!mkdtemp(dir))
			abort();
		atexit(drop_dir);
	}
	for (int k = 0; k < FUZZ_PARTS && p <= end; k++) {
		const char *cut = memmem(p, (size_t)(end - p), "\n--\n", 4), *stop = cut && k < FUZZ_PARTS - 1 ? cut : end;
		size_t len = (size_t)(stop - p);

		if (len >= 2 && p[0] == 'p' && p[1] == ':') {
			snprintf(param_text[np], sizeof(param_text[np]), "%.*s", (int)(len - 2 < 127 ? len - 2 : 127), p + 2);
			params[np] = param_text[np];
			np++;
		} else {
			bool is_param = len >= 2 && p[0] == 'P' && p[1] == ':';
			size_t n = nf + npf;

			snprintf(names[n], sizeof(names[n]), "%s/f%zu.json", dir, n);
			FILE *f = fopen(names[n], "wb");

			if (!f)
				abort();
			fwrite(p + (is_param ? 2 : 0), 1, len - (is_param ? 2 : 0), f);
			fclose(f);
			if (is_param)
				pfiles[npf++] = names[n];
			else
				files[nf++] = names[n];
		}
		if (stop == end)
			break;
		p = stop + 4;
	}
	if (!nf) {
		for (size_t i = 0; i < npf; i++)
			unlink(names[i]);
		nws_err_set(err, "%s", "no file");
		return NULL;
	}
	struct topo_sources src = { .files = files, .nfiles = nf, .param_files = pfiles, .nparam_files = npf, .params = params, .nparams = np };
	struct topo *t = topo_load_sources(&src, err);

	for (size_t i = 0; i < nf + npf; i++)
		unlink(names[i]);
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nws_err err = { { 0 } };
	bool parts = memmem(data, size, "\n--\n", 4) != NULL;
	struct topo *t = parts ? load_parts((const char *)data, size, &err) : topo_load_buf("fuzz.json", (const char *)data, size, &err);

	if (!t) {
		/* With several files, a message names one of them, or an option. */
		fuzz_check_error(&err, parts ? "" : "fuzz.json");
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
