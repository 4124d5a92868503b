/*
 * Connections.  Requests are read one datagram at a time and answered in
 * order; responses go out on the same socket, with SCM_RIGHTS when they
 * pass fds.  A client that does not read its responses stops being read
 * (its output queue is bounded), a client that sends fds gets them closed,
 * and a connection is only ever freed outside its own callbacks.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "closer.h"
#include "cmsg.h"
#include "conn.h"
#include "dispatch.h"
#include "envelope.h"
#include "log.h"
#include "promisc.h"

/* Stop reading a client whose unsent responses cost this much. */
#define CONN_OUTQ_PAUSE		(128 * 1024)
/* What a queued message costs beyond its text: the struct and malloc. */
#define OUTMSG_COST(m)		((m)->len + sizeof *(m) + 64)
#define CONN_SNDBUF		(2 * RS_MAX_RESPONSE + 64 * 1024)
#define CONN_READ_BATCH		16
#define CONN_MAX_PER_UID	256
#define CONN_MAX		4096
#define CONN_CLOSING_MAX	1024	/* a uid's fds waiting to be closed */

static void conn_read_cb(evutil_socket_t, short, void *);
static void conn_write_cb(evutil_socket_t, short, void *);

static unsigned
conns_of_uid(struct daemon *d, uid_t uid)
{
	struct conn *c;
	unsigned n = 0;

	TAILQ_FOREACH(c, &d->conns, entry) {
		if (!c->dead && c->peer.uid == uid)
			n++;
	}
	return n;
}

void
conn_new(struct daemon *d, int fd)
{
	struct conn *c;
	int size = CONN_SNDBUF, r;

	/* A refused connection is closed off the loop too: datagrams it
	 * queued before the accept may carry fds (cmsg.h). */
	if ((c = calloc(1, sizeof *c)) == NULL) {
		closer_close(fd);
		return;
	}
	c->d = d;
	c->fd = fd;
	c->id = ++d->next_conn_id;
	TAILQ_INIT(&c->outq);
	TAILQ_INIT(&c->handles);
	if ((r = peer_from_socket(fd, &c->peer)) < 0) {
		log_warn("conn %llu: no peer credentials (%s): refused",
		    (unsigned long long)c->id, strerror(-r));
		closer_close(fd);
		free(c);
		return;
	}
	if (d->nconns >= CONN_MAX || (c->peer.uid != 0 &&
	    conns_of_uid(d, c->peer.uid) >= CONN_MAX_PER_UID)) {
		log_warn("conn %llu: uid %u pid %d: too many connections",
		    (unsigned long long)c->id, (unsigned)c->peer.uid,
		    (int)c->peer.pid);
		closer_close_for(fd, c->peer.uid);
		peer_clear(&c->peer);
		free(c);
		return;
	}
	/* Room for a 1 MiB response; root may exceed wmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) ==
	    -1)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	c->ev_read = event_new(d->base, fd, EV_READ | EV_PERSIST, conn_read_cb,
	    c);
	c->ev_write = event_new(d->base, fd, EV_WRITE | EV_PERSIST,
	    conn_write_cb, c);
	c->tx_bucket = bucket_of_uid(c->peer.uid);
	if (c->ev_read == NULL || c->ev_write == NULL || c->tx_bucket == NULL) {
		if (c->ev_read != NULL)
			event_free(c->ev_read);
		if (c->ev_write != NULL)
			event_free(c->ev_write);
		bucket_release(c->tx_bucket);
		closer_close_for(fd, c->peer.uid);
		peer_clear(&c->peer);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&d->conns, c, entry);
	d->nconns++;
	d->clients_total++;
	event_add(c->ev_read, NULL);
	log_debug("conn %llu: uid %u gid %u pid %d connected",
	    (unsigned long long)c->id, (unsigned)c->peer.uid,
	    (unsigned)c->peer.gid, (int)c->peer.pid);
}

static void
outmsg_free(struct outmsg *m)
{
	size_t i;

	/* Sockets being passed: if the client already closed its copy, ours
	 * is the last and closing it may block. */
	for (i = 0; i < m->nfds; i++)
		closer_close_for(m->fds[i], m->uid);
	free(m->buf);
	free(m);
}

static void
conn_free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct outmsg *m;

	while ((m = TAILQ_FIRST(&c->outq)) != NULL) {
		TAILQ_REMOVE(&c->outq, m, entry);
		outmsg_free(m);
	}
	bucket_release(c->tx_bucket);
	peer_clear(&c->peer);
	free(c);
}

void
conn_close(struct conn *c, const char *why)
{
	struct daemon *d = c->d;
	struct handle *h;

	if (c->dead)
		return;
	c->dead = true;
	log_debug("conn %llu: uid %u pid %d closed: %s",
	    (unsigned long long)c->id, (unsigned)c->peer.uid,
	    (int)c->peer.pid, why);
	dispatch_cancel(c);
	while ((h = TAILQ_FIRST(&c->handles)) != NULL)
		handle_close(h);
	promisc_release_all(c);
	event_free(c->ev_read);
	event_free(c->ev_write);
	c->ev_read = c->ev_write = NULL;
	/* Datagrams still queued may carry fds (cmsg.h). */
	closer_close_for(c->fd, c->peer.uid);
	c->fd = -1;
	TAILQ_REMOVE(&d->conns, c, entry);
	d->nconns--;
	/* Callers may still hold c: free it on the next loop turn. */
	if (event_base_once(d->base, -1, EV_TIMEOUT, conn_free_cb, c,
	    NULL) == -1)
		log_err("conn %llu: cannot schedule free",
		    (unsigned long long)c->id);
}

