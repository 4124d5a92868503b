/*
 * The send path: messages a client writes on its channel (a frame each,
 * or batches), read with recvmmsg, each frame checked as sendto would
 * check it (interface, spoof, ethertype, size), and sent on the socket
 * with sendmmsg.  A bad frame is counted and reported (a tx_rejected
 * event), never fatal.
 *
 * tx_pps is enforced by sending no more than the bucket allows: frames
 * over the rate wait, in the messages already read and then in the
 * channel, which is not read meanwhile; so a fast client is slowed down,
 * not dropped.  Likewise a socket that cannot take more (EAGAIN, or
 * ENOBUFS from a full device queue) stops the reading until it can.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <event2/event.h>

#include "cmsg.h"
#include "conn.h"
#include "log.h"
#include "op.h"
#include "policy.h"
#include "rawsock-channel.h"
#include "spoof.h"
#include "stream-int.h"

#define TX_READ		32		/* messages per recvmmsg */
#define TX_BATCH	64		/* frames per sendmmsg */
#define TX_BUF_MAX	(512 * 1024)	/* per stream, for large MTUs */
#define TX_BUDGET	1024		/* messages and frames per wake-up */
#define TX_HEADROOM	(RS_FRAME_BATCH_HDR_SIZE + RS_FRAME_ADDR_MAX + 8)
#define VLAN_HLEN	4

/*
 * Messages read, the frames of in[cur] from off on still to look at, and
 * out[first..n) checked but not sent yet: a stall (a full socket, an
 * empty bucket) resumes where it stopped, reading nothing new till then.
 */
struct stream_tx {
	size_t			 limit;		/* the largest frame */
	size_t			 slot;		/* bytes per message */
	unsigned		 nslots;
	struct mmsghdr		 in[TX_READ];
	struct iovec		 in_iov[TX_READ];
	union {
		char		 buf[CMSG_FDS_SPACE];
		struct cmsghdr	 align;
	}			 in_ctl[TX_READ];	/* fds, to close */
	unsigned		 nin, cur;
	size_t			 off;
	struct mmsghdr		 out[TX_BATCH];
	struct iovec		 out_iov[TX_BATCH];
	struct rs_addr		 to[TX_BATCH];
	unsigned		 first, n;
	uint8_t			 buf[];
};

/* The interface's MTU, or 0 when there is none or it is not known. */
static size_t
iface_mtu(int ifindex)
{
	struct ifreq ifr = { 0 };
	int fd, r;

	if (ifindex == 0 || if_indextoname((unsigned)ifindex,
	    ifr.ifr_name) == NULL)
		return 0;
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	r = ioctl(fd, SIOCGIFMTU, &ifr);
	close(fd);
	return r == 0 && ifr.ifr_mtu > 0 ? (size_t)ifr.ifr_mtu : 0;
}

/*
 * The largest frame: the MTU plus the link header a SOCK_RAW packet
 * socket writes itself (with one VLAN tag).  The kernel checks again.
 */
static size_t
frame_limit(const struct handle *h)
{
	size_t mtu = iface_mtu(h->ifindex);

	if (mtu == 0)
		return 65535;
	if (h->domain == AF_PACKET && h->type == SOCK_RAW)
		return mtu + ETH_HLEN + VLAN_HLEN;
	return mtu;
}

/* A slot holds one frame, or a batch on a batch subscription. */
static struct stream_tx *
tx_new(const struct stream *s)
{
	struct stream_tx *tx;
	size_t limit = frame_limit(s->h), slot = TX_HEADROOM + limit, n, i;

	if (s->batch_bytes > slot)
		slot = s->batch_bytes;
	n = TX_BUF_MAX / slot;
	n = n < 1 ? 1 : n > TX_READ ? TX_READ : n;
	if ((tx = calloc(1, sizeof *tx + n * slot)) == NULL)
		return NULL;
	tx->limit = limit;
	tx->slot = slot;
	tx->nslots = (unsigned)n;
	for (i = 0; i < n; i++) {
		tx->in_iov[i].iov_base = tx->buf + i * slot;
		tx->in_iov[i].iov_len = slot;
	}
	return tx;
}

