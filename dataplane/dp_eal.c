#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "dp_eal.h"

static bool eal_up;
static bool exiting; /* see dp_eal_exit_begin() */

static bool user_has(const struct dp_eal_opts *o, const char *const *names)
{
	for (int i = 0; i < o->nuser; i++)
		for (const char *const *n = names; *n; n++) {
			size_t l = strlen(*n);

			if (!strncmp(o->user[i], *n, l) && (o->user[i][l] == 0 || o->user[i][l] == '='))
				return true;
		}
	return false;
}

/* A /proc/meminfo field ("MemAvailable:"), or -1. */
static long meminfo(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[512];
	size_t l = strlen(field);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, l))
			v = strtol(line + l, NULL, 10);
	fclose(f);
	return v;
}

/* MiB of hugepages free for this process: 0 when none are mounted. */
static long hugepages_free_mib(void)
{
	FILE *f;
	char line[512];
	bool mounted = false;

	/* Set by nwsim itself when it starts again after DPDK found the hugepages taken. */
	if (getenv("NWSIM_NO_HUGEPAGES"))
		return 0;
	f = fopen("/proc/mounts", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " hugetlbfs "))
			mounted = true;
	fclose(f);
	/*
	 * Free pages that another process has reserved (mapped, not yet touched: a DPDK process
	 * starting) are not free for this one, and DPDK counts them so: counted as free, they made
	 * DPDK start on hugepages it then found taken.
	 */
	long pages = meminfo("HugePages_Free:") - meminfo("HugePages_Rsvd:"), kib = meminfo("Hugepagesize:");

	return mounted && pages > 0 && kib > 0 ? pages * kib / 1024 : 0;
}

bool dp_eal_have_hugepages(void)
{
	/* A query needs some tens of MB; less than that is as good as none. */
	return hugepages_free_mib() >= 128;
}

/*
 * The line that says why EAL refused, from what it printed: getopt's complaint, or EAL's own
 * first line that is not one of its generic closing words; its usage text is never the reason.
 */
static void eal_reason(FILE *held, char *out, size_t len)
{
	static const char *const generic[] = { "Invalid 'command line' arguments", "Error - exiting with code",
					       "Cause:", "FATAL: already called", NULL };
	char line[512];

	rewind(held);
	while (fgets(line, sizeof(line), held)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!strncmp(line, "Usage:", 6))
			break;
		const char *p = line;
		bool eal = !strncmp(p, "EAL: ", 5);

		if (eal)
			p += 5;
		else if (!strncmp(p, "nwsim: ", 7)) /* getopt speaks as argv[0] */
			p += 7;
		else
			continue;
		bool skip = !*p;

		for (const char *const *g = generic; *g && !skip; g++)
			skip = strstr(p, *g) != NULL;
		if (skip)
			continue;
		snprintf(out, len, "%s", p);
		return;
	}
}

static cpu_set_t startup_cpus;

int dp_eal_cpus(cpu_set_t *set)
{
	*set = startup_cpus;
	return CPU_COUNT(set);
}

/* EAL's argument vector: nwsim's choices where the user gave none, then the user's. -1 when refused. */
struct eal_args {
	char *argv[64 + 16];
	int argc;
	char mib[32];
	bool auto_huge; /* hugepages nwsim chose (none asked for, enough free) */
};

static int eal_args(const struct dp_eal_opts *o, struct eal_args *a, struct nws_err *err)
{
	static const char *const lcore_opts[] = { "-l", "-c", "--lcores", NULL };
	static const char *const mem_opts[] = { "--no-huge", "-m", "--socket-mem", NULL };
	static const char *const file_opts[] = { "--in-memory", "--file-prefix", NULL };
	static const char *const log_opts[] = { "--log-level", NULL };
	static const char *const pci_opts[] = { "--no-pci", "-a", "--allow", "-b", "--block", NULL };
	bool nohuge = user_has(o, (const char *const[]){ "--no-huge", NULL });

	a->argc = 0;
	a->argv[a->argc++] = "nwsim";
	if (!user_has(o, lcore_opts)) {
		a->argv[a->argc++] = "--lcores";
		a->argv[a->argc++] = (char *)(o->lcores ? o->lcores : "0");
	}
	a->auto_huge = false;
	if (!user_has(o, mem_opts) && !(a->auto_huge = dp_eal_have_hugepages() && hugepages_free_mib() >= (long)o->need_mib)) {
		long avail = meminfo("MemAvailable:") / 1024;

		/* Said before DPDK starts, not found out when a table deep inside cannot be built. */
		if (avail > 0 && o->need_mib > (size_t)avail)
			return nws_err_set(err,
					   "the tables need about %zu MiB and this machine has %ld MiB free: run it where there "
					   "is more memory, ask about one NIC (it compiles only that NIC's NSGs), or try anyway "
					   "with -- --no-huge -m MiB",
					   o->need_mib, avail);
		/* Memory without hugepages is only touched as tables take it: asking for enough costs little. */
		snprintf(a->mib, sizeof(a->mib), "%zu", o->need_mib > 1024 ? o->need_mib : 1024);
		a->argv[a->argc++] = "--no-huge";
		a->argv[a->argc++] = "-m";
		a->argv[a->argc++] = a->mib;
		nohuge = true;
	}
	/* Leave no files behind and never clash with another nwsim; --in-memory needs hugepages. */
	if (!user_has(o, file_opts))
		a->argv[a->argc++] = nohuge ? "--no-shconf" : "--in-memory";
	if (!o->want_ports) {
		if (!user_has(o, pci_opts))
			a->argv[a->argc++] = "--no-pci";
		a->argv[a->argc++] = "--no-telemetry";
	}
	if (!user_has(o, log_opts))
		a->argv[a->argc++] = o->verbose ? "--log-level=info" : "--log-level=error";
	if (o->nuser > 64)
		return nws_err_set(err, "too many EAL options (%d, at most 64)", o->nuser);
	for (int i = 0; i < o->nuser; i++)
		a->argv[a->argc++] = o->user[i];
	return 0;
}

