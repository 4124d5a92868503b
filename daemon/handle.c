/*
 * Managed sockets: allocation, look-up, close.
 */
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "closer.h"
#include "conn.h"
#include "dispatch.h"
#include "handle.h"
#include "stream.h"

struct handle *
handle_new(struct conn *c, int fd, int domain, int type, int protocol)
{
	struct handle *h;

	if ((h = calloc(1, sizeof *h)) == NULL) {
		closer_close_for(fd, c->peer.uid);
		return NULL;
	}
	h->conn = c;
	h->id = ++c->next_handle;
	h->fd = fd;
	h->domain = domain;
	h->type = type;
	h->protocol = protocol;
	h->ring_off = -1;
	h->linktype = -1;
	TAILQ_INSERT_TAIL(&c->handles, h, entry);
	c->nhandles++;
	c->d->sockets_open++;
	return h;
}

struct handle *
handle_find(struct conn *c, long long id, struct rs_error *e)
{
	struct handle *h;

	TAILQ_FOREACH(h, &c->handles, entry) {
		if (h->id == id)
			return h;
	}
	rs_error_set(e, RS_E_NO_SUCH_HANDLE, 0,
	    "handle %lld is not open on this connection", id);
	return NULL;
}

static void
handle_unlink(struct handle *h)
{
	struct conn *c = h->conn;

	dispatch_fd_closing(c, h->fd);
	dispatch_fd_closing(c, h->ring_off);
	stream_stop(h);
	if (h->ring_off != -1)
		close(h->ring_off);
	TAILQ_REMOVE(&c->handles, h, entry);
	c->nhandles--;
	c->d->sockets_open--;
	filter_free(&h->policy_filter);
}

/*
 * A lingering close blocks until the data is out or the time is up (up
 * to INT_MAX seconds): on a closer thread that would hold it, and a few
 * would hold them all.  The client was answered already, so a linger
 * time means nothing here: the close goes on in the background instead
 * (a linger of 0, a reset, does not wait and stays).
 */
static void
no_linger(const struct handle *h)
{
	struct linger l;
	socklen_t len = sizeof l;

	if (h->domain == AF_PACKET || h->domain == AF_UNIX ||
	    getsockopt(h->fd, SOL_SOCKET, SO_LINGER, &l, &len) == -1 ||
	    !l.l_onoff || l.l_linger == 0)
		return;
	l.l_onoff = 0;
	setsockopt(h->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

void
handle_close(struct handle *h)
{
	uid_t uid = h->conn->peer.uid;

	handle_unlink(h);
	no_linger(h);
	closer_close_for(h->fd, uid);
	free(h);
}

int
handle_take_fd(struct handle *h)
{
	int fd = h->fd;

	handle_unlink(h);
	free(h);
	return fd;
}

unsigned
handles_of_uid(struct daemon *d, unsigned uid)
{
	struct conn *c;
	unsigned n = 0;

	TAILQ_FOREACH(c, &d->conns, entry) {
		if (c->peer.uid == uid)
			n += c->nhandles;
	}
	return n;
}
