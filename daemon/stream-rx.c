/*
 * The receive path: frames read from the socket with recvmmsg, or taken
 * from a TPACKET_V3 ring block by block (batch subscriptions of packet
 * sockets), go to the channel with sendmmsg, each message's frame bytes
 * sent straight from where the kernel put them.  A full channel drops the
 * frames (counted, and reported in the next message's header); nothing
 * queues here.  Kernel drops come from SO_RXQ_OVFL or, with a ring,
 * PACKET_STATISTICS; metadata from PACKET_AUXDATA or the ring's headers.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/if_packet.h>

#include <event2/event.h>

#include "cmsg.h"
#include "conn.h"
#include "log.h"
#include "rawsock-channel.h"
#include "ring.h"
#include "stream-int.h"

#define RX_BATCH	64		/* datagrams per recvmmsg */
#define RX_OUT		256		/* frames per sendmmsg */
#define RING_BURST	(1024 * 1024)	/* ring bytes per wake-up, or a block */
#define RX_SLOT		65536		/* the largest datagram kept whole */
#define RX_ROUNDS	4		/* batches per wake-up: then others */

/* Room for fds too: a unix socket's sender may attach them, and those
 * that do not fit would be released on this thread (cmsg.h); and for the
 * credentials SO_PASSCRED puts ahead of them. */
struct rx_ctl {
	union {
		char		buf[CMSG_SPACE(sizeof(struct timespec)) +
				    CMSG_SPACE(sizeof(uint32_t)) +
				    CMSG_SPACE(sizeof(struct tpacket_auxdata)) +
				    CMSG_SPACE(sizeof(struct ucred)) +
				    CMSG_FDS_SPACE];
		struct cmsghdr	align;
	};
};

/* A message on its way to the channel: one frame, or a batch of them. */
struct rx_msg {
	size_t			 frames;
	uint64_t		 bytes;
	size_t			 size;		/* bytes in the message */
	uint32_t		 drops;		/* carried by its headers */
};

/* One batch in flight at a time on the loop: shared by every stream. */
static struct {
	struct mmsghdr		 in[RX_BATCH];
	struct iovec		 in_iov[RX_BATCH];
	struct sockaddr_storage	 addr[RX_BATCH];
	struct rx_ctl		 ctl[RX_BATCH];
	uint8_t			*data;		/* RX_BATCH slots */

	/* Header, frame and padding of each frame, in as many messages. */
	struct mmsghdr		 out[RX_OUT];
	struct rx_msg		 msg[RX_OUT];
	struct iovec		 out_iov[RX_OUT * 3];
	union {
		struct rs_frame_hdr	h;
		uint8_t			b[RS_FRAME_BATCH_HDR_SIZE +
					    RS_FRAME_ADDR_MAX];
	}			 hdr[RX_OUT];
	size_t			 nout, niov, nhdr;
} rx;

static const uint8_t zeros[8];

static void
out_flush(struct stream *s)
{
	uint64_t frames = 0, bytes = 0;
	size_t i, sent = 0;
	int r;

	if (rx.nout == 0)
		return;
	r = sendmmsg(s->chan, rx.out, (unsigned)rx.nout,
	    MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r > 0)
		sent = (size_t)r;
	else if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR)
		s->broken = true;	/* the client closed its end */
	for (i = 0; i < sent; i++) {
		frames += rx.msg[i].frames;
		bytes += rx.msg[i].bytes;
	}
	stream_count_in(s, frames, bytes);
	/* The drops the lost messages' headers carried are owed again. */
	frames = 0;
	for (i = sent; i < rx.nout; i++) {
		s->drops_unsent += rx.msg[i].drops;
		frames += rx.msg[i].frames;
	}
	if (!s->broken)
		stream_count_drops(s, frames, false);
	rx.nout = rx.niov = rx.nhdr = 0;
}

static void
iov_add(const void *base, size_t len)
{
	rx.out_iov[rx.niov++] = (struct iovec){ (void *)base, len };
	rx.out[rx.nout - 1].msg_hdr.msg_iovlen++;
}

/* The frame joins the last message, if it is a batch with room. */
static struct rx_msg *
msg_for(struct stream *s, size_t size)
{
	struct rx_msg *m;

	if (rx.nout > 0 && s->batch_bytes > 0 &&
	    rx.msg[rx.nout - 1].size + size <= s->batch_bytes)
		return &rx.msg[rx.nout - 1];
	m = &rx.msg[rx.nout];
	*m = (struct rx_msg){ 0 };
	rx.out[rx.nout++].msg_hdr = (struct msghdr){
		.msg_iov = &rx.out_iov[rx.niov],
	};
	return m;
}

