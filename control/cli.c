#include <errno.h>
#include <sched.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "batch.h"
#include "cli.h"
#include "topo.h"

static int set_val(const char *name, const char **dst, const char *v, struct nws_err *err)
{
	if (!v)
		return nws_err_set(err, "%s: needs a value", name);
	/* The later of two would win without a word (two queries on one batch line, say). */
	if (*dst)
		return nws_err_set(err, "%s: given twice ('%s' and '%s')", name, *dst, v);
	*dst = v;
	return 0;
}

int cli_parse(int argc, char **argv, const struct cli_opt *opts, struct cli_common *common, const char ***pos,
	      int *npos, struct nws_err *err)
{
	const struct cli_opt common_opts[] = {
		{ "--topology", 't', NULL, NULL, common ? &common->topologies : NULL },
		{ "--parameters", 0, NULL, NULL, common ? &common->param_files : NULL },
		{ "--parameter", 0, NULL, NULL, common ? &common->params : NULL },
		{ "--subscription", 0, common ? &common->subscription : NULL, NULL, NULL },
		{ "--resource-group", 0, common ? &common->resource_group : NULL, NULL, NULL },
		{ "--output", 'o', common ? &common->output : NULL, NULL, NULL },
		{ "--verbose", 'v', NULL, common ? &common->verbose : NULL, NULL },
		{ "--progress", 0, NULL, common ? &common->progress : NULL, NULL },
		{ "--quiet", 'q', NULL, common ? &common->quiet : NULL, NULL },
		{ "--help", 'h', NULL, common ? &common->help : NULL, NULL },
		{ NULL, 0, NULL, NULL, NULL },
	};

	if (npos)
		*npos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			if (!common)
				return nws_err_set(err, "'--' (EAL options) is not allowed here");
			common->neal = argc - i - 1;
			common->eal = argv + i + 1;
			return 0;
		}
		if (a[0] != '-' || a[1] == 0) {
			if (!pos)
				return nws_err_set(err, "unexpected argument '%s'", a);
			(*pos)[(*npos)++] = a;
			continue;
		}
		const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		const struct cli_opt *hit = NULL;

		for (int set = 0; set < 2 && !hit; set++) {
			const struct cli_opt *o = set == 0 ? opts : (common ? common_opts : NULL);

			for (; o && o->lng; o++) {
				bool l = !strncmp(o->lng, a, nlen) && o->lng[nlen] == 0;
				bool s = o->shrt && a[1] == o->shrt && a[2] == 0;

				if ((l || s) && (o->val || o->flag || o->list)) {
					hit = o;
					break;
				}
			}
		}
		if (!hit)
			return nws_err_set(err, "unknown option '%.*s'", (int)nlen, a);
		if (hit->flag) {
			if (eq)
				return nws_err_set(err, "%s: takes no value", hit->lng);
			*hit->flag = true;
			continue;
		}
		if (hit->list) {
			const char *v = eq ? eq + 1 : i + 1 < argc ? argv[i + 1] : NULL;

			if (!v)
				return nws_err_set(err, "%s: needs a value", hit->lng);
			if (hit->list->n == CLI_LIST_MAX)
				return nws_err_set(err, "%s: given more than %d times", hit->lng, CLI_LIST_MAX);
			hit->list->v[hit->list->n++] = v;
			if (!eq)
				i++;
			if (common && hit->list == &common->topologies)
				common->topology = common->topologies.v[0];
			continue;
		}
		if (eq) {
			if (set_val(hit->lng, hit->val, eq + 1, err) < 0)
				return -1;
		} else {
			if (set_val(hit->lng, hit->val, i + 1 < argc ? argv[i + 1] : NULL, err) < 0)
				return -1;
			i++;
		}
	}
	return 0;
}

void cli_progress_begin(struct cli_progress *p, const struct cli_common *c, const char *what)
{
	p->tty = isatty(STDERR_FILENO);
	p->on = !c->quiet && (c->progress || p->tty);
	p->shown = false;
	p->start = p->last = batch_now();
	p->what = what;
}

