#include "nws_err.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

size_t nws_utf8_len(const unsigned char *s)
{
	size_t n = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;

	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong three- and four-byte forms, UTF-16 surrogates, beyond U+10FFFF. */
	if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 3 && s[0] == 0xed && s[1] >= 0xa0) ||
	    (n == 4 && s[0] == 0xf0 && s[1] < 0x90) || (n == 4 && s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

/*
 * Messages quote what the input said (a name, an address), and input can hold anything: control
 * characters and bytes that are not UTF-8 are written as escapes, so an error is always one
 * printable line.
 */
static void make_printable(char *msg, size_t cap)
{
	char out[sizeof(((struct nws_err *)0)->msg)];
	const unsigned char *s = (const unsigned char *)msg;
	size_t o = 0;

	if (cap > sizeof(out))
		cap = sizeof(out);
	while (*s) {
		char esc[8];
		size_t n = *s >= 0x80 ? nws_utf8_len(s) : 0, el;
		bool plain = (*s >= 0x20 && *s < 0x7f) || n > 0;

		if (plain) {
			el = n ? n : 1;
			memcpy(esc, s, el);
		} else {
			if (*s == '\n' || *s == '\t' || *s == '\r')
				el = (size_t)snprintf(esc, sizeof(esc), "\\%c", *s == '\n' ? 'n' : *s == '\t' ? 't' : 'r');
			else
				el = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *s);
		}
		if (o + el >= cap)
			break;
		memcpy(out + o, esc, el);
		o += el;
		s += plain ? el : 1;
	}
	out[o] = 0;
	memcpy(msg, out, o + 1);
}

int nws_err_vset(struct nws_err *err, const char *fmt, va_list ap)
{
	if (err) {
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		make_printable(err->msg, sizeof(err->msg));
	}
	return -1;
}

int nws_err_set(struct nws_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nws_err_vset(err, fmt, ap);
	va_end(ap);
	return -1;
}

void nws_err_prefix(struct nws_err *err, const char *fmt, ...)
{
	char head[256], old[sizeof(err->msg)];
	size_t hl;
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	hl = strlen(head);
	if (hl >= sizeof(err->msg))
		hl = sizeof(err->msg) - 1;
	memcpy(err->msg, head, hl);
	/* Truncation is acceptable: the message stays one line and names the place first. */
	strncpy(err->msg + hl, old, sizeof(err->msg) - hl - 1);
	err->msg[sizeof(err->msg) - 1] = 0;
	make_printable(err->msg, sizeof(err->msg));
}
