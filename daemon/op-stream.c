/*
 * subscribe and unsubscribe (PROTOCOL.md section 5, Streaming).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "conn.h"
#include "log.h"
#include "op.h"
#include "policy.h"
#include "rawsock-channel.h"
#include "ring.h"
#include "stream.h"

/* The largest snap length: more than any frame the kernel hands up. */
#define SNAPLEN_MAX	262144
/* The smallest queue that holds one large frame with its overhead. */
#define QUEUE_MIN	(256 * 1024)

struct subscribe_args {
	long long	 handle;
	const char	*format;
	long long	 queue_bytes;
	long long	 snaplen;
	bool		 batch;
	bool		 receive;
};

static const struct rs_param subscribe_params[] = {
	{ "handle", RS_P_INT, offsetof(struct subscribe_args, handle),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	{ "format", RS_P_STR, offsetof(struct subscribe_args, format), 0, 0,
	    0, 0, 0 },
	{ "queue_bytes", RS_P_INT, offsetof(struct subscribe_args,
	    queue_bytes), 0, 0, 0, 0, 1LL << 40 },
	{ "snaplen", RS_P_INT, offsetof(struct subscribe_args, snaplen), 0, 0,
	    0, 0, SNAPLEN_MAX },
	{ "batch", RS_P_BOOL, offsetof(struct subscribe_args, batch), 0, 0,
	    0, 0, 0 },
	{ "receive", RS_P_BOOL, offsetof(struct subscribe_args, receive), 0,
	    0, 1, 0, 0 },
	RS_PARAM_END
};

static const struct rs_param unsubscribe_params[] = {
	{ "handle", RS_P_INT, offsetof(struct subscribe_args, handle),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	RS_PARAM_END
};

/*
 * A batch subscription of a packet socket reads a TPACKET_V3 ring.  The
 * first run starts putting it on the socket (off the loop) and parks; the
 * second takes it.  A ring that cannot be had leaves recvmmsg.  Returns
 * OP_WAIT while parked, else OP_OK.
 */
static int
want_ring(struct request *req, struct handle *h, struct stream_opts *o)
{
	struct ring_job *j = req->state;
	int err;

	if (j != NULL) {
		req->state = NULL;
		if ((o->ring = ring_job_finish(j, &err)) == NULL)
			log_warn("conn %llu: handle %lld: no ring (%s): "
			    "recvmmsg then", (unsigned long long)req->conn->id,
			    h->id, strerror(err));
		return OP_OK;
	}
	if (!o->batch || !o->receive || h->domain != AF_PACKET ||
	    h->stream != NULL || !stream_supported(h))
		return OP_OK;
	if ((j = ring_setup(h->fd, o->queue_bytes / 2,
	    req->conn->peer.uid)) == NULL) {
		log_warn("conn %llu: handle %lld: no ring (%s): recvmmsg then",
		    (unsigned long long)req->conn->id, h->id, strerror(errno));
		return OP_OK;
	}
	req->state = j;
	req->state_free = ring_job_abandon;
	return request_wait(req, ring_job_fd(j), EV_READ, -1);
}

static int
subscribe(struct request *req, void *argp)
{
	struct subscribe_args *a = argp;
	struct stream_opts o = { .snaplen = (size_t)a->snaplen,
	    .batch = a->batch, .receive = a->receive };
	long long max = req->rule != NULL ? req->rule->allow.max_queue_bytes :
	    0;
	struct handle *h;
	int channel, r;

	if ((h = op_handle(req, a->handle)) == NULL)
		return OP_FAIL;
	if (a->format == NULL || strcmp(a->format, "binary") == 0)
		o.format = STREAM_BINARY;
	else if (strcmp(a->format, "json") == 0)
		o.format = STREAM_JSON;
	else
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "format: expected \"binary\" or \"json\"");
	if (a->batch && o.format != STREAM_BINARY)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "batch: only binary channels carry batches");
	if (!a->receive && o.format != STREAM_BINARY)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "receive: only a binary channel sends");
	/* The policy caps the queue; asking for more gets the cap. */
	o.queue_bytes = (size_t)(a->queue_bytes == 0 || a->queue_bytes > max ?
	    max : a->queue_bytes);
	if (o.queue_bytes < QUEUE_MIN)
		o.queue_bytes = QUEUE_MIN;
	if ((r = want_ring(req, h, &o)) != OP_OK)
		return r;
	if (stream_start(h, &o, &channel, &req->err) == -1)
		return OP_FAIL;
	request_set(req, "queue_bytes", json_integer((json_int_t)o.queue_bytes));
	request_set(req, "snaplen", json_integer((json_int_t)o.snaplen));
	if (o.batch)
		request_set(req, "batch_bytes",
		    json_integer(RS_FRAME_BATCH_MAX));
	if (channel != -1)
		return request_pass_fd(req, channel, "channel");
	return OP_OK;
}

static int
unsubscribe(struct request *req, void *argp)
{
	struct subscribe_args *a = argp;
	struct handle *h;

	if ((h = op_handle(req, a->handle)) == NULL)
		return OP_FAIL;
	if (h->stream == NULL)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "handle %lld is not subscribed", h->id);
	stream_stop(h);
	return OP_OK;
}

const struct op_entry op_subscribe = {
	"subscribe", subscribe_params, sizeof(struct subscribe_args),
	subscribe
};
const struct op_entry op_unsubscribe = {
	"unsubscribe", unsubscribe_params, sizeof(struct subscribe_args),
	unsubscribe
};
