#include <math.h>

#include "jw.h"

void jw_init(struct jw *w, FILE *f, bool pretty)
{
	w->f = f;
	w->pretty = pretty;
	w->depth = 0;
	w->need_comma[0] = false;
	w->after_key = false;
}

static void indent(struct jw *w)
{
	fputc('\n', w->f);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

/* Separator and indentation before a value or key. */
static void pre(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma[w->depth])
		fputs(w->pretty ? "," : ", ", w->f);
	if (w->pretty && w->depth > 0)
		indent(w);
	w->need_comma[w->depth] = true;
}

static void open(struct jw *w, char c)
{
	pre(w);
	fputc(c, w->f);
	if (w->depth + 1 < JW_MAX_DEPTH)
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void close_(struct jw *w, char c)
{
	bool had = w->need_comma[w->depth];

	w->depth--;
	if (w->pretty && had)
		indent(w);
	fputc(c, w->f);
}

void jw_obj(struct jw *w)
{
	open(w, '{');
}

void jw_arr(struct jw *w)
{
	open(w, '[');
}

void jw_end_obj(struct jw *w)
{
	close_(w, '}');
}

void jw_end_arr(struct jw *w)
{
	close_(w, ']');
}

static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p, f);
		} else if (*p < 0x20) {
			fprintf(f, "\\u%04x", *p);
		} else {
			fputc(*p, f);
		}
	}
	fputc('"', f);
}

void jw_key(struct jw *w, const char *k)
{
	pre(w);
	quoted(w->f, k);
	fputs(": ", w->f);
	w->after_key = true;
}

void jw_str(struct jw *w, const char *s)
{
	pre(w);
	quoted(w->f, s);
}

void jw_int(struct jw *w, long long v)
{
	pre(w);
	fprintf(w->f, "%lld", v);
}

void jw_fixed(struct jw *w, double v, int decimals)
{
	pre(w);
	/* JSON has no NaN or infinity: a figure that is not finite is null. */
	if (!isfinite(v))
		fputs("null", w->f);
	else
		fprintf(w->f, "%.*f", decimals, v);
}

void jw_null(struct jw *w)
{
	pre(w);
	fputs("null", w->f);
}

void jw_bool(struct jw *w, bool b)
{
	pre(w);
	fputs(b ? "true" : "false", w->f);
}

void jw_done(struct jw *w)
{
	fputc('\n', w->f);
	w->need_comma[0] = false;
}

void jw_kstr(struct jw *w, const char *k, const char *s)
{
	jw_key(w, k);
	jw_str(w, s);
}

void jw_kint(struct jw *w, const char *k, long long v)
{
	jw_key(w, k);
	jw_int(w, v);
}

void jw_kfixed(struct jw *w, const char *k, double v, int decimals)
{
	jw_key(w, k);
	jw_fixed(w, v, decimals);
}
