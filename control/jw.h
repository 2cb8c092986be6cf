/* A small JSON writer that prints the way az does: 2-space indent, or one line for batches. */
#ifndef JW_H
#define JW_H

#include <stdbool.h>
#include <stdio.h>

#define JW_MAX_DEPTH 32

struct jw {
	FILE *f;
	bool pretty;
	int depth;
	bool need_comma[JW_MAX_DEPTH];
	bool after_key;
};

void jw_init(struct jw *w, FILE *f, bool pretty);
void jw_obj(struct jw *w);
void jw_arr(struct jw *w);
void jw_end_obj(struct jw *w);
void jw_end_arr(struct jw *w);
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s);
void jw_int(struct jw *w, long long v);
/* A number with a fixed count of decimals (null when it is not finite). */
void jw_fixed(struct jw *w, double v, int decimals);
void jw_null(struct jw *w);
/* A key and its value in one call. */
void jw_kstr(struct jw *w, const char *k, const char *s);
void jw_kint(struct jw *w, const char *k, long long v);
void jw_kfixed(struct jw *w, const char *k, double v, int decimals);
void jw_bool(struct jw *w, bool b);
/* Finish a top-level value with a newline. */
void jw_done(struct jw *w);

#endif
