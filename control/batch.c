#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"

int batch_open(struct batch *b, const char *path, struct nws_err *err)
{
	memset(b, 0, sizeof(*b));
	b->path = path;
	b->f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!b->f)
		return nws_err_set(err, "%s: cannot open: %s", path, strerror(errno));
	return 0;
}

void batch_close(struct batch *b)
{
	if (b->f && b->f != stdin)
		fclose(b->f);
	free(b->line);
	memset(b, 0, sizeof(*b));
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0;
}

ssize_t batch_read(struct batch *b, batch_line_fn fn, void *ctx, void *out, size_t size, size_t max,
		   struct nws_err *err)
{
	size_t n = 0;
	ssize_t len;

	while (n < max && (len = getline(&b->line, &b->cap, b->f)) >= 0) {
		char *tok[32];
		int ntok = 0;

		b->lineno++;
		/* Split on blanks in one pass. */
		for (char *p = b->line, *end = b->line + len; p < end;) {
			while (p < end && blank(*p))
				p++;
			if (p == end)
				break;
			if (ntok == 32)
				return nws_err_set(err, "%s: line %zu: too many words", b->path, b->lineno);
			tok[ntok++] = p;
			while (p < end && !blank(*p))
				p++;
			*p++ = 0;
		}
		if (ntok == 0 || tok[0][0] == '#')
			continue;
		if (fn(ctx, ntok, tok, (char *)out + n * size, err) < 0) {
			nws_err_prefix(err, "%s: line %zu: ", b->path, b->lineno);
			return -1;
		}
		n++;
	}
	if (ferror(b->f))
		return nws_err_set(err, "%s: read error: %s", b->path, strerror(errno));
	return (ssize_t)n;
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
