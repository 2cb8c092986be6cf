/* Caller-owned error: deep code fills it and returns -1/NULL; only control/ prints it. */
#ifndef NWS_ERR_H
#define NWS_ERR_H

#include <stdarg.h>
#include <stddef.h>

struct nws_err {
	char msg[768]; /* "place: what was expected, what was found" */
};

/* Always returns -1 so callers can write `return nws_err_set(...)`. */
int nws_err_set(struct nws_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int nws_err_vset(struct nws_err *err, const char *fmt, va_list ap);
/* Prefix an existing message ("file.json: " + msg). */
void nws_err_prefix(struct nws_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Length of the valid UTF-8 sequence starting at s (2..4 for s[0] >= 0x80), or 0 when it is not one. */
size_t nws_utf8_len(const unsigned char *s);

#endif
