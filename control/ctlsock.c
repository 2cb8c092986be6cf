#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlsock.h"

int ctl_open(struct ctl_server *s, const char *path, struct nws_err *err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		s->c[i].fd = -1;
	if (strlen(path) >= sizeof(a.sun_path) || strlen(path) >= sizeof(s->path))
		return nws_err_set(err, "--control: '%s' is longer than a socket path may be (%zu)", path, sizeof(a.sun_path) - 1);
	/* A socket left by an nwsim that died is replaced; anything else at the path is not touched. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return nws_err_set(err, "--control: %s exists and is not a socket", path);
		unlink(path);
	}
	strcpy(a.sun_path, path);
	strcpy(s->path, path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return nws_err_set(err, "--control: socket: %s", strerror(errno));
	/* Created with mode 0600 from the start: no moment when others could connect. */
	mode_t old = umask(0177);
	int rc = bind(s->fd, (struct sockaddr *)&a, sizeof(a));

	umask(old);
	if (rc < 0 || chmod(path, 0600) < 0 || listen(s->fd, CTL_MAX_CLIENTS) < 0) {
		nws_err_set(err, "--control: %s: %s", path, strerror(errno));
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	return 0;
}

static void drop(struct ctl_client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->skip = 0;
}

static void answer(struct ctl_client *c, const char *line, ctl_handler fn, void *ctx)
{
	char out[CTL_MAX_LINE * 4];
	size_t n;

	out[0] = 0;
	fn(ctx, line, out, sizeof(out) - 1);
	n = strlen(out);
	out[n++] = '\n';
	/* A client that does not read its answers, or left, is dropped; never a SIGPIPE. */
	for (size_t done = 0; done < n;) {
		ssize_t k = send(c->fd, out + done, n - done, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			drop(c);
			return;
		}
		done += (size_t)k;
	}
}

static void serve(struct ctl_client *c, ctl_handler fn, void *ctx)
{
	ssize_t k = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);

	if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
		drop(c); /* gone, maybe mid-request: what it sent of it is dropped with it */
		return;
	}
	if (k < 0)
		return;
	c->len += (size_t)k;
	if (c->skip) {
		char *nl = memchr(c->buf, '\n', c->len);

		if (!nl) {
			c->len = 0;
			return;
		}
		size_t used = (size_t)(nl + 1 - c->buf);

		memmove(c->buf, nl + 1, c->len - used);
		c->len -= used;
		c->skip = 0;
	}
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);

		if (!nl)
			break;
		*nl = 0;
		if (nl > c->buf && nl[-1] == '\r')
			nl[-1] = 0;
		answer(c, c->buf, fn, ctx);
		if (c->fd < 0)
			return;
		size_t used = (size_t)(nl + 1 - c->buf);

		memmove(c->buf, nl + 1, c->len - used);
		c->len -= used;
	}
	if (c->len == sizeof(c->buf)) {
		/* A line longer than any request: answered with an error, and the rest of it dropped. */
		const char *msg = "{\"error\": \"request longer than 4096 bytes\"}\n";

		if (send(c->fd, msg, strlen(msg), MSG_NOSIGNAL) < 0) {
			drop(c);
			return;
		}
		c->len = 0;
		c->skip = 1;
	}
}

void ctl_poll(struct ctl_server *s, int timeout_ms, ctl_handler fn, void *ctx)
{
	struct pollfd p[CTL_MAX_CLIENTS + 1];
	int idx[CTL_MAX_CLIENTS + 1], n = 0;

	if (s->fd < 0) {
		poll(NULL, 0, timeout_ms);
		return;
	}
	p[n] = (struct pollfd){ .fd = s->fd, .events = POLLIN };
	idx[n++] = -1;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->c[i].fd >= 0) {
			p[n] = (struct pollfd){ .fd = s->c[i].fd, .events = POLLIN };
			idx[n++] = i;
		}
	if (poll(p, (nfds_t)n, timeout_ms) <= 0)
		return;
	for (int j = 1; j < n; j++)
		if (p[j].revents & (POLLIN | POLLHUP | POLLERR))
			serve(&s->c[idx[j]], fn, ctx);
	if (p[0].revents & POLLIN) {
		int fd;

		while ((fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
			int i = 0;

			while (i < CTL_MAX_CLIENTS && s->c[i].fd >= 0)
				i++;
			if (i == CTL_MAX_CLIENTS) {
				const char *msg = "{\"error\": \"too many clients\"}\n";

				(void)!send(fd, msg, strlen(msg), MSG_NOSIGNAL);
				close(fd);
				continue;
			}
			s->c[i].fd = fd;
			s->c[i].len = 0;
			s->c[i].skip = 0;
		}
	}
}

void ctl_close(struct ctl_server *s)
{
	if (!s->path[0])
		return; /* never opened */
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->c[i].fd >= 0)
			drop(&s->c[i]);
	if (s->fd >= 0) {
		close(s->fd);
		unlink(s->path);
	}
	s->fd = -1;
	s->path[0] = 0;
}
