/*
 * attach_filter and detach_filter.  The client's filter is always
 * composed with the policy's, and "detaching" leaves the policy's in place:
 * a client can narrow what it sees, never widen it.
 */
#include <errno.h>
#include <sys/socket.h>

#include "op.h"
#include "sock.h"

struct filter_args {
	long long	 handle;
	const char	*filter;
	const json_t	*bpf;
	bool		 lock;
};

static const struct rs_param attach_params[] = {
	{ "handle", RS_P_INT, offsetof(struct filter_args, handle),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	{ "filter", RS_P_STR, offsetof(struct filter_args, filter), 0, 0, 0,
	    0, 0 },
	{ "bpf", RS_P_ARRAY, offsetof(struct filter_args, bpf), 0, 0, 0, 0,
	    0 },
	{ "lock", RS_P_BOOL, offsetof(struct filter_args, lock), 0, 0, 0, 0,
	    0 },
	RS_PARAM_END
};

static const struct rs_param detach_params[] = {
	{ "handle", RS_P_INT, offsetof(struct filter_args, handle),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	RS_PARAM_END
};

static struct handle *
unlocked_handle(struct request *req, long long id)
{
	struct handle *h;

	if ((h = op_handle(req, id)) == NULL)
		return NULL;
	if (!sock_receives(h->domain, h->type)) {
		rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "handle: only raw and packet sockets take filters");
		return NULL;
	}
	if (h->filter_locked) {
		op_errno(req, h, "filter", EPERM);
		return NULL;
	}
	return h;
}

static int
attach_op(struct request *req, void *argp)
{
	struct filter_args *a = argp;
	struct filter cf = { 0 }, both = { 0 };
	struct handle *h;
	int r;

	if ((h = unlocked_handle(req, a->handle)) == NULL)
		return OP_FAIL;
	if ((a->filter == NULL) == (a->bpf == NULL))
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "filter: give filter or bpf");
	if (a->filter != NULL)
		r = filter_compile(a->filter, filter_linktype(h->domain,
		    h->type, sock_arphrd(h->ifindex)), &cf, &req->err);
	else
		r = filter_from_json(a->bpf, &cf, &req->err);
	if (r == -1)
		return OP_FAIL;
	if (filter_combine(&h->policy_filter, &cf, &both) == -1) {
		filter_free(&cf);
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "filter: too long once combined with the policy's");
	}
	filter_free(&cf);
	if ((r = filter_attach(h->fd, &both, a->lock)) < 0) {
		filter_free(&both);
		return op_errno(req, h, "attach filter", -r);
	}
	h->filter_locked = a->lock;
	/* What was queued before did not pass it: gone, as libpcap does. */
	sock_drain(h->fd);
	request_set(req, "instructions", json_integer(both.len));
	filter_free(&both);
	return OP_OK;
}

static int
detach_op(struct request *req, void *argp)
{
	struct filter_args *a = argp;
	struct handle *h;
	int r, zero = 0;

	if ((h = unlocked_handle(req, a->handle)) == NULL)
		return OP_FAIL;
	if (h->policy_filter.len > 0) {
		if ((r = filter_attach(h->fd, &h->policy_filter, 0)) < 0)
			return op_errno(req, h, "attach filter", -r);
	} else if (setsockopt(h->fd, SOL_SOCKET, SO_DETACH_FILTER, &zero,
	    sizeof zero) == -1)
		return op_errno(req, h, "detach filter", errno);
	return OP_OK;
}

const struct op_entry op_attach_filter = {
	"attach_filter", attach_params, sizeof(struct filter_args), attach_op
};
const struct op_entry op_detach_filter = {
	"detach_filter", detach_params, sizeof(struct filter_args), detach_op
};
