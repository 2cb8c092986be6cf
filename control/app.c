#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "dp_eal.h"

int app_open(struct app *a, const struct cli_common *c, struct nws_err *err)
{
	memset(a, 0, sizeof(*a));
	a->scope_nic = -1;
	if (!c->topology) {
		nws_err_set(err, "-t/--topology FILE is required");
		return CLI_USAGE;
	}
	if (cli_topology_args(c, err) < 0)
		return CLI_USAGE;
	a->t = cli_load_topology(c, err);
	if (!a->t)
		return CLI_INPUT;
	return app_model(a, err);
}

int app_model(struct app *a, struct nws_err *err)
{
	if (nsg_model_build(&a->m, a->t, err) < 0)
		return CLI_FAIL;
	if (route_model_build(&a->rm, a->t, err) < 0) {
		nsg_model_free(&a->m);
		return CLI_FAIL;
	}
	a->have_model = true;
	return CLI_OK;
}

int app_compile(struct app *a, const struct cli_common *c, unsigned tables, struct nws_err *err)
{
	struct dp_eal_opts eo = { .verbose = c->verbose, .nuser = c->neal, .user = c->eal, .lcores = c->lcores, .want_ports = c->ports };
	/*
	 * NWSIM_EAL_OPTIONS: EAL options for every command, before those after "--" (a testbed's
	 * memory or file prefix; the valgrind pass of the tests, which cannot map hugepages).
	 */
	const char *env = getenv("NWSIM_EAL_OPTIONS");
	static char envbuf[1024];
	char *words[64 + 32];
	int n = 0;

	if (env && *env) {
		if (strlen(env) >= sizeof(envbuf)) {
			nws_err_set(err, "NWSIM_EAL_OPTIONS: longer than %zu characters", sizeof(envbuf) - 1);
			return CLI_USAGE;
		}
		strcpy(envbuf, env);
		for (char *save = NULL, *w = strtok_r(envbuf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
			if (n == 32) {
				nws_err_set(err, "NWSIM_EAL_OPTIONS: more than 32 options");
				return CLI_USAGE;
			}
			words[n++] = w;
		}
		for (int i = 0; i < c->neal && n < (int)(sizeof(words) / sizeof(words[0])); i++)
			words[n++] = c->eal[i];
		eo.user = words;
		eo.nuser = n;
	}
	/* A query about one NIC compiles its NSGs alone: little, whatever the network's size. */
	if ((tables & APP_ACL) && a->scope_nic < 0)
		eo.need_mib = dp_acl_need_mib(&a->m, NULL);
	int rc = dp_eal_init(&eo, err);

	/*
	 * The hugepages nwsim saw free were taken as DPDK started (another DPDK process starting
	 * beside this one): once, the command starts over on ordinary memory.
	 */
	if (rc == DP_EAL_HUGEPAGES_TAKEN)
		cli_restart_without_hugepages();
	if (rc == DP_EAL_BAD_OPTIONS)
		return CLI_USAGE;
	if (rc < 0)
		return CLI_FAIL;
	return app_build(a, c, tables, err);
}

int app_build(struct app *a, const struct cli_common *c, unsigned tables, struct nws_err *err)
{
	if (tables & APP_ROUTES) {
		if (dp_routes_build(&a->routes, &a->rm, DP_ROUTE_LPM_TABLES, err) < 0)
			return CLI_FAIL;
		a->have_routes = true;
		if (c->verbose)
			fprintf(stderr, "nwsim: %zu subnets' route tables compiled to %zu tables (%zu in rte_lpm/rte_lpm6, the others flat)\n",
				a->t->nsubnets, a->routes.ntab, a->routes.nlpm);
	}
	if (!(tables & APP_ACL))
		return CLI_OK;
	bool *only = NULL;

	if (a->scope_nic >= 0) {
		const struct topo_nic *nic = &a->t->nics[a->scope_nic];

		if (!(only = calloc(a->m.ninst ? a->m.ninst : 1, sizeof(*only)))) {
			nws_err_set(err, "out of memory");
			return CLI_FAIL;
		}
		if (a->m.nic_inst[a->scope_nic] >= 0)
			only[a->m.nic_inst[a->scope_nic]] = true;
		for (size_t i = 0; i < nic->nipcfgs; i++)
			if (a->m.subnet_inst[nic->ipcfgs[i].subnet] >= 0)
				only[a->m.subnet_inst[nic->ipcfgs[i].subnet]] = true;
	}
	struct cli_progress pr;
	struct dp_acl_progress hook = { .fn = cli_progress_update, .arg = &pr };

	cli_progress_begin(&pr, c, "compiling NSGs");
	dp_acl_set_progress(&hook);
	int rc = dp_acl_build(&a->acl, &a->m, 0, only, err);

	dp_acl_set_progress(NULL);
	cli_progress_end(&pr);

	free(only);
	if (rc < 0)
		return CLI_FAIL;
	a->have_acl = true;
	if ((tables & APP_PATH) == APP_PATH) {
		if (dp_path_build(&a->path, a->t, &a->m, &a->rm, &a->acl, &a->routes, err) < 0)
			return CLI_FAIL;
		a->have_path = true;
	}
	if (c->verbose) {
		const struct dp_acl *x = &a->acl;

		fprintf(stderr,
			"nwsim: %zu NSG rules in %zu NSG associations%s compiled to %zu rte_acl rules "
			"(inbound IPv4 %zu, IPv6 %zu; outbound IPv4 %zu, IPv6 %zu), classify algorithm %s\n",
			x->nmatch, a->m.ninst, a->scope_nic >= 0 ? ", those of the NIC asked about" : "",
			x->nacl[0][0] + x->nacl[0][1] + x->nacl[1][0] + x->nacl[1][1], x->nacl[0][0],
			x->nacl[0][1], x->nacl[1][0], x->nacl[1][1], dp_acl_alg_name(x->alg));
	}
	return CLI_OK;
}

void app_close(struct app *a)
{
	dp_eal_exit_begin();
	app_free_tables(a);
	dp_eal_cleanup();
}

void app_free_tables(struct app *a)
{
	if (a->have_acl)
		dp_acl_free(&a->acl);
	if (a->have_path)
		dp_path_free(&a->path);
	if (a->have_routes)
		dp_routes_free(&a->routes);
	if (a->have_model) {
		nsg_model_free(&a->m);
		route_model_free(&a->rm);
	}
	topo_free(a->t);
	memset(a, 0, sizeof(*a));
}