static void
out_add(struct stream *s, const struct rx_frame *f)
{
	struct rs_frame_hdr *h = &rx.hdr[rx.nhdr++].h;
	size_t caplen = f->caplen, alen = f->addr_len, hlen, size;
	struct rx_msg *m;

	if (s->snaplen > 0 && caplen > s->snaplen)
		caplen = s->snaplen;
	if (alen > RS_FRAME_ADDR_MAX)
		alen = RS_FRAME_ADDR_MAX;
	if (s->batch_bytes > 0) {
		hlen = rs_frame_build_batch(h, (uint32_t)s->h->id, f->addr,
		    alen, caplen);
		size = rs_frame_record_size(hlen, caplen);
	} else {
		hlen = rs_frame_build(h, (uint32_t)s->h->id, f->addr, alen,
		    caplen);
		size = hlen + caplen;
	}
	m = msg_for(s, size);
	h->flags = f->flags | (caplen < f->orig_len ? RS_FRAME_TRUNCATED : 0);
	h->ts_ns = f->ts_ns;
	h->orig_len = f->orig_len;
	h->drops = s->drops_unsent;
	m->drops += s->drops_unsent;
	s->drops_unsent = 0;
	h->vlan_tci = f->vlan_tci;
	h->vlan_tpid = f->vlan_tpid;
	iov_add(h, hlen);
	iov_add(f->data, caplen);
	if (size > hlen + caplen)
		iov_add(zeros, size - hlen - caplen);
	m->frames++;
	m->bytes += caplen;
	m->size += size;
}

/* Timestamp, kernel drop counter and packet metadata of one datagram. */
static void
read_ctl(struct stream *s, struct msghdr *m, struct rx_frame *f,
    uint64_t now_ns)
{
	struct tpacket_auxdata aux;
	struct cmsghdr *cm;
	struct timespec ts;
	uint32_t ovfl;

	f->ts_ns = now_ns;
	for (cm = CMSG_FIRSTHDR(m); cm != NULL; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(cm), sizeof ts);
			f->ts_ns = (uint64_t)ts.tv_sec * 1000000000 +
			    (uint64_t)ts.tv_nsec;
		} else if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SO_RXQ_OVFL) {
			memcpy(&ovfl, CMSG_DATA(cm), sizeof ovfl);
			stream_kernel_total(s, ovfl);
		} else if (cm->cmsg_level == SOL_PACKET &&
		    cm->cmsg_type == PACKET_AUXDATA) {
			memcpy(&aux, CMSG_DATA(cm), sizeof aux);
			/* The length on the wire, before a filter's cut
			 * (MSG_TRUNC gives the length after it). */
			if (aux.tp_len > f->orig_len)
				f->orig_len = aux.tp_len;
			if (aux.tp_status & TP_STATUS_VLAN_VALID) {
				f->flags |= RS_FRAME_VLAN;
				f->vlan_tci = aux.tp_vlan_tci;
				f->vlan_tpid = aux.tp_vlan_tpid;
			}
			if (aux.tp_status & TP_STATUS_CSUMNOTREADY)
				f->flags |= RS_FRAME_CSUM_PARTIAL;
			if (aux.tp_status & TP_STATUS_CSUM_VALID)
				f->flags |= RS_FRAME_CSUM_VALID;
		}
	}
}

static void
frame_of(struct stream *s, size_t i, uint64_t now_ns, struct rx_frame *f)
{
	struct msghdr *m = &rx.in[i].msg_hdr;
	const struct sockaddr_ll *sll = m->msg_name;

	memset(f, 0, sizeof *f);
	f->data = rx.data + i * RX_SLOT;
	f->orig_len = rx.in[i].msg_len;
	f->caplen = f->orig_len < RX_SLOT ? f->orig_len : RX_SLOT;
	f->addr = m->msg_name;
	f->addr_len = m->msg_namelen;
	/* The slot is shared: only this datagram's own address counts. */
	if (s->h->domain == AF_PACKET && m->msg_namelen >= sizeof *sll &&
	    sll->sll_pkttype == PACKET_OUTGOING)
		f->flags |= RS_FRAME_OUTGOING;
	/* Never keep an fd someone sent to a subscribed unix socket. */
	if (s->h->domain == AF_UNIX)
		cmsg_close_fds(m, s->h->conn->peer.uid);
	read_ctl(s, m, f, now_ns);
}

