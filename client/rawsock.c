/*
 * librawsock: the connection to rawsockd and one request/response round
 * trip.  Responses are matched by id; events in between are skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "envelope.h"
#include "error.h"
#include "rawsock.h"

struct rs_conn {
	int		 fd;
	long long	 next_id;
	char		*rxbuf;
};

struct rs_conn *
rs_connect(const char *path)
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
		rs_close(c);
		errno = saved;
		return NULL;
	}
	return c;
}

void
rs_close(struct rs_conn *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	free(c->rxbuf);
	free(c);
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
	ssize_t n;
	size_t got;

	do {
		n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	got = take_fds(&msg, fds, RS_MAX_FDS);
	if (nfds != NULL)
		*nfds = got;
	if (n == 0) {
		errno = ECONNRESET;
		return -1;
	}
	if (msg.msg_flags & MSG_TRUNC) {
		errno = EPROTO;
		return -1;
	}
	return n;
}

char *
rs_call_json(struct rs_conn *c, const char *request, int *fds, size_t *nfds)
{
	long long id = c->next_id++;
	json_t *req, *resp;
	size_t len, i, got;
	char *text;
	ssize_t n;

	if ((req = json_loads(request, 0, NULL)) == NULL ||
	    !json_is_object(req)) {
		json_decref(req);
		errno = EINVAL;
		return NULL;
	}
	json_object_set_new(req, "id", json_integer(id));
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL)
		return NULL;
	len = strlen(text);
	n = send(c->fd, text, len, MSG_NOSIGNAL);
	free(text);
	if (n == -1)
		return NULL;
	for (;;) {
		got = 0;
		if ((n = recv_one(c, fds, &got)) == -1)
			return NULL;
		resp = json_loadb(c->rxbuf, (size_t)n, 0, NULL);
		if (resp != NULL && json_integer_value(json_object_get(resp,
		    "id")) == id && json_object_get(resp, "event") == NULL)
			break;
		/* An event or a stale response: drop it and its fds. */
		json_decref(resp);
		for (i = 0; fds != NULL && i < got; i++)
			close(fds[i]);
	}
	if (nfds != NULL)
		*nfds = got;
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

	for (i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (strcmp(map[i].code, code) == 0)
			return map[i].err;
	}
	if ((err = rs_errno_by_name(code)) != 0)
		return err;
	return EIO;
}
