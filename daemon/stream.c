/*
 * Subscriptions: set-up and tear-down, the JSON format, and the events
 * that tell a client what it lost (dropped, tx_rejected) or that its
 * socket died (closed).  The hot paths are stream-rx.c and stream-tx.c.
 *
 * A binary subscription's queue is the channel's socket buffer, sized to
 * queue_bytes: the kernel holds the frames a slow client has not read
 * yet, and a full channel drops frames instead of growing anything here.
 * A JSON subscription's queue is its control connection's, limited the
 * same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_packet.h>
#include <linux/sock_diag.h>

#include <event2/event.h>

#include "addr.h"
#include "bytes.h"
#include "closer.h"
#include "conn.h"
#include "log.h"
#include "rawsock-channel.h"
#include "ring.h"
#include "stream-int.h"

/* At most one dropped / tx_rejected event per subscription this often. */
#define REPORT_INTERVAL_NS	(100 * 1000000LL)
/* Events wait while the client leaves this much unread on its control
 * connection. */
#define REPORT_ROOM		(64 * 1024)

/* Receive options a subscription needs, restored when it ends. */
static const struct {
	int	level;
	int	name;
	bool	packet_only;
} rx_opts[] = {
	{ SOL_SOCKET, SO_TIMESTAMPNS, false },
	{ SOL_SOCKET, SO_RXQ_OVFL, false },
	{ SOL_PACKET, PACKET_AUXDATA, true },
};

/*
 * The kernel stamps received packets only while some socket asks it to,
 * and starts a moment after the first one does: frames in that moment
 * would carry the time they are read.  A socket that asks from start to
 * end (it receives nothing) keeps every subscription's stamps those of
 * arrival.
 */
static int stamp_fd = -1;

void
stream_init(void)
{
	int on = 1;

	if ((stamp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(stamp_fd, SOL_SOCKET, SO_TIMESTAMPNS, &on,
	    sizeof on) == -1)
		log_warn("stream: cannot keep receive timestamps on: %s",
		    strerror(errno));
}

void
stream_fini(void)
{
	if (stamp_fd != -1)
		close(stamp_fd);
	stamp_fd = -1;
}

bool
stream_supported(const struct handle *h)
{
	return h->type == SOCK_RAW || h->type == SOCK_DGRAM;
}

static void
set_rx_opts(struct stream *s, int fd, bool packet)
{
	int on = 1, v;
	socklen_t len;
	size_t i;

	for (i = 0; i < sizeof rx_opts / sizeof rx_opts[0]; i++) {
		if (rx_opts[i].packet_only && !packet)
			continue;
		len = sizeof v;
		if (getsockopt(fd, rx_opts[i].level, rx_opts[i].name, &v,
		    &len) == 0 && v != 0)
			s->saved_opts |= 1 << i;
		setsockopt(fd, rx_opts[i].level, rx_opts[i].name, &on,
		    sizeof on);
	}
}

static void
restore_rx_opts(struct stream *s, int fd, bool packet)
{
	int off = 0;
	size_t i;

	for (i = 0; i < sizeof rx_opts / sizeof rx_opts[0]; i++) {
		if ((rx_opts[i].packet_only && !packet) ||
		    (s->saved_opts & (1 << i)))
			continue;
		setsockopt(fd, rx_opts[i].level, rx_opts[i].name, &off,
		    sizeof off);
	}
}

/* Our end of the channel: non-blocking, its send buffer the queue. */
static int
channel_new(struct stream *s, size_t queue_bytes, int *client,
    struct rs_error *e)
{
	int sv[2], half = (int)(queue_bytes / 2);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return rs_error_errno(e, errno, "channel");
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1) {
		rs_error_errno(e, errno, "channel");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	/* The kernel doubles what it is given, for its bookkeeping. */
	if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &half,
	    sizeof half) == -1)
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &half, sizeof half);
	s->chan = sv[0];
	*client = sv[1];
	return 0;
}

