#include "nws_err.h"

#include <stdio.h>
#include <string.h>

int nws_err_vset(struct nws_err *err, const char *fmt, va_list ap)
{
	if (err)
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
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
}
