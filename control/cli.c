#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int set_val(const char *name, const char **dst, const char *v, struct nws_err *err)
{
	if (!v)
		return nws_err_set(err, "%s: needs a value", name);
	*dst = v;
	return 0;
}

int cli_parse(int argc, char **argv, const struct cli_opt *opts, struct cli_common *common, const char ***pos,
	      int *npos, struct nws_err *err)
{
	const struct cli_opt common_opts[] = {
		{ "--topology", 't', common ? &common->topology : NULL, NULL },
		{ "--output", 'o', common ? &common->output : NULL, NULL },
		{ "--verbose", 'v', NULL, common ? &common->verbose : NULL },
		{ "--help", 'h', NULL, common ? &common->help : NULL },
		{ NULL, 0, NULL, NULL },
	};

	if (npos)
		*npos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			if (!common)
				return nws_err_set(err, "'--' (EAL options) is not allowed here");
			common->neal = argc - i - 1;
			common->eal = argv + i + 1;
			return 0;
		}
		if (a[0] != '-' || a[1] == 0) {
			if (!pos)
				return nws_err_set(err, "unexpected argument '%s'", a);
			(*pos)[(*npos)++] = a;
			continue;
		}
		const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		const struct cli_opt *hit = NULL;

		for (int set = 0; set < 2 && !hit; set++) {
			const struct cli_opt *o = set == 0 ? opts : (common ? common_opts : NULL);

			for (; o && o->lng; o++) {
				bool l = !strncmp(o->lng, a, nlen) && o->lng[nlen] == 0;
				bool s = o->shrt && a[1] == o->shrt && a[2] == 0;

				if ((l || s) && (o->val || o->flag)) {
					hit = o;
					break;
				}
			}
		}
		if (!hit)
			return nws_err_set(err, "unknown option '%.*s'", (int)nlen, a);
		if (hit->flag) {
			if (eq)
				return nws_err_set(err, "%s: takes no value", hit->lng);
			*hit->flag = true;
			continue;
		}
		if (eq) {
			if (set_val(hit->lng, hit->val, eq + 1, err) < 0)
				return -1;
		} else {
			if (set_val(hit->lng, hit->val, i + 1 < argc ? argv[i + 1] : NULL, err) < 0)
				return -1;
			i++;
		}
	}
	return 0;
}

int cli_die(int code, const struct nws_err *err)
{
	fprintf(stderr, "nwsim: %s\n", err->msg);
	return code;
}

bool cli_table(const struct cli_common *c)
{
	return c->output && !strcmp(c->output, "table");
}

int cli_check_output(const struct cli_common *c, struct nws_err *err)
{
	if (c->output && strcmp(c->output, "json") && strcmp(c->output, "table"))
		return nws_err_set(err, "--output: '%s' is not json or table", c->output);
	return 0;
}

int cli_number(const char *s, double lo, double hi, bool whole, double *v)
{
	char *end;

	*v = strtod(s, &end);
	if (!*s || *end || !(*v >= lo && *v <= hi) || (whole && *v != (double)(long long)*v))
		return -1;
	return 0;
}

int cli_numbers(const struct cli_num *nums, size_t n, struct nws_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (nums[i].val && cli_number(nums[i].val, nums[i].lo, nums[i].hi, nums[i].whole, nums[i].out) < 0)
			return nws_err_set(err, "%s: '%s' is not a%s number in %.15g..%.15g", nums[i].opt, nums[i].val,
					   nums[i].whole ? " whole" : "", nums[i].lo, nums[i].hi);
	return 0;
}

void cli_set_workers(struct cli_common *c, unsigned n)
{
	snprintf(c->lcores_buf, sizeof(c->lcores_buf), n ? "0-%u" : "0", n);
	c->lcores = c->lcores_buf;
}