static void report_cb(evutil_socket_t, short, void *);

/* A ring takes half the queue, the channel the rest. */
static size_t
stream_channel_bytes(const struct stream_opts *o)
{
	size_t half = o->queue_bytes / 2;

	if (o->ring == NULL)
		return o->queue_bytes;
	/* A batch message must fit, with room for the next. */
	return half > 2 * RS_FRAME_BATCH_MAX ? half : 2 * RS_FRAME_BATCH_MAX;
}

/* Take r off h's socket; a pass waits until it is off (op-socket.c). */
static void
take_ring_off(struct handle *h, struct ring *r)
{
	int efd;

	if (r == NULL)
		return;
	/* Out of fds or memory: the ring may stay on; the socket is never
	 * passed then (op-socket.c). */
	if ((efd = ring_free(r, h->fd, h->conn->peer.uid)) == -1) {
		h->ring_unknown = true;
		return;
	}
	if (h->ring_off != -1)
		close(h->ring_off);
	h->ring_off = efd;
}

static void
stream_free(struct stream *s)
{
	if (s->ev_rx != NULL)
		event_free(s->ev_rx);
	if (s->ev_tx != NULL)
		event_free(s->ev_tx);
	if (s->ev_tx_write != NULL)
		event_free(s->ev_tx_write);
	if (s->ev_tx_timer != NULL)
		event_free(s->ev_tx_timer);
	if (s->ev_report != NULL)
		event_free(s->ev_report);
	if (s->ev_down != NULL)
		event_free(s->ev_down);
	/* Messages still queued on the channel may carry fds (cmsg.h). */
	if (s->chan != -1)
		closer_close_for(s->chan, s->h->conn->peer.uid);
	take_ring_off(s->h, s->ring);
	stream_tx_free(s);
	free(s);
}

/* The socket's drop total so far (SO_MEMINFO); -1 if it cannot tell. */
static int
socket_drops(int fd, uint32_t *total)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof mem;

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == -1 ||
	    len < sizeof mem)
		return -1;
	*total = mem[SK_MEMINFO_DROPS];
	return 0;
}

int
stream_start(struct handle *h, const struct stream_opts *o, int *channel,
    struct rs_error *e)
{
	struct event_base *base = h->conn->d->base;
	bool packet = h->domain == AF_PACKET;
	struct stream *s = NULL;
	int rcvbuf = (int)o->queue_bytes;

