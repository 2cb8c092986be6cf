/* What a query command holds: the topology, its NSG model and, when asked, the compiled tables. */
#ifndef APP_H
#define APP_H

#include "cli.h"
#include "dp_acl.h"
#include "dp_route.h"
#include "nsg.h"

struct app {
	struct topo *t;
	struct nsg_model m;
	struct route_model rm;
	struct dp_acl acl;
	struct dp_routes routes;
	bool have_model, have_acl, have_routes;
};

enum app_tables { APP_ACL = 1, APP_ROUTES = 2 };

/* Loads and validates the topology. Returns an exit code (CLI_OK on success). */
int app_open(struct app *a, const struct cli_common *c, struct nws_err *err);
/* Starts DPDK and compiles what is asked (APP_ACL, APP_ROUTES); done after user input is validated. */
int app_compile(struct app *a, const struct cli_common *c, unsigned tables, struct nws_err *err);
void app_close(struct app *a);

#endif
