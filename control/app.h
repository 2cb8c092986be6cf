/* What a query command holds: the topology, its NSG model and, when asked, the compiled tables. */
#ifndef APP_H
#define APP_H

#include "cli.h"
#include "dp_acl.h"
#include "nsg.h"

struct app {
	struct topo *t;
	struct nsg_model m;
	struct dp_acl acl;
	bool have_model, have_acl;
};

/* Loads and validates the topology. Returns an exit code (CLI_OK on success). */
int app_open(struct app *a, const struct cli_common *c, struct nws_err *err);
/* Starts DPDK and compiles the NSGs into rte_acl; done after user input is validated. */
int app_compile(struct app *a, const struct cli_common *c, struct nws_err *err);
void app_close(struct app *a);

#endif
