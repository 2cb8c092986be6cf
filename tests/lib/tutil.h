/* Helpers shared by the test programs: DPDK start-up for tests, topologies from text. */
#ifndef TUTIL_H
#define TUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_acl.h"
#include "dp_path.h"
#include "nsg.h"
#include "path.h"

/* Starts EAL once per process with the defaults nwsim uses (no hugepages needed). */
void tu_eal(void);

/* A topology loaded from JSON text with its model and compiled tables. */
struct tu_net {
	struct topo *t;
	struct nsg_model m;
	struct dp_acl acl;
};

/* Fails the test (cmocka) with the loader's message when the JSON does not load. */
void tu_net_open(struct tu_net *n, const char *json);
void tu_net_close(struct tu_net *n);

/* The same with routes and the compiled packet path. */
struct tu_path {
	struct tu_net net;
	struct route_model rm;
	struct dp_routes dr;
	struct dp_path dp;
};

void tu_path_open(struct tu_path *p, const char *json);
void tu_path_close(struct tu_path *p);

/* One query through both the reference and rte_acl; asserts they agree and returns the verdict. */
struct nsg_verdict tu_verify(const struct tu_net *n, const char *vm, const char *dir, const char *proto,
			     const char *local, const char *remote);
/* "Allow securityRules/X", "Deny defaultSecurityRules/Y", "Allow -" (no NSG), "Allow platform..." */
const char *tu_verdict_str(const struct nsg_verdict *v, char *buf, size_t len);

/* Two walks' results are the same packet fate, hop by hop; why says where they differ. */
bool tu_same_path(const struct path_result *a, const struct path_result *b, char *why, size_t len);

/* The whole of dir/name, NUL-terminated and malloc'd; fails the test when unreadable. */
char *tu_slurp(const char *dir, const char *name);

/* Deterministic PRNG (splitmix64) so a failing seed can be replayed. */
uint64_t tu_rand(uint64_t *s);
static inline uint32_t tu_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(tu_rand(s) % n);
}

#endif