void
stream_tx_free(struct stream *s)
{
	free(s->tx);
	s->tx = NULL;
}

/* Check one frame; on success out[n] is ready to send.  NULL or why not. */
static const char *
tx_check(struct stream *s, const struct policy_rule *r,
    const struct rs_frame_hdr *hdr, const void *addr, const uint8_t *frame,
    size_t flen, struct rs_error *e)
{
	struct stream_tx *tx = s->tx;
	const struct handle *h = s->h;
	struct rs_addr *to = &tx->to[tx->n];

	if (r == NULL)
		return "denied: no policy rule allows this client";
	if (flen == 0)
		return "empty frame";
	if (flen > tx->limit)
		return "frame larger than the interface's MTU";
	/* Nothing of the previous frame's address is left behind it. */
	to->len = hdr->addr_len;
	if (to->len > 0)
		memcpy(&to->ss, addr, to->len);
	memset((uint8_t *)&to->ss + to->len, 0, sizeof to->ss - to->len);
	if (op_check_frame(r, h, to, frame, flen, e) == -1)
		return e->message;
	tx->out_iov[tx->n] = (struct iovec){ (void *)frame, flen };
	tx->out[tx->n].msg_hdr = (struct msghdr){
		.msg_name = to->len > 0 ? &to->ss : NULL,
		.msg_namelen = to->len,
		.msg_iov = &tx->out_iov[tx->n], .msg_iovlen = 1,
	};
	tx->n++;
	return NULL;
}

/*
 * Check the frames of the messages read, from in[cur] at off, until
 * out[] is full or every message is done.  Returns the frames looked at.
 */
static unsigned
tx_parse(struct stream *s, const struct policy_rule *r)
{
	struct stream_tx *tx = s->tx;
	struct rs_frame_hdr hdr;
	struct rs_error e;
	const void *addr, *frame;
	const uint8_t *msg;
	const char *why;
	size_t len, flen;
	unsigned seen = 0;
	int got;

	for (; tx->cur < tx->nin && tx->n < TX_BATCH; tx->cur++, tx->off = 0) {
		msg = tx->buf + tx->cur * tx->slot;
		len = tx->in[tx->cur].msg_len;
		if (len > tx->slot) {
			stream_reject(s, "message larger than the interface's "
			    "MTU or a batch");
			continue;
		}
		while (tx->n < TX_BATCH && (got = rs_frame_next(msg, len,
		    &tx->off, &hdr, &addr, &frame, &flen)) == 1) {
			seen++;
			if ((why = tx_check(s, r, &hdr, addr, frame, flen,
			    &e)) != NULL)
				stream_reject(s, why);
		}
		if (tx->n == TX_BATCH && tx->off < len)
			break;		/* the rest of this message next */
		if (got == -1)
			stream_reject(s, "malformed message: bad magic, "
			    "version or lengths");
	}
	return seen;
}

/* Wait for the socket (EAGAIN) or a moment (ENOBUFS) before going on. */
static void
tx_stall(struct stream *s, int err)
{
	struct timeval tv = { 0, 1000 };

	event_del(s->ev_tx);
	if (err == EAGAIN)
		event_add(s->ev_tx_write, NULL);
	else
		evtimer_add(s->ev_tx_timer, &tv);
}

/* The bucket is empty: read nothing until it has tokens again. */
static void
tx_wait_tokens(struct stream *s, long long rate)
{
	long long ns = bucket_wait_ns(s->h->conn->tx_bucket, rate);
	struct timeval tv = { ns / 1000000000, ns % 1000000000 / 1000 };

	event_del(s->ev_tx);
	evtimer_add(s->ev_tx_timer, &tv);
}

/*
 * Send out[first..n), no faster than the bucket allows; 0 when all went
 * (or were refused), -1 stalled.
 */
