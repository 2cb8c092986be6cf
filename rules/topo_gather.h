/*
 * Several input files, each recognised by its content, made into one document in nwsim's own
 * topology format: ARM resources as az and REST print them (one, a list, or {"value": [...]}),
 * ARM templates (evaluated with their parameters), az group export, Azure's service-tag file,
 * and nwsim's own topology. Resources are joined by name and type, compared as Azure compares
 * them (without regard to case); references in either direction count.
 */
#ifndef TOPO_GATHER_H
#define TOPO_GATHER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "nws_err.h"

/* One parsed input file; the gatherer borrows it. */
struct tg_file {
	const char *name;
	const cJSON *root;
};

/* What a template is deployed with: az deployment group create's --parameters, and where. */
struct tg_opts {
	const struct tg_file *param_files; /* azuredeploy.parameters.json shapes */
	size_t nparam_files;
	const char *const *params; /* "name=value" */
	size_t nparams;
	const char *subscription, *resource_group, *location; /* NULL: nwsim's defaults */
};

/* A place in the merged document ("networkSecurityGroups[2]") and where it came from. */
struct tg_place {
	char *merged;
	const char *file;
	char *path;
};

/* Written by tg_gather, read by the loader; tg_result_free releases it. */
struct tg_result {
	cJSON *root;
	struct tg_place *places;
	size_t nplaces, cap;
	char **warnings; /* things read but not simulated, one line each */
	size_t nwarnings;
};

enum tg_kind {
	TG_NWSIM,     /* nwsim's own topology */
	TG_RESOURCE,  /* one ARM resource */
	TG_LIST,      /* [resource, ...] */
	TG_VALUE,     /* {"value": [resource, ...]} */
	TG_TEMPLATE,  /* ARM template or az group export */
	TG_TAGS,      /* Azure's service-tag file */
	TG_PARAMETERS, /* an ARM parameters file */
	TG_UNKNOWN,
};

/* What the document is; *what describes an unknown one ("a JSON object with keys a, b") in buf. */
enum tg_kind tg_classify(const cJSON *root, char *what, size_t len);

int tg_gather(const struct tg_file *files, size_t n, const struct tg_opts *o, struct tg_result *out, struct nws_err *err);
void tg_result_free(struct tg_result *r);

/*
 * A path in the merged document ("networkSecurityGroups[2].properties.securityRules[0]") as the
 * file that gave it spells it: *file gets the file's name, buf its own path. False when no file
 * gave that place (the caller's own names stand).
 */
int tg_translate(const struct tg_result *r, const char *path, const char **file, char *buf, size_t len);

#endif
