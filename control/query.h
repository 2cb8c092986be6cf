/*
 * The shape every query command shares (test-ip-flow, show-next-hop): options, --help, one query
 * or a --batch file, the topology checked before DPDK starts, then the answers.
 */
#ifndef QUERY_H
#define QUERY_H

#include "app.h"
#include "batch.h"

struct query_cmd {
	const char *name;
	const char *usage;
	unsigned tables;             /* enum app_tables the answers need */
	const struct cli_opt *opts;  /* the query's options (NULL-terminated); they fill args */
	void *args;
	void *query;                 /* room for one query */
	int (*build)(const struct topo *t, const void *args, void *query, struct nws_err *err);
	int (*batch)(const struct app *app, struct batch *b, bool table, bool verbose, struct nws_err *err);
	void (*answer)(const struct app *app, const void *query, bool table);
	/* The NIC one query is about, when its answer needs that NIC's tables alone (else NULL). */
	int (*nic_of)(const void *query);
};

int query_main(const struct query_cmd *q, int argc, char **argv);

/*
 * The opening of a command about one NIC: options, --help, --nic required, topology loaded, NIC
 * found. Returns -1 with *nic set when the command goes on, else the exit status to return.
 */
int query_open_nic(struct app *a, const char *name, const char *usage, int argc, char **argv, struct cli_common *c,
		   int *nic);

/*
 * The batch readers: up to max lines of a --batch file into queries, each checked against the
 * topology (batch_read's return and errors).
 */
/* IP flow verify of n queries: the compiled tables, and the set evaluator for '*' ports. -1: out of memory. */
int ipf_verify(const struct dp_acl *acl, const struct nsg_model *m, const struct nsg_query *q, struct nsg_verdict *v, size_t n);
ssize_t ipf_batch_read(struct batch *b, const struct topo *t, struct nsg_query *q, size_t max, bool *bad,
		       struct nws_err *err);

/*
 * show-next-hop's lines mostly repeat the VM, NIC and source address; resolving them (name
 * lookups, NIC search) once and reusing the subnet while they stay the same keeps a line to
 * parsing the destination.
 */
struct nh_reader {
	const struct topo *t;
	char vm[256], nic[256], src[64];
	uint8_t fam;
	int subnet; /* -1 until a line resolved */
};

void nh_reader_init(struct nh_reader *r, const struct topo *t);
ssize_t nh_batch_read(struct batch *b, struct nh_reader *r, struct dp_route_query *q, size_t max, bool *bad,
		      struct nws_err *err);

#endif