static int
tx_flush(struct stream *s, long long rate)
{
	struct stream_tx *tx = s->tx;
	struct bucket *b = s->h->conn->tx_bucket;
	uint64_t bytes;
	unsigned i, k;
	int r;

	while (tx->first < tx->n) {
		k = bucket_take(b, rate, tx->n - tx->first, bucket_now_ns());
		if (k == 0) {
			tx_wait_tokens(s, rate);
			return -1;
		}
		r = sendmmsg(s->h->fd, tx->out + tx->first, k,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		bucket_refund(b, rate, k - (r > 0 ? (unsigned)r : 0));
		if (r > 0) {
			for (bytes = 0, i = 0; i < (unsigned)r; i++)
				bytes += tx->out[tx->first + i].msg_len;
			stream_count_out(s, (uint64_t)r, bytes);
			tx->first += (unsigned)r;
		} else if (errno == EAGAIN || errno == ENOBUFS) {
			tx_stall(s, errno);
			return -1;
		} else if (errno != EINTR) {
			stream_reject(s, strerror(errno));
			tx->first++;
		}
	}
	tx->first = tx->n = 0;
	return 0;
}

/* Read the next messages; how many, 0 when none. */
static unsigned
tx_read(struct stream *s)
{
	struct stream_tx *tx = s->tx;
	unsigned i;
	int n;

	for (i = 0; i < tx->nslots; i++)
		tx->in[i].msg_hdr = (struct msghdr){
			.msg_iov = &tx->in_iov[i], .msg_iovlen = 1,
			.msg_control = tx->in_ctl[i].buf,
			.msg_controllen = sizeof tx->in_ctl[i].buf,
		};
	n = recvmmsg(s->chan, tx->in, tx->nslots, MSG_DONTWAIT | MSG_TRUNC |
	    MSG_CMSG_CLOEXEC, NULL);
	if (n <= 0)
		return 0;
	for (i = 0; i < (unsigned)n; i++) {
		if (cmsg_close_fds(&tx->in[i].msg_hdr,
		    s->h->conn->peer.uid) > 0) {
			stream_reject(s, "a message carried fds: closed");
			tx->in[i].msg_len = 0;
			continue;
		}
		if (tx->in[i].msg_len != 0)
			continue;
		if (peer_hung_up(s->chan)) {
			s->broken = true;
			n = (int)i;
			break;
		}
		stream_reject(s, "malformed message: empty");
	}
	tx->nin = (unsigned)n;
	tx->cur = 0;
	tx->off = 0;
	return tx->nin;
}

/* Go on from the loop's next turn: the others' turn now. */
static void
tx_yield(struct stream *s)
{
	struct timeval now = { 0, 0 };

	event_del(s->ev_tx);
	evtimer_add(s->ev_tx_timer, &now);
}

/*
 * Send what is pending, then read, check and send more, till the channel
 * is empty, a stall (it resumes from the timer or the socket), or the
 * budget of a wake-up is spent.
 */
static void
tx_run(struct stream *s)
{
	struct conn *c = s->h->conn;
	const struct policy_rule *r = policy_match(c->d->policy, &c->peer);
	long long rate = r != NULL ? r->allow.tx_pps : 0;
	struct stream_tx *tx;
	unsigned work = 0;

	if (s->tx == NULL && (s->tx = tx_new(s)) == NULL) {
		log_warn("conn %llu: handle %lld: out of memory for frames "
		    "to send", (unsigned long long)c->id, s->h->id);
		s->broken = true;
		return;
	}
	tx = s->tx;
	if (policy_checks_spoof(r))
		spoof_refresh();
	for (;;) {
		if (tx_flush(s, rate) == -1 || s->broken)
			return;
		if (work >= TX_BUDGET) {
			tx_yield(s);
			return;
		}
		if (tx->cur == tx->nin) {
			if (tx_read(s) == 0)
				return;
			work += tx->nin;
		}
		work += tx_parse(s, r);
	}
}

void
stream_tx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stream *s = arg;

	tx_run(s);
	stream_report(s);
	if (s->broken)
		stream_stop(s->h);
}

void
stream_tx_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stream *s = arg;

	event_add(s->ev_tx, NULL);
	stream_tx_cb(s->chan, EV_READ, s);
}
