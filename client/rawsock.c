/*
 * librawsock: the connection to rawsockd and one request/response round
 * trip.  Responses are matched by id; events in between are skipped.  With
 * a busy-poll budget a call tries non-blocking receives for that long
 * before it sleeps: an answer that comes within it finds the caller's CPU
 * awake, which on a VM saves the tens of us an idle CPU takes to wake.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "envelope.h"
#include "error.h"
#include "internal.h"
#include "rawsock.h"

struct rs_conn {
	int		 fd;
	long long	 next_id;
	unsigned	 busy_poll_us;
	char		*rxbuf;
	char		 last_error[320];
};

struct rs_conn *
rs_conn_open(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct rs_conn *c;
	int saved;

	if (path == NULL && (path = getenv("RAWSOCKD_SOCKET")) == NULL)
		path = RS_DEFAULT_SOCKET;
	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sun.sun_path, path);
	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->next_id = 1;
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd == -1 || (c->rxbuf = malloc(RS_MAX_RESPONSE)) == NULL ||
	    connect(c->fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		saved = errno;
		rs_conn_close(c);
		errno = saved;
		return NULL;
	}
	return c;
}

void
rs_conn_close(struct rs_conn *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	free(c->rxbuf);
	free(c);
}

int
rs_conn_set_busy_poll(struct rs_conn *c, unsigned usec)
{
	if (usec > RS_BUSY_POLL_MAX_US) {
		errno = EINVAL;
		return -1;
	}
	c->busy_poll_us = usec;
	return 0;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static size_t
take_fds(struct msghdr *msg, int *fds, size_t max)
{
	struct cmsghdr *cm;
	size_t n = 0, i, count;
	int fd;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < count; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
			if (fds != NULL && n < max)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

/* Receive one message; its fds go to fds.  Returns its length or -1. */
static ssize_t
recv_one(struct rs_conn *c, int *fds, size_t *nfds)
{
	union {
		char		buf[CMSG_SPACE(sizeof(int) * RS_MAX_FDS)];
		struct cmsghdr	align;
	} u;
	struct iovec iov = { .iov_base = c->rxbuf, .iov_len = RS_MAX_RESPONSE };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	uint64_t until = 0;
	ssize_t n;
	size_t got;

	if (c->busy_poll_us > 0)
		until = now_ns() + (uint64_t)c->busy_poll_us * 1000;
	for (;;) {
		n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC |
		    (until != 0 ? MSG_DONTWAIT : 0));
		if (n != -1)
			break;
		if (errno == EAGAIN && until != 0) {
			if (now_ns() >= until)
				until = 0;	/* then wait as usual */
			sched_yield();
		} else if (errno != EINTR)
			return -1;
	}
	got = take_fds(&msg, fds, RS_MAX_FDS);
	if (n == 0 || (msg.msg_flags & MSG_TRUNC)) {
		/* No answer to read: its fds are nobody's. */
		while (got > 0)
			close(fds[--got]);
		errno = n == 0 ? ECONNRESET : EPROTO;
		return -1;
	}
	if (nfds != NULL)
		*nfds = got;
	return n;
}

const char *
rs_last_error(const struct rs_conn *c)
{
	return c->last_error;
}

json_t *
rs_call(struct rs_conn *c, json_t *req, int *fds, size_t *nfds)
{
	long long id = c->next_id++;
	json_t *resp, *err, *rid;
	const char *code, *message;
	size_t len, i, got;
	char *text;
	ssize_t n;

	c->last_error[0] = '\0';
	json_object_set_new(req, "id", json_integer(id));
	text = json_dumps(req, JSON_COMPACT);
	if (text == NULL)
		return NULL;
	/* The daemon would read a cut request and answer it with id null. */
	if ((len = strlen(text)) > RS_MAX_REQUEST) {
		free(text);
		snprintf(c->last_error, sizeof c->last_error, "request of %zu "
		    "bytes: the daemon reads at most %d", len, RS_MAX_REQUEST);
		errno = EMSGSIZE;
		return NULL;
	}
	n = send(c->fd, text, len, MSG_NOSIGNAL);
	free(text);
	if (n == -1)
		return NULL;
	for (;;) {
		got = 0;
		if ((n = recv_one(c, fds, &got)) == -1)
			return NULL;
		resp = json_loadb(c->rxbuf, (size_t)n, 0, NULL);
		rid = json_object_get(resp, "id");
		/* Answers come in order: id null (a request it could not
		 * read) answers the one in flight. */
		if (resp != NULL && json_object_get(resp, "event") == NULL &&
		    (json_is_null(rid) || json_integer_value(rid) == id))
			break;
		/* An event or a stale response: drop it and its fds. */
		json_decref(resp);
		for (i = 0; fds != NULL && i < got; i++)
			close(fds[i]);
	}
	if (nfds != NULL)
		*nfds = got;
	if (!json_is_true(json_object_get(resp, "ok"))) {
		err = json_object_get(resp, "error");
		code = json_string_value(json_object_get(err, "code"));
		message = json_string_value(json_object_get(err, "message"));
		snprintf(c->last_error, sizeof c->last_error, "%s: %s",
		    code != NULL ? code : "error",
		    message != NULL ? message : "(no message)");
	}
	return resp;
}

char *
rs_call_json(struct rs_conn *c, const char *request, int *fds, size_t *nfds)
{
	json_t *req, *resp;
	char *text;

	if ((req = json_loads(request, 0, NULL)) == NULL ||
	    !json_is_object(req)) {
		json_decref(req);
		errno = EINVAL;
		return NULL;
	}
	resp = rs_call(c, req, fds, nfds);
	json_decref(req);
	if (resp == NULL)
		return NULL;
	text = json_dumps(resp, JSON_COMPACT);
	json_decref(resp);
	return text;
}

int
rs_errno_from_code(const char *code)
{
	static const struct {
		const char	*code;
		int		 err;
	} map[] = {
		{ "bad_request", EINVAL },
		{ "unknown_op", ENOSYS },
		{ "denied", EACCES },
		{ "quota", EDQUOT },
		{ "no_such_handle", EBADF },
	};
	size_t i;
	int err;

	if (code == NULL)
		return EIO;
	for (i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (strcmp(map[i].code, code) == 0)
			return map[i].err;
	}
	if ((err = rs_errno_by_name(code)) != 0)
		return err;
	return EIO;
}