	*channel = -1;
	if (h->stream != NULL)
		rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "handle %lld is already subscribed", h->id);
	else if (!stream_supported(h))
		rs_error_set(e, RS_E_BAD_REQUEST, 0, "handle %lld: only raw "
		    "and datagram sockets stream frames", h->id);
	else if ((s = calloc(1, sizeof *s)) == NULL)
		rs_error_errno(e, ENOMEM, "subscribe");
	if (s == NULL) {
		take_ring_off(h, o->ring);
		return -1;
	}
	s->h = h;
	s->ring = o->ring;
	s->format = o->format;
	s->snaplen = o->snaplen;
	s->queue_bytes = o->queue_bytes;
	if (o->batch)
		s->batch_bytes = RS_FRAME_BATCH_MAX;
	s->chan = -1;
	if (o->format == STREAM_BINARY &&
	    channel_new(s, stream_channel_bytes(o), channel, e) == -1) {
		stream_free(s);
		return -1;
	}
	/* A channel that only sends leaves the socket unwatched: a watch is
	 * woken by every frame the socket sends, once the kernel frees it
	 * (a tenth of the rate at 64 B). */
	if (o->receive)
		s->ev_rx = event_new(base, h->fd, EV_READ | EV_PERSIST,
		    s->ring != NULL ? stream_ring_cb : stream_rx_cb, s);
	s->ev_report = evtimer_new(base, report_cb, s);
	s->ev_down = evtimer_new(base, stream_down_cb, s);
	if (s->chan != -1) {
		s->ev_tx = event_new(base, s->chan, EV_READ | EV_PERSIST,
		    stream_tx_cb, s);
		s->ev_tx_write = event_new(base, h->fd, EV_WRITE,
		    stream_tx_resume_cb, s);
		s->ev_tx_timer = evtimer_new(base, stream_tx_resume_cb, s);
	}
	if ((o->receive && s->ev_rx == NULL) || s->ev_report == NULL ||
	    s->ev_down == NULL ||
	    (s->chan != -1 &&
	    (s->ev_tx == NULL || s->ev_tx_write == NULL ||
	    s->ev_tx_timer == NULL))) {
		if (*channel != -1)
			close(*channel);
		*channel = -1;
		stream_free(s);
		return rs_error_errno(e, ENOMEM, "subscribe");
	}
	/* A ring has its own timestamps, metadata and room; and turning
	 * SO_TIMESTAMPNS on stamps every packet of the host. */
	if (s->ring == NULL && o->receive) {
		set_rx_opts(s, h->fd, packet);
		/* Room in the kernel for bursts the loop has not read yet. */
		if (setsockopt(h->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		    sizeof rcvbuf) == -1)
			setsockopt(h->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			    sizeof rcvbuf);
	}
	/* Drops count from now on: the socket's earlier ones are not the
	 * subscription's (a ring's counters were reset as it went on). */
	if (s->ring == NULL)
		socket_drops(h->fd, &s->kernel_drops);
	h->stream = s;
	if (s->ev_rx != NULL)
		event_add(s->ev_rx, NULL);
	if (s->ev_tx != NULL)
		event_add(s->ev_tx, NULL);
	return 0;
}

void
stream_stop(struct handle *h)
{
	struct stream *s = h->stream;

	if (s == NULL)
		return;
	h->stream = NULL;
	if (s->ring == NULL && s->ev_rx != NULL)
		restore_rx_opts(s, h->fd, h->domain == AF_PACKET);
	stream_free(s);
}

/* Counters of the handle, its connection and the daemon, together. */
static void
count3(struct stream *s, size_t field, uint64_t n)
{
	struct handle *h = s->h;

	*(uint64_t *)((char *)&h->stats + field) += n;
	*(uint64_t *)((char *)&h->conn->stats + field) += n;
	*(uint64_t *)((char *)&h->conn->d->stats + field) += n;
}

void
stream_count_in(struct stream *s, uint64_t frames, uint64_t bytes)
{
	count3(s, offsetof(struct stats, frames_in), frames);
	count3(s, offsetof(struct stats, bytes_in), bytes);
}

void
stream_count_out(struct stream *s, uint64_t frames, uint64_t bytes)
{
	count3(s, offsetof(struct stats, frames_out), frames);
	count3(s, offsetof(struct stats, bytes_out), bytes);
}

void
stream_count_drops(struct stream *s, uint64_t n, bool kernel)
{
	if (n == 0)
		return;
	s->drops_unsent += (uint32_t)n;
	s->drops_unreported += n;
	count3(s, kernel ? offsetof(struct stats, drops_kernel) :
	    offsetof(struct stats, drops_queue), n);
}

void
stream_reject(struct stream *s, const char *reason)
{
	s->rejected_unreported++;
	snprintf(s->reject_reason, sizeof s->reject_reason, "%s", reason);
	count3(s, offsetof(struct stats, tx_rejected), 1);
}

static void
post(struct stream *s, json_t *ev)
{
	if (ev != NULL)
		conn_post(s->h->conn, ev);
	json_decref(ev);
}

static void
report_now(struct stream *s)
{
	if (s->drops_unreported > 0) {
		post(s, json_pack("{s:s, s:I, s:I}", "event", "dropped",
		    "handle", (json_int_t)s->h->id,
		    "count", (json_int_t)s->drops_unreported));
		s->drops_unreported = 0;
	}
	if (s->rejected_unreported > 0) {
		post(s, json_pack("{s:s, s:I, s:I, s:s}", "event",
		    "tx_rejected", "handle", (json_int_t)s->h->id,
		    "count", (json_int_t)s->rejected_unreported,
		    "reason", s->reject_reason));
		s->rejected_unreported = 0;
	}
}

