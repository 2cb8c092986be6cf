#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "dp_eal.h"

static bool eal_up;

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

bool dp_eal_have_hugepages(void)
{
	FILE *f = fopen("/proc/mounts", "r");
	char line[512];
	bool mounted = false;
	long free_pages = 0;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " hugetlbfs "))
			mounted = true;
	fclose(f);
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &free_pages) == 1)
			break;
	fclose(f);
	/* A query needs some tens of MB; fewer free pages than that is as good as none. */
	return mounted && free_pages >= 64;
}

int dp_eal_init(const struct dp_eal_opts *o, struct nws_err *err)
{
	static const char *const lcore_opts[] = { "-l", "-c", "--lcores", NULL };
	static const char *const mem_opts[] = { "--no-huge", "-m", "--socket-mem", NULL };
	static const char *const file_opts[] = { "--in-memory", "--file-prefix", NULL };
	static const char *const log_opts[] = { "--log-level", NULL };
	static const char *const pci_opts[] = { "--no-pci", "-a", "--allow", "-b", "--block", NULL };
	char *argv[64 + 16];
	int argc = 0;

	argv[argc++] = "nwsim";
	if (!user_has(o, lcore_opts)) {
		argv[argc++] = "-l";
		argv[argc++] = (char *)(o->lcores ? o->lcores : "0");
	}
	bool nohuge = user_has(o, (const char *const[]){ "--no-huge", NULL });

	if (!user_has(o, mem_opts) && !dp_eal_have_hugepages()) {
		argv[argc++] = "--no-huge";
		argv[argc++] = "-m";
		argv[argc++] = "1024";
		nohuge = true;
	}
	/* Leave no files behind and never clash with another nwsim; --in-memory needs hugepages. */
	if (!user_has(o, file_opts))
		argv[argc++] = nohuge ? "--no-shconf" : "--in-memory";
	if (!o->want_ports) {
		if (!user_has(o, pci_opts))
			argv[argc++] = "--no-pci";
		argv[argc++] = "--no-telemetry";
	}
	if (!user_has(o, log_opts))
		argv[argc++] = o->verbose ? "--log-level=info" : "--log-level=error";
	if (o->nuser > 64)
		return nws_err_set(err, "too many EAL options (%d, at most 64)", o->nuser);
	for (int i = 0; i < o->nuser; i++)
		argv[argc++] = o->user[i];
	if (!o->verbose)
		rte_log_set_global_level(RTE_LOG_ERR);
	int rc = rte_eal_init(argc, argv);

	if (rc < 0)
		return nws_err_set(err, "DPDK EAL initialisation failed: %s (EAL options: see --verbose)",
				   rte_strerror(rte_errno));
	eal_up = true;
	return 0;
}

void dp_eal_cleanup(void)
{
	if (eal_up)
		rte_eal_cleanup();
	eal_up = false;
}
