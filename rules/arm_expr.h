/*
 * ARM template expressions: "[concat(parameters('prefix'), '-nsg')]" evaluated as Azure Resource
 * Manager does, over cJSON values. Plain C, no output: errors go to the caller's nws_err with the
 * JSON path below the value the caller passed.
 */
#ifndef ARM_EXPR_H
#define ARM_EXPR_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "nws_err.h"

#define AX_MAX_LOOPS 8
#define AX_PATH_MAX 512

/* One evaluation scope: a template's parameters and variables, and the deployment it runs in. */
struct ax_ctx {
	const cJSON *params; /* the template's "parameters" declarations; the caller owns them */
	/*
	 * name -> value from --parameters / --parameter; the caller owns it. A cJSON_Raw value is one
	 * that cannot be had offline (a Key Vault reference), its text saying why: an error only if
	 * the template uses it where nwsim looks (a VM's password is never evaluated).
	 */
	const cJSON *given;
	const cJSON *vars;   /* the template's "variables"; the caller owns them */
	cJSON *cache;        /* parameters and variables already evaluated: owned here */
	const char *subscription, *resource_group, *location, *deployment;
	struct {
		const char *name;
		long index;
		bool resource; /* a resource's copy, which copyIndex() without a name means */
	} loop[AX_MAX_LOOPS];
	int nloops;
	int depth;             /* variables defined by variables: a cycle stops here */
	char path[AX_PATH_MAX]; /* where ax_value is, for errors */
	size_t plen;
	int nest;    /* expressions being evaluated inside one another */
	bool placed; /* the error already names its innermost place: outer ones leave it */
};

/* subscription etc. are borrowed and must outlive the context. */
void ax_init(struct ax_ctx *x, const cJSON *params, const cJSON *given, const cJSON *vars, const char *subscription,
	     const char *resource_group, const char *location, const char *deployment);
void ax_free(struct ax_ctx *x);

/*
 * A JSON string's value: the result of the expression when it is one ("[...]"), the string
 * with its first '[' dropped when it starts "[[", the string itself otherwise. A new value.
 */
cJSON *ax_string(struct ax_ctx *x, const char *s, struct nws_err *err);
/* A whole value, every string in it evaluated and property copy loops expanded. A new value. */
cJSON *ax_value(struct ax_ctx *x, const cJSON *v, struct nws_err *err);
/* A parameter's value: given, else its evaluated defaultValue; checked against allowedValues. */
const cJSON *ax_parameter(struct ax_ctx *x, const char *name, struct nws_err *err);

int ax_loop_push(struct ax_ctx *x, const char *name, long index, bool resource, struct nws_err *err);
void ax_loop_pop(struct ax_ctx *x);

/* ARM's uniqueString(): 13 base-32 characters of a 64-bit hash of the arguments joined by '-'. */
void ax_unique_string(const char *s, size_t len, char out[14]);

#endif