void cli_progress_update(void *arg, size_t done, size_t total)
{
	struct cli_progress *p = arg;
	double t = batch_now();

	/* Nothing for work done within a second; then a terminal's line 5 times a second, a log's once. */
	if (!p->on || t - p->start < 1.0 || (done < total && t - p->last < (p->tty ? 0.2 : 1.0)))
		return;
	p->last = t;
	p->shown = true;
	fprintf(stderr, p->tty ? "\rnwsim: %s: %zu of %zu\033[K" : "nwsim: %s: %zu of %zu\n", p->what, done, total);
	fflush(stderr);
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->on && p->shown && p->tty)
		fputc('\n', stderr);
	p->shown = false;
}

static char **kept_argv;
static bool took_stdin, said;

void cli_keep_args(char **argv)
{
	kept_argv = argv;
}

void cli_took_stdin(void)
{
	took_stdin = true;
}

void cli_restart_without_hugepages(void)
{
	if (!kept_argv || took_stdin || said || getenv("NWSIM_NO_HUGEPAGES"))
		return;
	fflush(stdout);
	if (ftell(stdout) > 0)
		return;
	setenv("NWSIM_NO_HUGEPAGES", "1", 1);
	execv("/proc/self/exe", kept_argv);
	unsetenv("NWSIM_NO_HUGEPAGES"); /* could not: the caller reports the failure */
}

int cli_die(int code, const struct nws_err *err)
{
	fprintf(stderr, "nwsim: %s\n", err->msg);
	said = true;
	return code;
}

int cli_topology_args(const struct cli_common *c, struct nws_err *err)
{
	int dashes = 0;

	for (int i = 0; i < c->topologies.n; i++)
		dashes += !strcmp(c->topologies.v[i], "-");
	for (int i = 0; i < c->param_files.n; i++)
		dashes += !strcmp(c->param_files.v[i], "-");
	if (dashes > 1)
		return nws_err_set(err, "standard input ('-') can be read once: name it in one -t or --parameters");
	for (int i = 0; i < c->params.n; i++) {
		const char *s = c->params.v[i], *eq = strchr(s, '=');

		if (!eq || eq == s)
			return nws_err_set(err, "--parameter %s: expected NAME=VALUE (as az's --parameters NAME=VALUE)", s);
	}
	return 0;
}

struct topo *cli_load_topology(const struct cli_common *c, struct nws_err *err)
{
	for (int i = 0; i < c->topologies.n; i++)
		if (!strcmp(c->topologies.v[i], "-"))
			cli_took_stdin();
	for (int i = 0; i < c->param_files.n; i++)
		if (!strcmp(c->param_files.v[i], "-"))
			cli_took_stdin();
	struct topo_sources s = { .files = c->topologies.v, .nfiles = (size_t)c->topologies.n, .param_files = c->param_files.v,
				  .nparam_files = (size_t)c->param_files.n, .params = c->params.v, .nparams = (size_t)c->params.n,
				  .subscription = c->subscription, .resource_group = c->resource_group };
	struct topo *t = topo_load_sources(&s, err);

	/* What the files hold that nwsim does not simulate: said, never silently left out. */
	for (size_t i = 0; t && i < t->nwarnings; i++)
		fprintf(stderr, "nwsim: warning: %s\n", t->warnings[i]);
	return t;
}

bool cli_table(const struct cli_common *c)
{
	return c->output && !strcmp(c->output, "table");
}

int cli_check_output(const struct cli_common *c, const char *formats, struct nws_err *err)
{
	char list[128] = "";
	const char *f = formats;
	size_t n = 0, k = 0;

	if (!c->output)
		return 0;
	for (const char *p = formats; *p; p++)
		n += *p == '|';
	while (*f) {
		size_t l = strcspn(f, "|");

		if (strlen(c->output) == l && !strncasecmp(c->output, f, l))
			return 0;
		size_t used = strlen(list);

		snprintf(list + used, sizeof(list) - used, "%s%.*s", k == 0 ? "" : k == n ? " or " : ", ", (int)l, f);
		k++;
		f += l + (f[l] == '|');
	}
	return nws_err_set(err, "--output: '%s' is not %s", c->output, list);
}

