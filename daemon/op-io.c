/*
 * I/O on managed sockets: send, sendto, sendmsg, recv, recvfrom, recvmsg.
 * Checksums are fixed here when asked (before the spoof check sees the
 * frame), frames a client may not send (spoof: false) are refused here,
 * and no receive ever blocks the loop: a wait parks the request.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <event2/event.h>

#include "bucket.h"
#include "bytes.h"
#include "checksum.h"
#include "cmsg.h"
#include "const.h"
#include "op.h"
#include "policy.h"
#include "spoof.h"

/* A response carries data as base64: keep it under the 1 MiB limit. */
#define RECV_MAX	(512 * 1024)
#define IOV_MAX_PARTS	64

struct io_args {
	long long	 handle;
	struct rs_bytes	 data;
	bool		 fix_checksums;
	long long	 start;
	long long	 end;
	long		 flags;
	struct rs_addr	 address;
	const json_t	*iov;
	const json_t	*control;
	long long	 size;
	long long	 timeout_ms;
	long long	 control_size;
};

#define IO_HANDLE { "handle", RS_P_INT, offsetof(struct io_args, handle), \
	RS_PF_REQUIRED, 0, 0, 0, 0 }
#define IO_FLAGS { "flags", RS_P_FLAGS, offsetof(struct io_args, flags), 0, \
	RS_CG_MSG, 0, 0, 0 }
#define IO_FIX { "fix_checksums", RS_P_BOOL,				\
	offsetof(struct io_args, fix_checksums), 0, 0, 0, 0, 0 }
#define IO_DATA								\
	{ "data", RS_P_BYTES, offsetof(struct io_args, data),		\
	    RS_PF_REQUIRED, 0, 0, 0, 0 },				\
	{ "start", RS_P_INT, offsetof(struct io_args, start), 0, 0, 0, \
	    0, 0 },							\
	{ "end", RS_P_INT, offsetof(struct io_args, end), 0, 0, -1, 0, 0 }
#define IO_RECV								\
	{ "size", RS_P_INT, offsetof(struct io_args, size), 0, 0, 65536,\
	    0, RECV_MAX },						\
	{ "timeout_ms", RS_P_INT, offsetof(struct io_args, timeout_ms), \
	    0, 0, 0, -1, 86400000 }

static const struct rs_param send_params[] = {
	IO_HANDLE, IO_DATA, IO_FLAGS, IO_FIX, RS_PARAM_END
};
static const struct rs_param sendto_params[] = {
	IO_HANDLE, IO_DATA, IO_FLAGS, IO_FIX,
	{ "address", RS_P_ADDR, offsetof(struct io_args, address),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	RS_PARAM_END
};
static const struct rs_param sendmsg_params[] = {
	IO_HANDLE, IO_FLAGS, IO_FIX,
	{ "address", RS_P_ADDR, offsetof(struct io_args, address), 0, 0, 0,
	    0, 0 },
	{ "iov", RS_P_ARRAY, offsetof(struct io_args, iov), RS_PF_REQUIRED,
	    0, 0, 0, 0 },
	{ "control", RS_P_ARRAY, offsetof(struct io_args, control), 0, 0, 0,
	    0, 0 },
	RS_PARAM_END
};
static const struct rs_param recv_params[] = {
	IO_HANDLE, IO_FLAGS, IO_RECV, RS_PARAM_END
};
static const struct rs_param recvmsg_params[] = {
	IO_HANDLE, IO_FLAGS, IO_RECV,
	{ "control_size", RS_P_INT, offsetof(struct io_args, control_size),
	    0, 0, 1024, 0, 65536 },
	RS_PARAM_END
};

/*
 * fix_checksums: the IPv4 header checksum and the L4 one (TCP, UDP,
 * ICMP, ICMPv6) of what the client sends, where the client writes the
 * headers: an ethernet frame on a packet raw socket, an IP packet on a
 * packet dgram socket or a raw inet socket with IP_HDRINCL.  Where the
 * kernel builds the IP header there is no pseudo-header to know, so the
 * request is refused.
 */
static int
fix_checksums(struct request *req, const struct handle *h,
    const struct rs_addr *to, uint8_t *p, size_t n, const char *field)
{
	const struct sockaddr_ll *sll = (const struct sockaddr_ll *)&to->ss;
	uint16_t proto = (uint16_t)h->protocol;
	const char *why;
	int r;

	if (h->domain == AF_PACKET && h->type == SOCK_RAW)
		r = rs_csum_ether(p, n, RS_CSUM_ALL, NULL, &why);
	else if (h->domain == AF_PACKET) {
		if (to->len > 0 && to->ss.ss_family == AF_PACKET &&
		    sll->sll_protocol != 0)
			proto = ntohs(sll->sll_protocol);
		r = rs_csum_l3(p, n, proto == ETH_P_ALL ? 0 : proto,
		    RS_CSUM_ALL, NULL, &why);
	} else if (op_ip_hdrincl(h))
		r = rs_csum_l3(p, n, h->domain == AF_INET ? ETH_P_IP :
		    ETH_P_IPV6, RS_CSUM_ALL, NULL, &why);
	else
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "fix_checksums: the kernel builds this socket's headers "
		    "(only packet sockets and raw sockets with IP_HDRINCL)");
	if (r == -1)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "%s: %s", field, why);
	return 0;
}

