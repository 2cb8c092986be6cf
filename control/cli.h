/* Command-line plumbing shared by the subcommands: option tables, exits, common options. */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>

#include "nws_err.h"

struct topo;

enum cli_exit {
	CLI_OK = 0,
	CLI_FAIL = 1,  /* the environment failed: DPDK, memory, I/O */
	CLI_USAGE = 2, /* the command line or a query is wrong */
	CLI_INPUT = 3, /* an input file (topology, batch, capture) is wrong */
};

#define CLI_LIST_MAX 64

/* An option that may be given many times (-t a.json -t b.json), in order. */
struct cli_list {
	const char *v[CLI_LIST_MAX];
	int n;
};

struct cli_opt {
	const char *lng; /* "--vm" */
	char shrt;       /* 'o', or 0 */
	const char **val; /* set for options taking a value */
	bool *flag;       /* set for switches */
	struct cli_list *list; /* set for options that may be repeated */
};

struct cli_common {
	const char *topology; /* the first -t file: what messages and "-" checks look at */
	struct cli_list topologies, param_files, params;
	const char *subscription, *resource_group;
	const char *output; /* json (default) or table */
	bool verbose;
	bool progress, quiet; /* progress on stderr without a terminal; none even on one */
	bool help;
	int neal; /* EAL options after "--" */
	char **eal;
	const char *lcores; /* set by the command: the lcores EAL gets unless the user names some */
	char lcores_buf[1024];
	bool ports;         /* set by the command: EAL may probe devices and keep telemetry on */
};

/*
 * Parse argv[0..argc) against opts (plus the common ones when common != NULL). Positional
 * arguments are refused unless pos/npos are given. "--" ends the options; what follows is EAL's.
 */
int cli_parse(int argc, char **argv, const struct cli_opt *opts, struct cli_common *common, const char ***pos,
	      int *npos, struct nws_err *err);
/*
 * Progress of work that takes over a second, on stderr: on a terminal (one line, rewritten) or
 * with --progress (a line a second); never with -q.
 */
struct cli_progress {
	bool on, tty, shown;
	double start, last;
	const char *what;
};
void cli_progress_begin(struct cli_progress *p, const struct cli_common *c, const char *what);
/* arg: the cli_progress; a dp_acl_progress callback. */
void cli_progress_update(void *arg, size_t done, size_t total);
void cli_progress_end(struct cli_progress *p);

/* One-line error on stderr; returns code so callers can `return cli_die(...)`. */
int cli_die(int code, const struct nws_err *err);
/* A number option's value: lo..hi, and whole when asked. -1 when it is not; the caller says why. */
int cli_number(const char *s, double lo, double hi, bool whole, double *v);

/* A numeric option: its text as given (NULL when absent), its range, and where the value goes. */
struct cli_num {
	const char *opt, *val;
	double lo, hi;
	bool whole;
	double *out;
};

/* Parse every given option of nums; the first bad one sets "OPT: 'VAL' is not a number in lo..hi". */
int cli_numbers(const struct cli_num *nums, size_t n, struct nws_err *err);

/* The CPUs this process may run on (its affinity), in order; returns how many (at least 1). */
int cli_cpus(int *cpu, int max);
int cli_ncpus(void);
/*
 * EAL's lcores for the main lcore and *n workers, one CPU each, unless the user names lcores
 * after "--" or in NWSIM_EAL_OPTIONS. More workers than the CPUs allow are refused when the user
 * asked for them (asked), and cut down to what there is otherwise (*n is updated).
 */
int cli_set_workers(struct cli_common *c, unsigned *n, bool asked, struct nws_err *err);

/* The formats -o takes, per kind of command; the first is the default. */
#define CLI_FORMATS_REPORT "json|table"
#define CLI_FORMATS_DRAWING "html|svg|dot"
/* The -t and --parameters files as given: standard input once at most (a command-line error). */
int cli_topology_args(const struct cli_common *c, struct nws_err *err);
/* The network -t, --parameters, --parameter, --subscription and --resource-group describe. */
struct topo *cli_load_topology(const struct cli_common *c, struct nws_err *err);
bool cli_table(const struct cli_common *c);
/* -o/--output names one of formats ("a|b|c"); else "--output: 'x' is not a, b or c". */
int cli_check_output(const struct cli_common *c, const char *formats, struct nws_err *err);

/*
 * Starting again: main() keeps its arguments; reading standard input, and saying anything on
 * either stream, make a process that cannot start again without changing what the user sees.
 */
void cli_keep_args(char **argv);
void cli_took_stdin(void);
/*
 * Start this command again from the beginning, without hugepages (DPDK found the ones nwsim
 * chose taken by another process): replaces the process and does not return, unless it cannot
 * (standard input was read, something was said already, or it started again once).
 */
void cli_restart_without_hugepages(void);

/* Close a file written to: -1 with "PATH: cannot write: why" when anything written was lost. */
#include <stdio.h>
int cli_close_file(FILE *f, const char *path, struct nws_err *err);
/* Standard output flushed and closed at the end of a command: -1 with the reason when it failed. */
int cli_close_stdout(struct nws_err *err);

#endif
