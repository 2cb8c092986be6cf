#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "cli.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

int batch_open(struct batch *b, const char *path, struct nws_err *err)
{
	memset(b, 0, sizeof(*b));
	b->path = strcmp(path, "-") ? path : "stdin";
	if (!strcmp(path, "-"))
		cli_took_stdin();
	b->f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!b->f)
		return nws_err_set(err, "%s: cannot open: %s", path, strerror(errno));
	return 0;
}

int batch_open_mem(struct batch *b, const char *name, const char *buf, size_t len, struct nws_err *err)
{
	memset(b, 0, sizeof(*b));
	b->path = name;
	b->f = len ? fmemopen((void *)(uintptr_t)buf, len, "r") : NULL;
	if (!b->f)
		return nws_err_set(err, "%s: %s", name, len ? strerror(errno) : "empty");
	return 0;
}

void batch_close(struct batch *b)
{
	if (b->f && b->f != stdin)
		fclose(b->f);
	free(b->buf);
	free(b->lines);
	memset(b, 0, sizeof(*b));
}

/* Read more input behind what is left of the buffer; false at the end or on an error (err set). */
static bool read_more(struct batch *b, struct nws_err *err)
{
	if (b->len > b->pos)
		memmove(b->buf, b->buf + b->pos, b->len - b->pos);
	b->len -= b->pos;
	b->pos = 0;
	if (b->len + 1 >= b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 1 << 20;
		char *nb = realloc(b->buf, nc);

		if (!nb) {
			nws_err_set(err, "%s: out of memory", b->path);
			return false;
		}
		b->buf = nb;
		b->cap = nc;
	}
	size_t r = fread(b->buf + b->len, 1, b->cap - b->len - 1, b->f);

	b->len += r;
	if (r == 0)
		b->eof = true;
	return true;
}

/*
 * The next line, NUL-terminated in place, or NULL at the end (and on an error, err set); *len
 * excludes the line's end: LF, CR LF, or a lone CR (old Mac files, which would otherwise run two
 * queries into one line).
 */
static char *next_line(struct batch *b, size_t *len, struct nws_err *err)
{
	for (;;) {
		/* buf is NULL before the first read: no arithmetic on it then. */
		char *start = b->buf ? b->buf + b->pos : NULL;
		size_t avail = b->len - b->pos;
		char *nl = avail ? memchr(start, '\n', avail) : NULL;
		size_t upto = nl ? (size_t)(nl - start) : avail;
		/* A CR is looked for only before the LF: each byte is scanned once however long the file. */
		char *cr = upto ? memchr(start, '\r', upto) : NULL, *end = cr ? cr : nl;
		/* A CR that ends the buffer may be half of a CR LF: read on before deciding. */
		bool undecided = cr && cr + 1 == start + avail && !b->eof;

		if (end && !undecided) {
			size_t l = (size_t)(end - start);

			if (l > BATCH_MAX_LINE)
				break;
			size_t skip = cr && cr + 1 < start + avail && cr[1] == '\n' ? 2 : 1;

			*end = 0;
			*len = l;
			b->pos += l + skip;
			return start;
		}
		if (avail > BATCH_MAX_LINE)
			break;
		if (b->eof) {
			if (avail == 0)
				return NULL;
			/* A last line without an end: there is always room for its terminator. */
			*len = avail;
			b->buf[b->len] = 0;
			b->pos = b->len;
			return start;
		}
		if (!read_more(b, err))
			return NULL;
	}
	nws_err_set(err, "%s: line %zu: longer than %d bytes: not a line of queries", b->path, b->lineno + 1, BATCH_MAX_LINE);
	return NULL;
}

/* Word separators; a table lookup keeps the tokenizer's inner loop to one test per byte. */
static const bool blank_tab[256] = { [' '] = true, ['\t'] = true, ['\r'] = true, ['\n'] = true, [0] = true };

static inline bool blank(char c)
{
	return blank_tab[(unsigned char)c];
}

/*
 * Cut a line into words in place. Word boundaries are found 16 bytes at a time where SSE2 is
 * there: test-ip-flow --batch of 2M queries ran at 2.81 against 2.51 million a second byte by
 * byte (docs/benchmarks.md). Returns the word count, or -1 when there are more than max.
 */
static int split_words(char *line, size_t len, char **tok, int max)
{
	int ntok = 0;
	size_t i = 0;
	bool in_word = false;

#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t'), cr = _mm_set1_epi8('\r');

	for (; i + 16 <= len; i += 16) {
		__m128i c = _mm_loadu_si128((const __m128i *)(line + i));
		__m128i b = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(c, sp), _mm_cmpeq_epi8(c, tab)),
					 _mm_or_si128(_mm_cmpeq_epi8(c, cr), _mm_cmpeq_epi8(c, _mm_setzero_si128())));
		unsigned blanks = (unsigned)_mm_movemask_epi8(b);

		/* Walk the transitions between blank and non-blank bytes in this block. */
		unsigned edges = blanks ^ ((blanks << 1) | (in_word ? 0u : 1u));

		edges &= 0xffff;
		while (edges) {
			unsigned k = (unsigned)__builtin_ctz(edges);

			edges &= edges - 1;
			if (!in_word) {
				if (ntok == max)
					return -1;
				tok[ntok++] = line + i + k;
			} else {
				line[i + k] = 0;
			}
			in_word = !in_word;
		}
	}