/* op_check_frame, the address's interface audited.  Checksums fixed
 * later change neither addresses nor ethertype. */
static int
check_frame(struct request *req, const struct handle *h,
    const struct rs_addr *to, const uint8_t *p, size_t n)
{
	op_audit_address(req, to);
	if (policy_checks_spoof(req->rule))
		spoof_refresh();
	return op_check_frame(req->rule, h, to, p, n, &req->err);
}

/*
 * tx_pps counts a uid's frames whichever way they go: a send op takes a
 * token from the bucket the channels take theirs from.  An empty bucket
 * answers EAGAIN (with when to try again) rather than park the request.
 */
static int
take_token(struct request *req, long long *rate)
{
	struct bucket *b = req->conn->tx_bucket;

	*rate = req->rule != NULL ? req->rule->allow.tx_pps : 0;
	if (bucket_take(b, *rate, 1, bucket_now_ns()) == 1)
		return 0;
	return rs_error_set(&req->err, RS_E_ERRNO, EAGAIN, "tx_pps: this "
	    "uid sends at most %lld frames a second; try again in %lld ms",
	    *rate, bucket_wait_ns(b, *rate) / 1000000);
}

static int
do_send(struct request *req, struct io_args *a, bool to)
{
	struct rs_addr none = { .len = 0 };
	const struct rs_addr *dst = to ? &a->address : &none;
	struct handle *h;
	long long end = a->end == -1 ? (long long)a->data.n : a->end;
	long long rate;
	ssize_t n;

	if ((h = op_handle(req, a->handle)) == NULL)
		return OP_FAIL;
	if (a->start < 0 || end < a->start || end > (long long)a->data.n)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "start/end: outside the %zu bytes of data", a->data.n);
	if (check_frame(req, h, dst, a->data.p + a->start,
	    (size_t)(end - a->start)) == -1 || (a->fix_checksums &&
	    fix_checksums(req, h, dst, a->data.p + a->start,
	    (size_t)(end - a->start), "data") == -1) ||
	    take_token(req, &rate) == -1)
		return OP_FAIL;
	n = sendto(h->fd, a->data.p + a->start, (size_t)(end - a->start),
	    (int)a->flags | MSG_DONTWAIT | MSG_NOSIGNAL,
	    to ? (struct sockaddr *)&dst->ss : NULL, dst->len);
	if (n == -1) {
		bucket_refund(req->conn->tx_bucket, rate, 1);
		return op_errno(req, h, to ? "sendto" : "send", errno);
	}
	h->stats.frames_out++;
	h->stats.bytes_out += (uint64_t)n;
	request_set(req, "sent", json_integer(n));
	return OP_OK;
}

static int
send_op(struct request *req, void *args)
{
	return do_send(req, args, false);
}

static int
sendto_op(struct request *req, void *args)
{
	return do_send(req, args, true);
}

const struct op_entry op_send = {
	"send", send_params, sizeof(struct io_args), send_op
};
const struct op_entry op_sendto = {
	"sendto", sendto_params, sizeof(struct io_args), sendto_op
};

