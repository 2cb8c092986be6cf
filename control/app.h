/* What a query command holds: the topology, its NSG model and, when asked, the compiled tables. */
#ifndef APP_H
#define APP_H

#include "cli.h"
#include "dp_acl.h"
#include "dp_path.h"
#include "dp_route.h"
#include "nsg.h"

struct app {
	struct topo *t;
	struct nsg_model m;
	struct route_model rm;
	struct dp_acl acl;
	struct dp_routes routes;
	struct dp_path path; /* APP_PATH: the packet path on the compiled tables */
	bool have_model, have_acl, have_routes, have_path;
	int scope_nic; /* >= 0: the one NIC the command asks about; its NSGs alone are compiled */
};

/* APP_PATH needs (and implies) the other two. */
enum app_tables { APP_ACL = 1, APP_ROUTES = 2, APP_PATH = 4 | APP_ACL | APP_ROUTES };

/* Loads and validates the topology; scope_nic -1. Returns an exit code (CLI_OK on success). */
int app_open(struct app *a, const struct cli_common *c, struct nws_err *err);
/* The NSG and route models of a->t, a topology the command loaded or made itself. */
int app_model(struct app *a, struct nws_err *err);
/* Starts DPDK and compiles what is asked (APP_ACL, APP_ROUTES); done after user input is validated. */
int app_compile(struct app *a, const struct cli_common *c, unsigned tables, struct nws_err *err);
void app_close(struct app *a);
/* The same two without DPDK's start and end (EAL is up): nwsim run's reload builds a new policy. */
int app_build(struct app *a, const struct cli_common *c, unsigned tables, struct nws_err *err);
void app_free_tables(struct app *a);

#endif