/*
 * EAL writes its usage and complaints to both streams (its log goes to stdout): held back in a
 * file while it starts. NULL when they could not be (then EAL speaks as it likes).
 */
static FILE *hold_output(int saved[2])
{
	FILE *held = tmpfile();

	saved[0] = saved[1] = -1;
	if (!held)
		return NULL;
	fflush(stdout);
	fflush(stderr);
	saved[0] = dup(STDOUT_FILENO);
	saved[1] = dup(STDERR_FILENO);
	if (saved[0] < 0 || saved[1] < 0 || dup2(fileno(held), STDOUT_FILENO) < 0 || dup2(fileno(held), STDERR_FILENO) < 0) {
		if (saved[0] >= 0)
			dup2(saved[0], STDOUT_FILENO);
		if (saved[1] >= 0)
			dup2(saved[1], STDERR_FILENO);
		fclose(held);
		return NULL;
	}
	return held;
}

static void release_output(FILE *held, int saved[2])
{
	if (held) {
		fflush(stdout);
		fflush(stderr);
		dup2(saved[0], STDOUT_FILENO);
		dup2(saved[1], STDERR_FILENO);
	}
	for (int i = 0; i < 2; i++)
		if (saved[i] >= 0)
			close(saved[i]);
}

/* Why EAL did not start (why: its rte_errno), on one line, with what it said; the DP_EAL_ code. */
static int start_failed(FILE *held, int why, bool auto_huge, struct nws_err *err)
{
	char line[512] = "";

	if (held) {
		eal_reason(held, line, sizeof(line));
		fclose(held);
	}
	/*
	 * Hugepages nwsim chose that another process took between its look and DPDK's (a DPDK
	 * process starting beside it): the caller may start again without them.
	 */
	if (auto_huge && (why == EACCES || why == ENOMEM)) {
		nws_err_set(err, "DPDK could not start: the hugepages were taken by another process as it started (%s%s%s); "
				 "run again, or give -- --no-huge",
			    rte_strerror(why), line[0] ? ": " : "", line);
		return DP_EAL_HUGEPAGES_TAKEN;
	}
	/* EINVAL: the options (arguments, lcores); anything else is the machine's. */
	if (why == EINVAL || why == 0) {
		nws_err_set(err, "DPDK refused its options: %s", line[0] ? line : rte_strerror(why));
		return DP_EAL_BAD_OPTIONS;
	}
	nws_err_set(err, "DPDK could not start: %s%s%s", rte_strerror(why), line[0] ? ": " : "", line);
	return DP_EAL_FAILED;
}

int dp_eal_init(const struct dp_eal_opts *o, struct nws_err *err)
{
	struct eal_args a;
	int saved[2] = { -1, -1 };

	if (eal_args(o, &a, err) < 0)
		return -1;
	if (!o->verbose)
		rte_log_set_global_level(RTE_LOG_ERR);
	FILE *held = o->verbose ? NULL : hold_output(saved);

	/* EAL pins this thread to the main lcore's CPU; helpers (dp_acl's builds) want them all. */
	if (sched_getaffinity(0, sizeof(startup_cpus), &startup_cpus) < 0)
		CPU_ZERO(&startup_cpus);
	int rc = rte_eal_init(a.argc, a.argv), why = rc < 0 ? rte_errno : 0;

	release_output(held, saved);
	if (rc < 0)
		return start_failed(held, why, a.auto_huge, err);
	if (held) {
		/*
		 * Started. With ports, what it said about devices (one it could not use) still reaches
		 * the user, on stderr; a query has nothing to learn from it.
		 */
		char buf[4096];
		size_t n;

		rewind(held);
		while (o->want_ports && (n = fread(buf, 1, sizeof(buf), held)) > 0)
			fwrite(buf, 1, n, stderr);
		fclose(held);
	}
	/* EAL's log went to stdout; results go there, so its later words go to stderr. */
	rte_openlog_stream(stderr);
	/*
	 * Errors are nwsim's to say, on one line ("rte_lpm_create(...): Cannot allocate memory"):
	 * a library's own line before it would make two. With ports, devices' errors are kept.
	 */
	if (!o->verbose && !o->want_ports)
		rte_log_set_global_level(RTE_LOG_CRIT);
	eal_up = true;
	return 0;
}

void dp_eal_exit_begin(void)
{
	exiting = eal_up;
}

bool dp_eal_exiting(void)
{
	return exiting;
}

void dp_eal_cleanup(void)
{
	if (eal_up)
		rte_eal_cleanup();
	eal_up = false;
	exiting = false;
}

void dp_eal_memory_advice(char *buf, size_t len)
{
	struct rte_malloc_socket_stats st = { 0 };
	size_t total = 0, free_b = 0;

	for (int sock = 0; sock < RTE_MAX_NUMA_NODES; sock++)
		if (rte_malloc_get_socket_stats(sock, &st) == 0) {
			total += st.heap_totalsz_bytes;
			free_b += st.heap_freesz_bytes;
		}
	snprintf(buf, len,
		 "DPDK has %zu MiB, %zu MiB of it taken by the tables compiled so far: give it more "
		 "(-- --no-huge -m MiB without hugepages, more hugepages with them) or ask for fewer --flows",
		 total >> 20, (total - free_b) >> 20);
}