/* Decode the iov list into one buffer (for the spoof check) and parts. */
static int
gather_iov(struct request *req, const json_t *list, struct rs_bytes *parts,
    size_t *nparts, struct rs_bytes *all)
{
	const json_t *v;
	size_t i, off = 0;

	if (json_array_size(list) > IOV_MAX_PARTS)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "iov: at most %d parts", IOV_MAX_PARTS);
	*nparts = 0;
	all->n = 0;
	json_array_foreach(list, i, v) {
		if (!json_is_string(v) || rs_base64_decode(json_string_value(v),
		    json_string_length(v), &parts[i]) == -1)
			return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
			    "iov[%zu]: expected a base64 string", i);
		(*nparts)++;
		all->n += parts[i].n;
	}
	if ((all->p = malloc(all->n + 1)) == NULL)
		return rs_error_set(&req->err, RS_E_ERRNO, ENOMEM,
		    "out of memory");
	for (i = 0; i < *nparts; i++) {
		memcpy(all->p + off, parts[i].p, parts[i].n);
		off += parts[i].n;
	}
	return 0;
}

/* Fix the joined iov, then copy it back into the parts sent. */
static int
fix_iov(struct request *req, const struct handle *h, const struct rs_addr *to,
    struct rs_bytes *parts, size_t nparts, const struct rs_bytes *all)
{
	size_t i, off = 0;

	if (fix_checksums(req, h, to, all->p, all->n, "iov") == -1)
		return -1;
	for (i = 0; i < nparts; i++) {
		memcpy(parts[i].p, all->p + off, parts[i].n);
		off += parts[i].n;
	}
	return 0;
}

static int
sendmsg_op(struct request *req, void *argp)
{
	struct io_args *a = argp;
	struct rs_bytes parts[IOV_MAX_PARTS] = { 0 }, all = { 0 };
	struct iovec iov[IOV_MAX_PARTS];
	struct msghdr msg = { .msg_iov = iov };
	struct cmsg_buf cb = { 0 };
	struct handle *h;
	size_t nparts = 0, i;
	long long rate;
	ssize_t n = -1;
	int r = OP_FAIL;

	if ((h = op_handle(req, a->handle)) == NULL)
		return OP_FAIL;
	if (gather_iov(req, a->iov, parts, &nparts, &all) == -1 ||
	    check_frame(req, h, &a->address, all.p, all.n) == -1 ||
	    (a->fix_checksums && fix_iov(req, h, &a->address, parts, nparts,
	    &all) == -1) ||
	    (a->control != NULL && cmsg_encode(a->control,
	    !policy_checks_spoof(req->rule), &cb, &req->err) == -1) ||
	    (cb.ifindex != 0 && op_check_ifindex(req, cb.ifindex) == -1) ||
	    take_token(req, &rate) == -1)
		goto out;
	for (i = 0; i < nparts; i++) {
		iov[i].iov_base = parts[i].p;
		iov[i].iov_len = parts[i].n;
	}
	msg.msg_iovlen = nparts;
	if (a->address.len > 0) {
		msg.msg_name = &a->address.ss;
		msg.msg_namelen = a->address.len;
	}
	if (cb.len > 0) {
		msg.msg_control = cb.buf;
		msg.msg_controllen = cb.len;
	}
	n = sendmsg(h->fd, &msg, (int)a->flags | MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == -1) {
		bucket_refund(req->conn->tx_bucket, rate, 1);
		op_errno(req, h, "sendmsg", errno);
		goto out;
	}
	h->stats.frames_out++;
	h->stats.bytes_out += (uint64_t)n;
	request_set(req, "sent", json_integer(n));
	r = OP_OK;
out:
	for (i = 0; i < IOV_MAX_PARTS; i++)
		rs_bytes_free(&parts[i]);
	rs_bytes_free(&all);
	return r;
}

const struct op_entry op_sendmsg = {
	"sendmsg", sendmsg_params, sizeof(struct io_args), sendmsg_op
};

/* Whether fd reports an error (a queued one, IP_RECVERR's) and no data:
 * it stays readable for poll, so a wait on it would wake at once, for
 * ever. */
static bool
only_errors(int fd, int flags)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return !(flags & MSG_ERRQUEUE) && poll(&p, 1, 0) == 1 &&
	    (p.revents & POLLERR) && !(p.revents & POLLIN);
}

/* EAGAIN: answer now, or park until readable or the time is up. */
static int
recv_again(struct request *req, struct handle *h, const struct io_args *a,
    const char *what)
{
	if (req->timed_out)
		return op_errno(req, h, what, ETIMEDOUT);
	if (a->timeout_ms == 0)
		return op_errno(req, h, what, EAGAIN);
	if (only_errors(h->fd, (int)a->flags))
		return rs_error_set(&req->err, RS_E_ERRNO, EAGAIN, "%s on "
		    "handle %lld: nothing to read but its error queue "
		    "(MSG_ERRQUEUE reads it)", what, h->id);
	return request_wait(req, h->fd, EV_READ, a->timeout_ms);
}

