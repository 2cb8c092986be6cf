/* The subcommands; each returns the process exit code (enum cli_exit). */
#ifndef CMDS_H
#define CMDS_H

int cmd_test_ip_flow(int argc, char **argv);
int cmd_list_effective_nsg(int argc, char **argv);
int cmd_run_configuration_diagnostic(int argc, char **argv);
int cmd_show_security_group_view(int argc, char **argv);
int cmd_show_next_hop(int argc, char **argv);
int cmd_show_effective_route_table(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_test_connectivity(int argc, char **argv);
int cmd_scan_ports(int argc, char **argv);
int cmd_topology(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif
