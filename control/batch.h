/*
 * --batch plumbing shared by the query commands: lines of options read a block at a time, and
 * answers written into a buffer by hand (per-character stdio was most of a batch's cost).
 */
#ifndef BATCH_H
#define BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "nws_err.h"

/* A file of millions of queries needs no more memory than one block of them. */
#define BATCH_BLOCK 65536
/* A query is a few hundred bytes; a longer line is not one (and /dev/zero is one endless line). */
#define BATCH_MAX_LINE 65536

struct batch {
	FILE *f;
	const char *path;
	char *buf; /* read in large chunks; lines are cut in place */
	size_t cap, len, pos, lineno;
	bool eof;
	bool strict;        /* --strict: the first bad line ends the run */
	size_t *lines;      /* the line of each query the last batch_read returned */
	size_t nlines;
	size_t bad_line;    /* the bad line a batch_read stopped at */
	size_t nbad;        /* bad lines so far (batch_bad) */
	char first_bad[sizeof(((struct nws_err *)0)->msg) + 32]; /* "line N: why" of the first */
};

/* Parses one line's words into out; fills err (without the place) on a bad line. */
typedef int (*batch_line_fn)(void *ctx, int ntok, char **tok, void *out, struct nws_err *err);

int batch_open(struct batch *b, const char *path, struct nws_err *err);
/* The same over len bytes in memory (a control-socket query, a fuzz input), read as name. */
int batch_open_mem(struct batch *b, const char *name, const char *buf, size_t len, struct nws_err *err);
void batch_close(struct batch *b);
/*
 * Up to max queries of size bytes each into out, and their line numbers into b->lines. Returns
 * how many; 0 with *bad false at the end of the input. A line that is not a query ends the block
 * early: *bad is set, err says why (without the place) and b->bad_line which line; the next call
 * goes on after it. -1 ("FILE: line N: ...") when the input cannot be read on: a read error, or
 * a line longer than BATCH_MAX_LINE. Lines end at LF, CR LF or a lone CR; blank lines and '#'
 * comments are skipped.
 */
ssize_t batch_read(struct batch *b, batch_line_fn fn, void *ctx, void *out, size_t size, size_t max, bool *bad,
		   struct nws_err *err);
/*
 * The bad line batch_read stopped at: its answer, {"error": "...", "line": N} (a row of the
 * table), goes into o, and it is counted. With --strict, err becomes "FILE: line N: why" and -1
 * is returned: the run ends there.
 */
struct obuf;
int batch_bad(struct batch *b, struct obuf *o, bool table, struct nws_err *err);
/* After the last block: -1 with "FILE: N lines were not queries; the first: line N: why" when any were. */
int batch_end(const struct batch *b, struct nws_err *err);

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
void ob_uint(struct obuf *o, uint64_t v);
/* A batch answer's line number: ", \"line\": N}\n" closing a JSON object, or a table row's first column. */
void ob_line_json(struct obuf *o, size_t line);
void ob_line_table(struct obuf *o, size_t line);

#endif