static int
rx_setup(void)
{
	size_t i;

	if (rx.data != NULL)
		return 0;
	if ((rx.data = malloc((size_t)RX_BATCH * RX_SLOT)) == NULL)
		return -1;
	for (i = 0; i < RX_BATCH; i++) {
		rx.in_iov[i].iov_base = rx.data + i * RX_SLOT;
		rx.in_iov[i].iov_len = RX_SLOT;
	}
	return 0;
}

/* Read one batch; the number of datagrams, 0 when none, -1 on error.
 * Fds a unix socket's sender attached come close-on-exec (other sockets
 * take no fds, and packet ones refuse the flag). */
static int
rx_read(int fd, int domain)
{
	size_t i;
	int n;

	for (i = 0; i < RX_BATCH; i++)
		rx.in[i].msg_hdr = (struct msghdr){
			.msg_name = &rx.addr[i],
			.msg_namelen = sizeof rx.addr[i],
			.msg_iov = &rx.in_iov[i], .msg_iovlen = 1,
			.msg_control = rx.ctl[i].buf,
			.msg_controllen = sizeof rx.ctl[i].buf,
		};
	n = recvmmsg(fd, rx.in, RX_BATCH, MSG_DONTWAIT | MSG_TRUNC |
	    (domain == AF_UNIX ? MSG_CMSG_CLOEXEC : 0), NULL);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return n;
}

/* How often a down interface is looked at again. */
#define DOWN_CHECK_MS	100

enum iface_state { IFACE_UP, IFACE_DOWN, IFACE_GONE };

static enum iface_state
iface_state(const struct stream *s)
{
	struct ifreq ifr = { 0 };

	if (if_indextoname((unsigned)s->h->ifindex, ifr.ifr_name) == NULL)
		return IFACE_GONE;
	/* Failing, it may be going away right now: look again. */
	if (ioctl(s->h->fd, SIOCGIFFLAGS, &ifr) == -1 ||
	    (ifr.ifr_flags & IFF_UP) == 0)
		return IFACE_DOWN;
	return IFACE_UP;
}

/*
 * A down interface may come back; a deleted one does not.  Deleting an
 * interface takes it down first, and that is the only error the socket
 * ever reports (nothing is said when the interface then goes away), so
 * while it stays down, look again until it is up or gone.
 */
void
stream_down_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stream *s = arg;
	struct timeval tv = { 0, DOWN_CHECK_MS * 1000 };

	switch (iface_state(s)) {
	case IFACE_GONE:
		stream_close_handle(s->h, "interface gone");
		break;
	case IFACE_DOWN:
		evtimer_add(s->ev_down, &tv);
		break;
	case IFACE_UP:
		break;
	}
}

/* The socket reported an error: if its interface went down, look at it
 * from the loop, soon. */
static void
socket_error(struct stream *s, int err)
{
	struct timeval now = { 0, 0 };

	if ((err == ENETDOWN || err == ENODEV || err == ENXIO) &&
	    s->h->ifindex != 0)
		evtimer_add(s->ev_down, &now);
}

/*
 * Woken with nothing to read: a queued error (IP_RECVERR's, a transmit
 * timestamp) keeps the socket readable for epoll, and the loop would
 * wake for it again at once, for ever.  A subscription carries frames,
 * not those: they are read off and dropped.
 */
static void
drain_errors(int fd)
{
	char buf[256], ctl[512];
	struct iovec iov = { buf, sizeof buf };
	struct msghdr m;
	int i;

	for (i = 0; i < RX_BATCH; i++) {
		m = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1,
		    .msg_control = ctl, .msg_controllen = sizeof ctl };
		if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) == -1)
			break;
	}
}

void
stream_rx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stream *s = arg;
	struct rx_frame f;
	struct timespec now;
	uint64_t now_ns;
	int round, n, i;

	if (rx_setup() == -1) {
		log_warn("stream: out of memory");
		return;
	}
	for (round = 0; round < RX_ROUNDS && !s->broken; round++) {
		if ((n = rx_read(fd, s->h->domain)) == -1) {
			socket_error(s, errno);
			break;
		}
		if (n == 0) {
			if (round == 0)
				drain_errors(fd);
			break;
		}
		clock_gettime(CLOCK_REALTIME, &now);
		now_ns = (uint64_t)now.tv_sec * 1000000000 +
		    (uint64_t)now.tv_nsec;
		for (i = 0; i < n; i++) {
			frame_of(s, (size_t)i, now_ns, &f);
			if (s->format == STREAM_JSON)
				stream_json_frame(s, &f);
			else
				out_add(s, &f);
		}
		out_flush(s);
		if (n < RX_BATCH)
			break;
	}
	stream_report(s);
	if (s->broken)
		stream_stop(s->h);
}

