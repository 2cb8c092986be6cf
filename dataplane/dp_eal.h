/* EAL start-up with defaults that let a query run with no DPDK options from the user. */
#ifndef DP_EAL_H
#define DP_EAL_H

#include <sched.h>
#include <stdbool.h>

#include "nws_err.h"

struct dp_eal_opts {
	bool verbose;    /* DPDK's own logging at info level instead of errors only */
	bool want_ports; /* testbed mode: keep PCI and telemetry */
	const char *lcores; /* --lcores value unless the user gives lcores; NULL: "0" */
	size_t need_mib; /* what the tables are expected to take (dp_acl_need_mib); 0: little */
	int nuser;       /* EAL options the user gave after "--"; they win over defaults */
	char **user;
};

/*
 * Start EAL. What EAL prints while it starts (its usage, a line per missing CPU) is held back
 * and, when it refuses, boiled down to the one line that says why. Returns 0, or
 * DP_EAL_BAD_OPTIONS when EAL refused the options (the user's to fix), DP_EAL_HUGEPAGES_TAKEN when
 * the hugepages it chose were gone when DPDK looked, or DP_EAL_FAILED when the machine let it
 * down (memory, hugepages, devices).
 */
#define DP_EAL_FAILED (-1)
#define DP_EAL_BAD_OPTIONS (-2)
#define DP_EAL_HUGEPAGES_TAKEN (-3) /* nwsim chose hugepages that were gone when DPDK looked */
int dp_eal_init(const struct dp_eal_opts *o, struct nws_err *err);
void dp_eal_cleanup(void);
/*
 * The CPUs the process could run on before EAL pinned its thread to the main lcore's; how many
 * (0 before dp_eal_init). Threads that help the control thread between runs take these.
 */
int dp_eal_cpus(cpu_set_t *set);
/*
 * The process is about to exit: from here on the dataplane's free functions leave their DPDK-heap
 * blocks (LPM and ACL tables, flow tables, rings) to dp_eal_cleanup(), which unmaps the heap whole.
 * rte_free() zeroes every block it frees, so that rte_zmalloc() need not; freeing tables sized for
 * line rate (an IPv4 LPM alone is 64 MiB) block by block wrote over hundreds of megabytes of
 * memory that was about to be thrown away, seconds per run. Memory from malloc() is freed as
 * ever. A reload in 'nwsim run' frees its old tables while running, and does not call this.
 */
void dp_eal_exit_begin(void);
bool dp_eal_exiting(void);
/*
 * Whether free 2 MB hugepages are mounted (free and not reserved by another process); without
 * them EAL runs with --no-huge, as it does when NWSIM_NO_HUGEPAGES is set.
 */
bool dp_eal_have_hugepages(void);
/*
 * What to say when DPDK's memory runs out: how much it has and how much is taken (by the tables
 * compiled so far), and how to give it more. For "... : out of memory (HERE)".
 */
void dp_eal_memory_advice(char *buf, size_t len);

#endif
