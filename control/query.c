#include <stdio.h>
#include <string.h>

#include "query.h"

int query_main(const struct query_cmd *q, int argc, char **argv)
{
	struct cli_common c = { 0 };
	const char *batchfile = NULL;
	bool strict = false;
	struct cli_opt opts[16];
	struct nws_err err = { { 0 } };
	struct app app = { 0 };
	struct batch b = { 0 };
	size_t n = 0;
	int rc;

	for (; q->opts[n].lng && n < 13; n++)
		opts[n] = q->opts[n];
	opts[n++] = (struct cli_opt){ "--batch", 0, &batchfile, NULL, NULL };
	opts[n++] = (struct cli_opt){ "--strict", 0, NULL, &strict, NULL };
	opts[n] = (struct cli_opt){ NULL, 0, NULL, NULL, NULL };
	if (cli_parse(argc, argv, opts, &c, NULL, NULL, &err) < 0 || cli_check_output(&c, CLI_FORMATS_REPORT, &err) < 0) {
		nws_err_prefix(&err, "%s: ", q->name);
		return cli_die(CLI_USAGE, &err);
	}
	if (c.help) {
		fputs(q->usage, stdout);
		return CLI_OK;
	}
	for (size_t i = 0; batchfile && q->opts[i].lng; i++)
		if (q->opts[i].val && *q->opts[i].val) {
			nws_err_set(&err, "%s: --batch takes its queries from the file; drop %s", q->name, q->opts[i].lng);
			return cli_die(CLI_USAGE, &err);
		}
	if (strict && !batchfile) {
		nws_err_set(&err, "%s: --strict goes with --batch", q->name);
		return cli_die(CLI_USAGE, &err);
	}
	if (batchfile && c.topology && !strcmp(batchfile, "-") && !strcmp(c.topology, "-")) {
		nws_err_set(&err, "%s: standard input ('-') can be read once: as the topology, or as the --batch file", q->name);
		return cli_die(CLI_USAGE, &err);
	}
	/* Everything the user typed is checked before paying for DPDK start-up. */
	rc = app_open(&app, &c, &err);
	if (rc != CLI_OK)
		goto out;
	if (batchfile) {
		if (batch_open(&b, batchfile, &err) < 0) {
			rc = CLI_INPUT;
			goto out;
		}
		b.strict = strict;
	} else if (q->build(app.t, q->args, q->query, &err) < 0) {
		nws_err_prefix(&err, "%s: ", q->name);
		rc = CLI_USAGE;
		goto out;
	}
	if (!batchfile && q->nic_of)
		app.scope_nic = q->nic_of(q->query);
	rc = app_compile(&app, &c, q->tables, &err);
	if (rc != CLI_OK)
		goto out;
	if (batchfile)
		rc = q->batch(&app, &b, cli_table(&c), c.verbose, &err) < 0 ? CLI_INPUT : CLI_OK;
	else
		q->answer(&app, q->query, cli_table(&c));
out:
	batch_close(&b);
	app_close(&app);
	if (rc != CLI_OK)
		return cli_die(rc, &err);
	return rc;
}

int query_open_nic(struct app *a, const char *name, const char *usage, int argc, char **argv, struct cli_common *c,
		   int *nic)
{
	const char *nicname = NULL;
	const struct cli_opt opts[] = { { "--nic", 0, &nicname, NULL, NULL }, { NULL, 0, NULL, NULL, NULL } };
	struct nws_err err = { { 0 } };
	int rc;

	memset(a, 0, sizeof(*a));
	if (cli_parse(argc, argv, opts, c, NULL, NULL, &err) < 0 || cli_check_output(c, CLI_FORMATS_REPORT, &err) < 0) {
		nws_err_prefix(&err, "%s: ", name);
		return cli_die(CLI_USAGE, &err);
	}
	if (c->help) {
		fputs(usage, stdout);
		return CLI_OK;
	}
	if (!nicname) {
		nws_err_set(&err, "%s: --nic is required", name);
		return cli_die(CLI_USAGE, &err);
	}
	rc = app_open(a, c, &err);
	if (rc != CLI_OK) {
		app_close(a);
		return cli_die(rc, &err);
	}
	*nic = topo_find_nic(a->t, nicname);
	if (*nic < 0) {
		nws_err_set(&err, "%s: --nic: no network interface '%s' in %s", name, nicname, a->t->file);
		app_close(a);
		return cli_die(CLI_USAGE, &err);
	}
	return -1;
}
