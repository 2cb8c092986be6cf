/*
 * --batch plumbing shared by the query commands: lines of options read a block at a time, and
 * answers written into a buffer by hand (per-character stdio was most of a batch's cost).
 */
#ifndef BATCH_H
#define BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "nws_err.h"

/* A file of millions of queries needs no more memory than one block of them. */
#define BATCH_BLOCK 65536

struct batch {
	FILE *f;
	const char *path;
	char *buf; /* read in large chunks; lines are cut in place */
	size_t cap, len, pos, lineno;
	bool eof;
};

/* Parses one line's words into out; fills err (without the place) on a bad line. */
typedef int (*batch_line_fn)(void *ctx, int ntok, char **tok, void *out, struct nws_err *err);

int batch_open(struct batch *b, const char *path, struct nws_err *err);
/* The same over len bytes in memory (a control-socket query, a fuzz input), read as name. */
int batch_open_mem(struct batch *b, const char *name, const char *buf, size_t len, struct nws_err *err);
void batch_close(struct batch *b);
/*
 * Up to max queries of size bytes each into out; 0 at the end of the input, -1 on a bad line
 * ("FILE: line N: ...") or a read error. Blank lines and '#' comments are skipped.
 */
ssize_t batch_read(struct batch *b, batch_line_fn fn, void *ctx, void *out, size_t size, size_t max,
		   struct nws_err *err);

/* Monotonic seconds, for the --verbose throughput line. */
double batch_now(void);
/* "nwsim: N queries answered in T ms: R per second" on standard error. */
void batch_report(const char *what, size_t n, double seconds);

struct obuf {
	char b[1 << 16];
	size_t n;
};

void ob_flush(struct obuf *o);
void ob_put(struct obuf *o, const char *s, size_t len);
void ob_str(struct obuf *o, const char *s);
/* String contents with JSON escapes, without the quotes. */
void ob_json_str(struct obuf *o, const char *s);

#endif