void
stream_report(struct stream *s)
{
	struct timeval tv = { 0, REPORT_INTERVAL_NS / 1000 };
	long long now;

	if (s->drops_unreported == 0 && s->rejected_unreported == 0)
		return;
	now = bucket_now_ns();
	if (now - s->last_report_ns < REPORT_INTERVAL_NS ||
	    s->h->conn->out_bytes >= REPORT_ROOM) {
		if (!evtimer_pending(s->ev_report, NULL))
			evtimer_add(s->ev_report, &tv);
		return;
	}
	s->last_report_ns = now;
	report_now(s);
}

static void
report_cb(evutil_socket_t fd, short what, void *arg)
{
	stream_report(arg);
}

void
stream_json_frame(struct stream *s, const struct rx_frame *f)
{
	struct conn *c = s->h->conn;
	size_t caplen = f->caplen;
	json_t *ev, *addr;

	if (s->snaplen > 0 && caplen > s->snaplen)
		caplen = s->snaplen;
	if (c->out_bytes + caplen * 4 / 3 >= s->queue_bytes) {
		stream_count_drops(s, 1, false);
		return;
	}
	addr = f->addr_len > 0 ? rs_addr_to_json(f->addr, f->addr_len) : NULL;
	ev = json_pack("{s:s, s:I, s:I, s:o, s:I, s:o, s:I}",
	    "event", "frame", "handle", (json_int_t)s->h->id,
	    "ts_ns", (json_int_t)f->ts_ns,
	    "data", rs_base64_json(f->data, caplen),
	    "orig_len", (json_int_t)f->orig_len,
	    "address", addr != NULL ? addr : json_null(),
	    "drops", (json_int_t)s->drops_unsent);
	if (ev != NULL && f->flags & RS_FRAME_VLAN)
		json_object_set_new(ev, "vlan_tci", json_integer(f->vlan_tci));
	if (ev == NULL || conn_post(c, ev) == -1) {
		json_decref(ev);
		stream_count_drops(s, 1, false);
		return;
	}
	json_decref(ev);
	s->drops_unsent = 0;
	stream_count_in(s, 1, caplen);
}

void
stream_close_handle(struct handle *h, const char *reason)
{
	json_t *ev;

	log_info("conn %llu: handle %lld closed: %s",
	    (unsigned long long)h->conn->id, h->id, reason);
	if (h->stream != NULL)
		report_now(h->stream);
	ev = json_pack("{s:s, s:I, s:s}", "event", "closed", "handle",
	    (json_int_t)h->id, "reason", reason);
	if (ev != NULL)
		conn_post(h->conn, ev);
	json_decref(ev);
	handle_close(h);
}

void
stream_sync_drops(struct handle *h)
{
	struct stream *s = h->stream;
	uint32_t total;

	/* A send-only subscription reads nothing: its socket's drops are
	 * none of its own. */
	if (s == NULL || s->ev_rx == NULL)
		return;
	if (s->ring != NULL) {
		stream_ring_drops(s);
		return;
	}
	/* SO_RXQ_OVFL only comes with a frame: drops after the last frame
	 * read would go uncounted until the next one. */
	if (socket_drops(h->fd, &total) == 0)
		stream_kernel_total(s, total);
}

/* A frame queued before the last look carries an older total than it
 * saw: never counted backwards (the difference would wrap). */
void
stream_kernel_total(struct stream *s, uint32_t total)
{
	int32_t n = (int32_t)(total - s->kernel_drops);

	if (n <= 0)
		return;
	stream_count_drops(s, (uint64_t)n, true);
	s->kernel_drops = total;
}