static int
do_recv(struct request *req, struct io_args *a, bool msgop, bool from)
{
	struct sockaddr_storage ss;
	union {
		char		buf[65536];
		struct cmsghdr	align;
	} *ctl = NULL;
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_name = &ss, .msg_namelen = sizeof ss };
	const char *what = msgop ? "recvmsg" : from ? "recvfrom" : "recv";
	struct handle *h;
	int flags = (int)a->flags | MSG_DONTWAIT, r;
	uint8_t *buf;
	size_t copied;
	ssize_t n;

	if ((h = op_handle(req, a->handle)) == NULL)
		return OP_FAIL;
	if (h->stream != NULL)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0, "handle "
		    "%lld is subscribed: its frames go to the subscription",
		    h->id);
	/* Datagrams: learn the real length (MSG_TRUNC means "discard" on
	 * a stream). */
	if (h->type != SOCK_STREAM)
		flags |= MSG_TRUNC;
	/* Only unix sockets carry fds (packet sockets refuse the flag). */
	if (h->domain == AF_UNIX)
		flags |= MSG_CMSG_CLOEXEC;
	/* A unix socket's fds are always taken, to be closed (cmsg.h). */
	if ((buf = malloc((size_t)a->size + 1)) == NULL ||
	    ((h->domain == AF_UNIX || (msgop && a->control_size > 0)) &&
	    (ctl = calloc(1, sizeof *ctl)) == NULL)) {
		free(buf);
		return rs_error_set(&req->err, RS_E_ERRNO, ENOMEM,
		    "out of memory");
	}
	iov.iov_base = buf;
	iov.iov_len = (size_t)a->size;
	/* A unix socket's reads take all the room there is: whatever does
	 * not fit (fds behind credentials, say) the kernel would release on
	 * this thread.  What the client asked for is cut out after. */
	if (ctl != NULL) {
		msg.msg_control = ctl->buf;
		msg.msg_controllen = h->domain == AF_UNIX ? sizeof ctl->buf :
		    (size_t)a->control_size;
	}
	n = recvmsg(h->fd, &msg, flags);
	if (n == -1) {
		r = errno == EAGAIN ? recv_again(req, h, a, what) :
		    op_errno(req, h, what, errno);
		free(buf);
		free(ctl);
		return r;
	}
	h->stats.frames_in++;
	h->stats.bytes_in += (uint64_t)n;
	/* MSG_TRUNC on TCP discards: n bytes gone, none copied (a unix
	 * stream ignores the flag). */
	copied = h->type == SOCK_STREAM && h->domain != AF_UNIX &&
	    (a->flags & MSG_TRUNC) ? 0 :
	    (size_t)n < (size_t)a->size ? (size_t)n : (size_t)a->size;
	request_set(req, "data", rs_base64_json(buf, copied));
	request_set(req, "size", json_integer(n));
	if ((from || msgop) && msg.msg_namelen > 0)
		request_set(req, "address", rs_addr_to_json(
		    (struct sockaddr *)&ss, msg.msg_namelen));
	if (msgop) {
		request_set(req, "control", cmsg_decode(&msg,
		    (size_t)a->control_size, req->conn->peer.uid));
		request_set(req, "msg_flags", rs_flags_names(msg.msg_flags &
		    ~MSG_CMSG_CLOEXEC, RS_CG_MSG));
	} else
		cmsg_close_fds(&msg, req->conn->peer.uid);
	free(buf);
	free(ctl);
	return OP_OK;
}

static int
recv_op(struct request *req, void *args)
{
	return do_recv(req, args, false, false);
}

static int
recvfrom_op(struct request *req, void *args)
{
	return do_recv(req, args, false, true);
}

static int
recvmsg_op(struct request *req, void *args)
{
	return do_recv(req, args, true, true);
}

const struct op_entry op_recv = {
	"recv", recv_params, sizeof(struct io_args), recv_op
};
const struct op_entry op_recvfrom = {
	"recvfrom", recv_params, sizeof(struct io_args), recvfrom_op
};
const struct op_entry op_recvmsg = {
	"recvmsg", recvmsg_params, sizeof(struct io_args), recvmsg_op
};
