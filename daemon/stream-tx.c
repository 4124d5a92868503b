/*
 * The send path: messages a client writes on its channel, read with
 * recvmmsg, checked as sendto would check them (interface, spoof,
 * ethertype, size), and sent on the socket with sendmmsg.  A bad frame is
 * counted and reported (a tx_rejected event), never fatal.
 *
 * tx_pps is enforced by reading no more than the bucket allows: frames
 * over the rate wait in the channel, so a fast client is slowed down,
 * not dropped.  Likewise a socket that cannot take more (EAGAIN, or
 * ENOBUFS from a full device queue) stops the reading until it can.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <event2/event.h>

#include "conn.h"
#include "log.h"
#include "op.h"
#include "policy.h"
#include "rawsock-channel.h"
#include "spoof.h"
#include "stream-int.h"

#define TX_BATCH	32		/* messages per recvmmsg / sendmmsg */
#define TX_BUF_MAX	(512 * 1024)	/* per stream, for large MTUs */
#define TX_ROUNDS	8		/* batches per wake-up: then others */
#define TX_HEADROOM	(RS_FRAME_HDR_SIZE + RS_FRAME_ADDR_MAX)
#define VLAN_HLEN	4

struct stream_tx {
	size_t			 limit;		/* the largest frame */
	size_t			 slot;		/* bytes per message */
	unsigned		 nslots;
	struct mmsghdr		 in[TX_BATCH];
	struct iovec		 in_iov[TX_BATCH];
	struct mmsghdr		 out[TX_BATCH];
	struct iovec		 out_iov[TX_BATCH];
	struct rs_addr		 to[TX_BATCH];
	unsigned		 first, n;	/* out[first..n): not sent yet */
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

static struct stream_tx *
tx_new(const struct handle *h)
{
	struct stream_tx *tx;
	size_t limit = frame_limit(h), slot = TX_HEADROOM + limit, n, i;

	n = TX_BUF_MAX / slot;
	n = n < 1 ? 1 : n > TX_BATCH ? TX_BATCH : n;
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

static bool
hung_up(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };

	return poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* The ethertype of an ethernet frame, past one VLAN tag. */
static long
ethertype(const uint8_t *p, size_t n)
{
	long t = p[12] << 8 | p[13];

	if ((t == ETH_P_8021Q || t == ETH_P_8021AD) && n >= ETH_HLEN + 4)
		t = p[16] << 8 | p[17];
	return t;
}

/* Check message i; on success out[n] is ready to send.  NULL or why not. */
static const char *
tx_check(struct stream *s, const struct policy_rule *r, unsigned i,
    struct rs_error *e)
{
	struct stream_tx *tx = s->tx;
	const struct handle *h = s->h;
	struct rs_frame_hdr hdr;
	struct rs_addr *to = &tx->to[tx->n];
	const void *addr, *frame;
	size_t len = tx->in[i].msg_len, flen;

	if (r == NULL)
		return "denied: no policy rule allows this client";
	if (len > tx->slot)
		return "frame larger than the interface's MTU";
	if (rs_frame_parse(tx->buf + i * tx->slot, len, &hdr, &addr, &frame,
	    &flen) == -1)
		return "malformed message: bad magic, version or lengths";
	if (flen == 0)
		return "empty frame";
	if (flen > tx->limit)
		return "frame larger than the interface's MTU";
	to->len = hdr.addr_len;
	if (hdr.addr_len > 0) {
		memcpy(&to->ss, addr, hdr.addr_len);
		if (hdr.addr_len < sizeof(sa_family_t) ||
		    to->ss.ss_family != h->domain)
			return "address: not of the socket's family";
		if (op_check_address_rule(r, h->domain, h->ifindex, to, false,
		    e) == -1)
			return e->message;
	}
	if (h->domain == AF_PACKET && h->type == SOCK_RAW) {
		if (flen < ETH_HLEN)
			return "frame shorter than an ethernet header";
		if (policy_check_ethertype(r, ethertype(frame, flen), e) == -1)
			return e->message;
	}
	if (op_check_spoof(r, h, to, frame, flen, e) == -1)
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

/* Send out[first..n); 0 when all went (or were refused), -1 stalled. */
static int
tx_flush(struct stream *s)
{
	struct stream_tx *tx = s->tx;
	uint64_t bytes;
	unsigned i;
	int r;

	while (tx->first < tx->n) {
		r = sendmmsg(s->h->fd, tx->out + tx->first, tx->n - tx->first,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
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

/* Read and send one batch; how many messages were read, or -1 to stop. */
static int
tx_batch(struct stream *s, const struct policy_rule *r)
{
	struct stream_tx *tx = s->tx;
	struct conn *c = s->h->conn;
	long long rate = r != NULL ? r->allow.tx_pps : 0;
	struct timeval tv;
	struct rs_error e;
	const char *why;
	unsigned want, i;
	int n;

	want = bucket_take(&c->tx_bucket, rate, tx->nslots, bucket_now_ns());
	if (want == 0) {
		long long ns = bucket_wait_ns(&c->tx_bucket, rate);

		tv = (struct timeval){ ns / 1000000000, ns % 1000000000 / 1000 };
		event_del(s->ev_tx);
		evtimer_add(s->ev_tx_timer, &tv);
		return -1;
	}
	for (i = 0; i < want; i++)
		tx->in[i].msg_hdr = (struct msghdr){
			.msg_iov = &tx->in_iov[i], .msg_iovlen = 1,
		};
	n = recvmmsg(s->chan, tx->in, want, MSG_DONTWAIT | MSG_TRUNC, NULL);
	bucket_refund(&c->tx_bucket, rate, want - (n > 0 ? (unsigned)n : 0));
	if (n <= 0)
		return 0;
	for (i = 0; i < (unsigned)n; i++) {
		if (tx->in[i].msg_len == 0 && hung_up(s->chan)) {
			s->broken = true;
			break;
		}
		if ((why = tx_check(s, r, i, &e)) != NULL)
			stream_reject(s, why);
	}
	return tx_flush(s) == -1 ? -1 : n;
}

static void
tx_run(struct stream *s)
{
	struct conn *c = s->h->conn;
	const struct policy_rule *r = policy_match(c->d->policy, &c->peer);
	int round, n;

	if (s->tx == NULL && (s->tx = tx_new(s->h)) == NULL) {
		log_warn("conn %llu: handle %lld: out of memory for frames "
		    "to send", (unsigned long long)c->id, s->h->id);
		s->broken = true;
		return;
	}
	if (policy_checks_spoof(r))
		spoof_refresh();
	for (round = 0; round < TX_ROUNDS && !s->broken; round++) {
		if ((n = tx_batch(s, r)) < (int)s->tx->nslots)
			break;
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

	if (s->tx != NULL && tx_flush(s) == -1)
		return;
	event_add(s->ev_tx, NULL);
	stream_tx_cb(s->chan, EV_READ, s);
}
