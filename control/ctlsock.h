/*
 * The control socket of nwsim run: a Unix stream socket, readable and writable by its owner only,
 * taking one JSON request a line and answering one JSON line each. Polled by a control thread;
 * a client may come and go at any point, and a malformed request only gets an error answer.
 */
#ifndef CTLSOCK_H
#define CTLSOCK_H

#include <stddef.h>

#include "nws_err.h"

#define CTL_MAX_CLIENTS 16
#define CTL_MAX_LINE 4096

struct ctl_client {
	int fd; /* -1: free */
	char buf[CTL_MAX_LINE];
	size_t len;
	int skip; /* inside a line too long to be a request: dropped up to its newline */
};

struct ctl_server {
	int fd; /* -1: not open */
	char path[108];
	struct ctl_client c[CTL_MAX_CLIENTS];
};

/* Answers one request line (NUL-terminated) into out (cap bytes, without the newline). */
typedef void (*ctl_handler)(void *ctx, const char *line, char *out, size_t cap);

int ctl_open(struct ctl_server *s, const char *path, struct nws_err *err);
/* Waits up to timeout_ms for clients and requests, and answers every whole line that came. */
void ctl_poll(struct ctl_server *s, int timeout_ms, ctl_handler fn, void *ctx);
/* Closes every connection and removes the socket file. */
void ctl_close(struct ctl_server *s);

#endif