void
stream_ring_drops(struct stream *s)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof st;

	/* Reading them resets them: each read is what is new. */
	if (getsockopt(s->h->fd, SOL_PACKET, PACKET_STATISTICS, &st,
	    &len) == 0)
		stream_count_drops(s, st.tp_drops, true);
}

/* A frame as the ring holds it; the address copied out, with the bytes
 * past its hardware address zeroed (the ring's memory is reused). */
static bool
ring_frame(const struct tpacket_block_desc *b, size_t off, size_t bsize,
    struct sockaddr_ll *sll, struct rx_frame *f)
{
	const struct tpacket3_hdr *p = (const void *)((const uint8_t *)b +
	    off);
	size_t aoff = off + TPACKET_ALIGN(sizeof *p);

	if (off + sizeof *p > bsize || aoff + sizeof *sll > bsize ||
	    off + p->tp_mac + p->tp_snaplen > bsize)
		return false;
	memcpy(sll, (const uint8_t *)b + aoff, sizeof *sll);
	if (sll->sll_halen > sizeof sll->sll_addr)
		sll->sll_halen = sizeof sll->sll_addr;
	memset(sll->sll_addr + sll->sll_halen, 0,
	    sizeof sll->sll_addr - sll->sll_halen);
	memset(f, 0, sizeof *f);
	f->data = (const uint8_t *)p + p->tp_mac;
	f->caplen = p->tp_snaplen;
	f->orig_len = p->tp_len;
	f->addr = (const struct sockaddr *)sll;
	f->addr_len = sizeof *sll;
	f->ts_ns = (uint64_t)p->tp_sec * 1000000000 + p->tp_nsec;
	if (sll->sll_pkttype == PACKET_OUTGOING)
		f->flags |= RS_FRAME_OUTGOING;
	if (p->tp_status & TP_STATUS_VLAN_VALID) {
		f->flags |= RS_FRAME_VLAN;
		f->vlan_tci = (uint16_t)p->hv1.tp_vlan_tci;
		f->vlan_tpid = (uint16_t)p->hv1.tp_vlan_tpid;
	}
	if (p->tp_status & TP_STATUS_CSUMNOTREADY)
		f->flags |= RS_FRAME_CSUM_PARTIAL;
	if (p->tp_status & TP_STATUS_CSUM_VALID)
		f->flags |= RS_FRAME_CSUM_VALID;
	return true;
}

/* Send one block's frames; the addresses live here until they are sent. */
static void
ring_send_block(struct stream *s, const struct tpacket_block_desc *b,
    size_t bsize)
{
	static struct sockaddr_ll sll[RX_OUT];
	const struct tpacket3_hdr *p;
	struct rx_frame f;
	size_t off = b->hdr.bh1.offset_to_first_pkt;
	uint32_t i;

	for (i = 0; i < b->hdr.bh1.num_pkts && !s->broken; i++) {
		if (!ring_frame(b, off, bsize, &sll[rx.nhdr], &f))
			break;
		out_add(s, &f);
		if (rx.nhdr == RX_OUT)
			out_flush(s);
		p = (const void *)((const uint8_t *)b + off);
		if (p->tp_next_offset == 0)
			break;
		off += p->tp_next_offset;
	}
	out_flush(s);
}

void
stream_ring_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stream *s = arg;
	struct tpacket_block_desc *b;
	size_t bsize = ring_block_size(s->ring);
	socklen_t len = sizeof(int);
	size_t round;
	int err = 0;

	for (round = 0; (round == 0 || round * bsize < RING_BURST) &&
	    !s->broken; round++) {
		if ((b = ring_block(s->ring)) == NULL)
			break;
		ring_send_block(s, b, bsize);
		ring_block_done(s->ring);
	}
	/* Woken with nothing: an error (the interface went down), or one
	 * queued. */
	if (round == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
	    &len) == 0 && err != 0)
		socket_error(s, err);
	else if (round == 0)
		drain_errors(fd);
	stream_ring_drops(s);
	stream_report(s);
	if (s->broken)
		stream_stop(s->h);
}