int cli_number(const char *s, double lo, double hi, bool whole, double *v)
{
	char *end;

	*v = strtod(s, &end);
	if (!*s || *end || !(*v >= lo && *v <= hi) || (whole && *v != (double)(long long)*v))
		return -1;
	return 0;
}

int cli_numbers(const struct cli_num *nums, size_t n, struct nws_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (nums[i].val && cli_number(nums[i].val, nums[i].lo, nums[i].hi, nums[i].whole, nums[i].out) < 0)
			return nws_err_set(err, "%s: '%s' is not a%s number in %.15g..%.15g", nums[i].opt, nums[i].val,
					   nums[i].whole ? " whole" : "", nums[i].lo, nums[i].hi);
	return 0;
}

int cli_cpus(int *cpu, int max)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int i = 0; i < CPU_SETSIZE && n < max; i++)
			if (CPU_ISSET(i, &set))
				cpu[n++] = i;
	if (n == 0)
		cpu[n++] = 0;
	return n;
}

int cli_ncpus(void)
{
	int cpu[CPU_SETSIZE];

	return cli_cpus(cpu, CPU_SETSIZE);
}

static bool lcore_word(const char *w)
{
	return !strncmp(w, "-l", 2) || !strncmp(w, "-c", 2) || !strncmp(w, "--lcores", 8);
}

/* Whether the user names EAL's lcores: after "--", or in NWSIM_EAL_OPTIONS. */
static bool user_lcores(const struct cli_common *c)
{
	const char *env = getenv("NWSIM_EAL_OPTIONS");

	for (int i = 0; i < c->neal; i++)
		if (lcore_word(c->eal[i]))
			return true;
	for (const char *p = env; p && *p;) {
		p += strspn(p, " \t");
		if (lcore_word(p))
			return true;
		p += strcspn(p, " \t");
	}
	return false;
}

int cli_set_workers(struct cli_common *c, unsigned *n, bool asked, struct nws_err *err)
{
	int cpu[CPU_SETSIZE], ncpu = cli_cpus(cpu, CPU_SETSIZE);
	size_t len = 0;

	c->lcores = NULL;
	if (user_lcores(c))
		return 0; /* EAL takes the user's; the command uses the workers it gets */
	/*
	 * Checked here rather than left to EAL, which prints its usage or a line per missing CPU:
	 * a polling worker sharing a CPU with another runs at a fraction of its speed.
	 */
	if (*n + 1 > (unsigned)ncpu) {
		if (asked)
			return nws_err_set(err,
					   "--workers: %u worker lcores and the main one need %u CPUs; this process may run on %d "
					   "(map lcores onto fewer CPUs after '--', for example -- --lcores='(0-%u)@(0-%d)')",
					   *n, *n + 1, ncpu, *n, ncpu - 1);
		*n = (unsigned)ncpu - 1;
	}
	/* Lcore i on the i-th CPU this process may use: a restricted affinity (taskset) works too. */
	for (unsigned i = 0; i <= *n; i++)
		len += (size_t)snprintf(c->lcores_buf + len, sizeof(c->lcores_buf) - len, "%s%u@%d", i ? "," : "", i, cpu[i]);
	c->lcores = c->lcores_buf;
	return 0;
}

int cli_close_file(FILE *f, const char *path, struct nws_err *err)
{
	bool bad = ferror(f);
	int e = errno;

	if (fclose(f) != 0)
		return nws_err_set(err, "%s: cannot write: %s", path, strerror(errno));
	if (bad)
		return nws_err_set(err, "%s: cannot write: %s", path, strerror(e ? e : EIO));
	return 0;
}

int cli_close_stdout(struct nws_err *err)
{
	bool bad = ferror(stdout);

	/* A full disk or a closed pipe shows at the flush, or only at the close. */
	if (fflush(stdout) != 0 || bad)
		return nws_err_set(err, "standard output: cannot write: %s", strerror(errno ? errno : EIO));
	if (fclose(stdout) != 0)
		return nws_err_set(err, "standard output: cannot write: %s", strerror(errno));
	return 0;
}
