/* nwsim: the subcommand table. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} cmds[] = {
	{ "test-ip-flow", cmd_test_ip_flow, "is a 5-tuple allowed at a VM's NIC, and by which NSG rule" },
	{ "list-effective-nsg", cmd_list_effective_nsg, "effective security rules of a NIC (subnet and NIC NSGs)" },
	{ "run-configuration-diagnostic", cmd_run_configuration_diagnostic, "NSG diagnostics: the rule of each NSG that decides a profile of traffic" },
	{ "show-security-group-view", cmd_show_security_group_view, "security group view: a VM's NICs' rules, per NIC and subnet, and in effect" },
	{ "show-next-hop", cmd_show_next_hop, "where the effective routes send a packet from a VM" },
	{ "show-effective-route-table", cmd_show_effective_route_table, "effective routes of a NIC's subnet" },
	{ "test-connectivity", cmd_test_connectivity, "connection troubleshoot: probes from a VM to a VM, name, URI or address" },
	{ "scan-ports", cmd_scan_ports, "which destination ports a VM reaches, and what blocks the others" },
	{ "topology", cmd_topology, "draw the network (dot, svg or html), with a probe's path over it" },
	{ "bench", cmd_bench, "rule-set throughput: the full packet path on a generated policy, per worker" },
	{ "replay", cmd_replay, "replay captures through the simulated network and count where packets go" },
	{ "run", cmd_run, "testbed mode: judge the packets of real or virtual ports, forward what is delivered" },
};

static void usage(FILE *f)
{
	fputs("usage: nwsim COMMAND [OPTIONS] [-- EAL-OPTIONS]\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-22s %s\n", cmds[i].name, cmds[i].summary);
	fputs("\n'nwsim COMMAND --help' describes a command; man nwsim has them all. -t FILE may be given\n"
	      "once for each file of a network: nwsim's topology, az/REST resources and lists, ARM templates\n"
	      "(with --parameters FILE, --parameter NAME=VALUE, --subscription, --resource-group) and\n"
	      "Azure's service-tag file. -t - reads one from standard input. NWSIM_EAL_OPTIONS in the\n"
	      "environment: DPDK EAL options for every command (before those after --). Documentation, example topologies and captures: " NWSIM_DOCDIR "\n"
	      "\nexit status:\n"
	      "  0  done\n"
	      "  1  the environment failed: DPDK could not start, memory ran out, an output could not be written\n"
	      "  2  the command line or a query is wrong (DPDK's own options included)\n"
	      "  3  an input file is wrong: the topology, a batch line, a capture\n", f);
}

/* Every answer goes to standard output: a write that failed there fails the command. */
static int finish(int rc)
{
	struct nws_err err = { { 0 } };

	if (cli_close_stdout(&err) < 0) {
		cli_die(CLI_FAIL, &err);
		return rc != CLI_OK ? rc : CLI_FAIL;
	}
	return rc;
}

int main(int argc, char **argv)
{
	/*
	 * Freed memory stays in the heap: rte_acl builds every NSG's trie in fresh multi-megabyte
	 * pools and frees them, and returning them to the kernel made each build fault its pages in
	 * again; on a network of 200 NSGs that was 40% of a replay's time (9.3 s -> 5.4 s).
	 */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	cli_keep_args(argv);
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return finish(CLI_OK);
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("nwsim %s\n", NWSIM_VERSION);
		return finish(CLI_OK);
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return finish(cmds[i].fn(argc - 2, argv + 2));
	fprintf(stderr, "nwsim: unknown command '%s' (try 'nwsim --help')\n", argv[1]);
	return CLI_USAGE;
}