void
conn_close_all(struct daemon *d)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&d->conns)) != NULL)
		conn_close(c, "daemon exiting");
}

/* Try to send one message now; 1 sent, 0 would block, -1 broken. */
static int
outmsg_try(struct conn *c, struct outmsg *m)
{
	union {
		char		buf[CMSG_SPACE(sizeof(int) * CONN_MAX_PASS_FDS)];
		struct cmsghdr	align;
	} u;
	struct iovec iov = { .iov_base = m->buf, .iov_len = m->len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (m->nfds > 0) {
		memset(&u, 0, sizeof u);
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * m->nfds);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * m->nfds);
		memcpy(CMSG_DATA(cm), m->fds, sizeof(int) * m->nfds);
	}
	if (sendmsg(c->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		return -1;
	}
	return 1;
}

static void
conn_flush(struct conn *c)
{
	struct outmsg *m;
	int r;

	while ((m = TAILQ_FIRST(&c->outq)) != NULL) {
		if ((r = outmsg_try(c, m)) == 0)
			break;
		if (r == -1) {
			conn_close(c, strerror(errno));
			return;
		}
		TAILQ_REMOVE(&c->outq, m, entry);
		c->out_bytes -= OUTMSG_COST(m);
		outmsg_free(m);
	}
	if (TAILQ_EMPTY(&c->outq))
		event_del(c->ev_write);
	else
		event_add(c->ev_write, NULL);
	/* Resume reading once the client has drained its responses and no
	 * request is waiting (requests are answered in order). */
	if (c->out_bytes < CONN_OUTQ_PAUSE && c->pending == NULL)
		event_add(c->ev_read, NULL);
	else
		event_del(c->ev_read);
}

void
conn_pause(struct conn *c)
{
	event_del(c->ev_read);
}

void
conn_resume(struct conn *c)
{
	if (!c->dead)
		conn_flush(c);
}

int
conn_send(struct conn *c, const json_t *msg, const int *fds, size_t nfds)
{
	struct outmsg *m;
	size_t i;

	if (c->dead || nfds > CONN_MAX_PASS_FDS ||
	    (m = calloc(1, sizeof *m)) == NULL) {
		for (i = 0; i < nfds; i++)
			closer_close_for(fds[i], c->peer.uid);
		if (!c->dead)
			conn_close(c, "out of memory");
		return -1;
	}
	if (nfds > 0)
		memcpy(m->fds, fds, nfds * sizeof *fds);
	m->nfds = nfds;
	m->uid = c->peer.uid;
	if ((m->buf = rs_encode(msg, RS_MAX_RESPONSE, &m->len)) == NULL) {
		outmsg_free(m);
		conn_close(c, "response too large to encode");
		return -1;
	}
	TAILQ_INSERT_TAIL(&c->outq, m, entry);
	c->out_bytes += OUTMSG_COST(m);
	conn_flush(c);
	return c->dead ? -1 : 0;
}

int
conn_post(struct conn *c, const json_t *msg)
{
	struct outmsg *m;

	if (c->dead || (m = calloc(1, sizeof *m)) == NULL)
		return -1;
	if ((m->buf = rs_encode(msg, RS_MAX_RESPONSE, &m->len)) == NULL) {
		free(m);
		return -1;
	}
	TAILQ_INSERT_TAIL(&c->outq, m, entry);
	c->out_bytes += OUTMSG_COST(m);
	event_add(c->ev_write, NULL);
	return 0;
}

bool
peer_hung_up(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };

	return poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* Read and answer one datagram; false when the connection should stop. */
static bool
conn_read_one(struct conn *c)
{
	union {
		char		buf[CMSG_FDS_SPACE];
		struct cmsghdr	align;
	} u;
	struct iovec iov = { .iov_base = c->d->rxbuf,
	    .iov_len = RS_MAX_REQUEST };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	size_t nfds;
	ssize_t n;

	/* Each datagram may bring 253 fds to close, whose closes may not
	 * end: a uid whose wait past CONN_CLOSING_MAX is read no more. */
	if (closer_pending_for(c->peer.uid) > CONN_CLOSING_MAX) {
		conn_close(c, "too many of this uid's fds wait to be closed");
		return false;
	}
	n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			conn_close(c, strerror(errno));
		return false;
	}
	nfds = cmsg_close_fds(&msg, c->peer.uid);
	if (n == 0 && nfds == 0) {
		if (peer_hung_up(c->fd)) {
			conn_close(c, "peer closed");
			return false;
		}
		return true;	/* an empty datagram is ignored */
	}
	dispatch_datagram(c, c->d->rxbuf, (size_t)n,
	    (msg.msg_flags & MSG_TRUNC) != 0,
	    nfds > 0 || (msg.msg_flags & MSG_CTRUNC) != 0);
	return !c->dead;
}

static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	int i;

	/* A few requests per wake-up, so one busy client cannot starve others. */
	for (i = 0; i < CONN_READ_BATCH; i++) {
		if (!conn_read_one(c) || c->out_bytes >= CONN_OUTQ_PAUSE ||
		    c->pending != NULL)
			break;
	}
}

static void
conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_flush(arg);
}