#endif
	for (; i < len; i++) {
		bool bl = blank(line[i]);

		if (!in_word && !bl) {
			if (ntok == max)
				return -1;
			tok[ntok++] = line + i;
			in_word = true;
		} else if (in_word && bl) {
			line[i] = 0;
			in_word = false;
		}
	}
	/* line[len] is the NUL that ends the last word. */
	return ntok;
}

ssize_t batch_read(struct batch *b, batch_line_fn fn, void *ctx, void *out, size_t size, size_t max, bool *bad,
		   struct nws_err *err)
{
	size_t n = 0, len;
	char *line;

	*bad = false;
	err->msg[0] = 0;
	if (b->nlines < max) {
		size_t *nl = realloc(b->lines, max * sizeof(*nl));

		if (!nl)
			return nws_err_set(err, "%s: out of memory", b->path);
		b->lines = nl;
		b->nlines = max;
	}
	while (n < max && (line = next_line(b, &len, err))) {
		char *tok[32];
		int ntok;

		b->lineno++;
		b->bad_line = b->lineno;
		if (memchr(line, 0, len)) {
			*bad = true;
			nws_err_set(err, "the line holds a NUL byte (is the file text?)");
			return (ssize_t)n;
		}
		ntok = split_words(line, len, tok, 32);
		if (ntok < 0) {
			*bad = true;
			nws_err_set(err, "more than 32 words: not one query");
			return (ssize_t)n;
		}
		if (ntok == 0 || tok[0][0] == '#')
			continue;
		if (fn(ctx, ntok, tok, (char *)out + n * size, err) < 0) {
			*bad = true;
			return (ssize_t)n;
		}
		b->lines[n++] = b->lineno;
	}
	if (err->msg[0])
		return -1;
	if (ferror(b->f))
		return nws_err_set(err, "%s: read error: %s", b->path, strerror(errno));
	return (ssize_t)n;
}

int batch_bad(struct batch *b, struct obuf *o, bool table, struct nws_err *err)
{
	if (!b->nbad++)
		snprintf(b->first_bad, sizeof(b->first_bad), "line %zu: %s", b->bad_line, err->msg);
	if (table) {
		ob_line_table(o, b->bad_line);
		ob_str(o, "error: ");
		ob_str(o, err->msg);
		ob_put(o, "\n", 1);
	} else {
		ob_str(o, "{\"error\": \"");
		ob_json_str(o, err->msg);
		ob_put(o, "\"", 1);
		ob_line_json(o, b->bad_line);
	}
	if (!b->strict)
		return 0;
	nws_err_prefix(err, "%s: line %zu: ", b->path, b->bad_line);
	return -1;
}

int batch_end(const struct batch *b, struct nws_err *err)
{
	if (!b->nbad)
		return 0;
	return nws_err_set(err, "%s: %zu %s; the first, %s", b->path, b->nbad,
			   b->nbad == 1 ? "line was not a query" : "lines were not queries", b->first_bad);
}

void ob_flush(struct obuf *o)
{
	fwrite(o->b, 1, o->n, stdout);
	o->n = 0;
}

void ob_put(struct obuf *o, const char *s, size_t len)
{
	if (o->n + len > sizeof(o->b)) {
		ob_flush(o);
		if (len > sizeof(o->b)) {
			fwrite(s, 1, len, stdout);
			return;
		}
	}
	memcpy(o->b + o->n, s, len);
	o->n += len;
}

void ob_str(struct obuf *o, const char *s)
{
	ob_put(o, s, strlen(s));
}

void ob_json_str(struct obuf *o, const char *s)
{
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			ob_put(o, e, 2);
		} else if (c < 0x20) {
			char e[8];

			snprintf(e, sizeof(e), "\\u%04x", c);
			ob_str(o, e);
		} else {
			ob_put(o, p, 1);
		}
	}
}

void ob_uint(struct obuf *o, uint64_t v)
{
	char d[20];
	int n = 0;

	do
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	ob_put(o, d + sizeof(d) - n, (size_t)n);
}

void ob_line_json(struct obuf *o, size_t line)
{
	ob_str(o, ", \"line\": ");
	ob_uint(o, line);
	ob_put(o, "}\n", 2);
}

void ob_line_table(struct obuf *o, size_t line)
{
	char d[24];
	int n = snprintf(d, sizeof(d), "%-6zu  ", line);

	ob_put(o, d, (size_t)n);
}

double batch_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void batch_report(const char *what, size_t n, double seconds)
{
	fprintf(stderr, "nwsim: %zu %s answered in %.1f ms: %.2f million per second\n", n, what, seconds * 1e3,
		seconds > 0 ? (double)n / seconds / 1e6 : 0.0);
}
