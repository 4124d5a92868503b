/*
 * stats: counters.  A peer sees its own connection's; root also sees the
 * daemon's.
 */
#include <limits.h>

#include "closer.h"
#include "daemon.h"
#include "dispatch.h"
#include "op.h"
#include "stream.h"

#define NO_HANDLE LLONG_MIN

struct stats_args {
	long long	handle;		/* NO_HANDLE: none given */
};

static const struct rs_param stats_params[] = {
	{ "handle", RS_P_INT, offsetof(struct stats_args, handle), 0, 0,
	    NO_HANDLE, 0, 0 },
	RS_PARAM_END
};

static json_t *
stats_to_json(const struct stats *s)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I}",
	    "requests", (json_int_t)s->requests,
	    "errors", (json_int_t)s->errors,
	    "bad_requests", (json_int_t)s->bad_requests,
	    "fds_rejected", (json_int_t)s->fds_rejected,
	    "frames_in", (json_int_t)s->frames_in,
	    "bytes_in", (json_int_t)s->bytes_in,
	    "frames_out", (json_int_t)s->frames_out,
	    "bytes_out", (json_int_t)s->bytes_out,
	    "drops_queue", (json_int_t)s->drops_queue,
	    "drops_kernel", (json_int_t)s->drops_kernel,
	    "tx_rejected", (json_int_t)s->tx_rejected);
}

/* Bring the kernel drop counts of subscriptions up to date. */
static void
sync_drops(struct conn *c)
{
	struct handle *h;

	TAILQ_FOREACH(h, &c->handles, entry)
		stream_sync_drops(h);
}

static int
stats(struct request *req, void *argp)
{
	struct stats_args *a = argp;
	struct conn *c = req->conn;
	struct daemon *d = c->d;
	struct handle *h;
	struct conn *other;
	json_t *daemon;

	if (c->peer.uid != 0)
		sync_drops(c);
	else {
		TAILQ_FOREACH(other, &d->conns, entry)
			sync_drops(other);
	}
	if (a->handle != NO_HANDLE) {
		if ((h = op_handle(req, a->handle)) == NULL)
			return OP_FAIL;
		request_set(req, "handle", stats_to_json(&h->stats));
	}
	request_set(req, "connection", stats_to_json(&c->stats));
	if (c->peer.uid != 0)
		return 0;
	daemon = stats_to_json(&d->stats);
	json_object_set_new(daemon, "clients", json_integer(d->nconns));
	json_object_set_new(daemon, "clients_total",
	    json_integer((json_int_t)d->clients_total));
	json_object_set_new(daemon, "sockets_open",
	    json_integer(d->sockets_open));
	json_object_set_new(daemon, "sockets_closing",
	    json_integer((json_int_t)closer_pending()));
	request_set(req, "daemon", daemon);
	return 0;
}

const struct op_entry op_stats = {
	"stats", stats_params, sizeof(struct stats_args), stats
};
