/*
 * Socket life cycle: open, server_socket, socketpair, close, pass, bind,
 * connect, listen, accept, shutdown, getsockname, getpeername.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_packet.h>

#include <event2/event.h>

#include "closer.h"
#include "const.h"
#include "ifctl.h"
#include "op.h"
#include "policy.h"
#include "sock.h"

/* How long a pass waits for a ring to come off (a few grace periods). */
#define PASS_WAIT_MS	10000

struct open_args {
	long		 domain;
	long		 type;
	const json_t	*protocol;
	const char	*ifname;
	struct rs_addr	 bind;
	const json_t	*options;
	const char	*filter;
	const json_t	*bpf;
	bool		 lock_filter;
	bool		 nonblock;
	bool		 pass;
	long long	 backlog;
};

#define OPEN_PARAMS							\
	{ "domain", RS_P_CONST, offsetof(struct open_args, domain),	\
	    RS_PF_REQUIRED, RS_CG_AF, 0, 0, 0 },			\
	{ "type", RS_P_CONST, offsetof(struct open_args, type),	\
	    RS_PF_REQUIRED, RS_CG_SOCK, 0, 0, 0 },			\
	{ "protocol", RS_P_ANY, offsetof(struct open_args, protocol), 0,\
	    0, 0, 0, 0 },						\
	{ "ifname", RS_P_STR, offsetof(struct open_args, ifname), 0, 0,\
	    0, 0, 0 },							\
	{ "options", RS_P_ARRAY, offsetof(struct open_args, options), 0,\
	    0, 0, 0, 0 },						\
	{ "filter", RS_P_STR, offsetof(struct open_args, filter), 0, 0,\
	    0, 0, 0 },							\
	{ "bpf", RS_P_ARRAY, offsetof(struct open_args, bpf), 0, 0, 0, \
	    0, 0 },							\
	{ "lock_filter", RS_P_BOOL, offsetof(struct open_args,		\
	    lock_filter), 0, 0, 0, 0, 0 },				\
	{ "nonblock", RS_P_BOOL, offsetof(struct open_args, nonblock), \
	    0, 0, 0, 0, 0 },						\
	{ "pass", RS_P_BOOL, offsetof(struct open_args, pass), 0, 0, 0,\
	    0, 0 }

static const struct rs_param open_params[] = {
	OPEN_PARAMS,
	{ "bind", RS_P_ADDR, offsetof(struct open_args, bind), 0, 0, 0, 0,
	    0 },
	RS_PARAM_END
};

static const struct rs_param server_params[] = {
	OPEN_PARAMS,
	{ "bind", RS_P_ADDR, offsetof(struct open_args, bind),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	{ "backlog", RS_P_INT, offsetof(struct open_args, backlog), 0, 0,
	    10, 0, 65535 },
	RS_PARAM_END
};

/* The client's own filter, if it gave one. */
static int
client_filter(struct request *req, const struct open_args *a, int linktype,
    struct filter *out)
{
	memset(out, 0, sizeof *out);
	if (a->filter != NULL && a->bpf != NULL)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "filter: give filter or bpf, not both");
	if (a->filter != NULL)
		return filter_compile(a->filter, linktype, out, &req->err);
	if (a->bpf != NULL)
		return filter_from_json(a->bpf, out, &req->err);
	return 0;
}

/* Policy checks of an open, before anything is created. */
static int
open_checks(struct request *req, const struct open_args *a,
    struct sock_setup *s)
{
	struct conn *c = req->conn;
	char name[IF_NAMESIZE];
	const struct sockaddr_ll *sll;

	if (policy_check_socket(req->rule, s->domain, s->type,
	    policy_protocol(s->domain, s->type, s->protocol), &req->err) == -1)
		return -1;
	/* A packet bind address may name the interface instead of ifname. */
	sll = (const struct sockaddr_ll *)&a->bind.ss;
	if (s->ifname == NULL && a->bind.len > 0 &&
	    a->bind.ss.ss_family == AF_PACKET && sll->sll_ifindex != 0 &&
	    ifctl_name((unsigned)sll->sll_ifindex, name) != NULL) {
		request_audit_interface(req, name, 0);
		if (policy_check_interface(req->rule, name, &req->err) == -1)
			return -1;
		s->ifindex = sll->sll_ifindex;
	} else if (s->ifname != NULL) {
		if (sock_ifindex(s->ifname, &s->ifindex, s->ifreal,
		    &req->err) == -1 ||
		    policy_check_interface(req->rule, s->ifreal,
		    &req->err) == -1)
			return -1;
	} else if (sock_receives(s->domain, s->type) &&
	    policy_check_unbound(req->rule, &req->err) == -1)
		return -1;
	if (a->pass)
		return policy_check_pass(req->rule, &req->err);
	return policy_check_quota(req->rule, handles_of_uid(c->d,
	    c->peer.uid), &req->err);
}

static int
apply_options(struct request *req, int fd, int domain, const json_t *list,
    struct handle_devs *devs)
{
	const json_t *item;
	size_t i;

	json_array_foreach(list, i, item) {
		if (!json_is_object(item))
			return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
			    "options[%zu]: expected {level, option, value}", i);
		if (op_set_option(req, fd, domain, json_object_get(item,
		    "level"), json_object_get(item, "option"),
		    json_object_get(item, "value"), devs) == -1)
			return -1;
	}
	return 0;
}

/* Hand the new socket out: as a passed fd or as a handle. */
static int
open_finish(struct request *req, const struct open_args *a,
    const struct sock_setup *s, int fd, struct filter *pf, int linktype,
    const struct handle_devs *devs)
{
	struct handle *h;

	if (a->pass) {
		filter_free(pf);
		return request_pass_fd(req, fd, "socket");
	}
	if ((h = handle_new(req->conn, fd, s->domain, s->type,
	    s->protocol)) == NULL) {
		filter_free(pf);
		return rs_error_set(&req->err, RS_E_ERRNO, ENOMEM,
		    "out of memory");
	}
	h->ifindex = s->ifindex;
	op_follow_device(h);	/* options may have named one */
	if (pf->len > 0)
		h->linktype = linktype;
	h->filter_locked = s->lock_filter && s->filter != NULL &&
	    s->filter->len > 0;
	h->policy_filter = *pf;
	h->devs = *devs;
	request_audit_handle(req, h);
	request_set(req, "handle", json_integer(h->id));
	return 0;
}

/*
 * A policy filter is compiled for one link type (the interface's): a
 * packet raw socket that has one stays bound to an interface, never on
 * all of them, where frames of other link types would be misread.
 */
static int
filter_pins_interface(struct request *req, int domain, int type, int ifindex)
{
	if (domain == AF_PACKET && type == SOCK_RAW && ifindex == 0)
		return rs_error_set(&req->err, RS_E_DENIED, 0, "the policy's "
		    "filter holds on one interface's link type: give ifname");
	return 0;
}

static int
do_open(struct request *req, struct open_args *a, bool server)
{
	/* Made blocking if it is passed so: nothing here waits on it (the
	 * drain does not), and a new socket is made so without fcntl calls
	 * (a pooled one, non-blocking, takes one). */
	struct sock_setup s = { .domain = (int)a->domain,
	    .type = (int)a->type, .ifname = a->ifname,
	    .blocking = a->pass && !a->nonblock, .uid = req->conn->peer.uid };
	struct filter pf = { 0 }, cf, both = { 0 };
	struct handle_devs devs = { 0 };
	int fd, one = 1, linktype = -1;

	if (sock_protocol(s.domain, a->protocol, &s.protocol, &req->err) ==
	    -1)
		return OP_FAIL;
	request_audit_socket(req, s.domain, s.type,
	    policy_protocol(s.domain, s.type, s.protocol));
	request_audit_interface(req, s.ifname, 0);
	if (open_checks(req, a, &s) == -1)
		return OP_FAIL;
	if (a->bind.len > 0) {
		s.bind = &a->bind;
		if (op_check_address(req, s.domain, s.ifindex, s.bind,
		    true) == -1 || op_check_bind_source(req, s.domain, s.type,
		    s.ifindex, s.bind) == -1)
			return OP_FAIL;
	}
	if (sock_receives(s.domain, s.type)) {
		/* Only a filter to compile needs the link type (and its
		 * lookup, an ioctl on every open). */
		if (a->filter != NULL || (req->rule != NULL &&
		    req->rule->allow.filter != NULL))
			linktype = filter_linktype(s.domain, s.type,
			    s.ifname != NULL ? ifctl_arphrd(s.ifname) :
			    sock_arphrd(s.ifindex));
		if (policy_filter(req->rule, linktype, &pf, &req->err) == -1 ||
		    (pf.len > 0 && filter_pins_interface(req, s.domain, s.type,
		    s.ifindex) == -1)) {
			filter_free(&pf);
			return OP_FAIL;
		}
	} else if (a->filter != NULL || a->bpf != NULL)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "filter: only raw and packet sockets take filters");
	if (client_filter(req, a, linktype, &cf) == -1 ||
	    filter_combine(&pf, &cf, &both) == -1) {
		if (req->err.kind == RS_E_NONE)
			rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
			    "filter: too long once combined with the policy's");
		filter_free(&pf);
		filter_free(&cf);
		return OP_FAIL;
	}
	filter_free(&cf);
	s.filter = &both;
	/* A passed socket keeps the policy's filter: lock it. */
	s.lock_filter = a->lock_filter || (a->pass && pf.len > 0);
	if ((fd = sock_new(&s, &req->err)) == -1)
		goto fail;
	if ((server && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof one) == -1) || (a->options != NULL &&
	    apply_options(req, fd, s.domain, a->options,
	    a->pass ? NULL : &devs) == -1) ||
	    sock_finish(fd, &s, &req->err) == -1 ||
	    (server && listen(fd, (int)a->backlog) == -1 &&
	    rs_error_errno(&req->err, errno, "listen") == -1)) {
		closer_close_for(fd, req->conn->peer.uid);
		goto fail;
	}
	filter_free(&both);
	return open_finish(req, a, &s, fd, &pf, linktype, &devs) == -1 ?
	    OP_FAIL : OP_OK;
fail:
	filter_free(&both);
	filter_free(&pf);
	return OP_FAIL;
}

static int
open_op(struct request *req, void *args)
{
	return do_open(req, args, false);
}

static int
server_socket_op(struct request *req, void *args)
{
	return do_open(req, args, true);
}

const struct op_entry op_open = {
	"open", open_params, sizeof(struct open_args), open_op
};
const struct op_entry op_server_socket = {
	"server_socket", server_params, sizeof(struct open_args),
	server_socket_op
};

struct pair_args {
	long	domain;
	long	type;
	long	protocol;
};

static const struct rs_param pair_params[] = {
	{ "domain", RS_P_CONST, offsetof(struct pair_args, domain), 0,
	    RS_CG_AF, AF_UNIX, 0, 0 },
	{ "type", RS_P_CONST, offsetof(struct pair_args, type),
	    RS_PF_REQUIRED, RS_CG_SOCK, 0, 0, 0 },
	{ "protocol", RS_P_CONST, offsetof(struct pair_args, protocol), 0,
	    RS_CG_IPPROTO, 0, 0, 0 },
	RS_PARAM_END
};

/* Needs no privilege: the kernel makes pairs only of AF_UNIX sockets. */
static int
socketpair_op(struct request *req, void *argp)
{
	struct pair_args *a = argp;
	int sv[2];

	if (socketpair((int)a->domain, (int)a->type | SOCK_CLOEXEC,
	    (int)a->protocol, sv) == -1)
		return rs_error_errno(&req->err, errno, "socketpair");
	request_pass_fd(req, sv[0], "socket");
	request_pass_fd(req, sv[1], "socket");
	return OP_OK;
}

const struct op_entry op_socketpair = {
	"socketpair", pair_params, sizeof(struct pair_args), socketpair_op
};

struct handle_args {
	long long	 handle;
	struct rs_addr	 address;
	long long	 backlog;
	long		 how;
	bool		 pass;
	long long	 timeout_ms;
};

#define HANDLE_PARAM { "handle", RS_P_INT, offsetof(struct handle_args, \
	handle), RS_PF_REQUIRED, 0, 0, 0, 0 }

static const struct rs_param handle_only[] = { HANDLE_PARAM, RS_PARAM_END };

static int
close_op(struct request *req, void *argp)
{
	struct handle_args *a = argp;
	struct handle *h;

	if ((h = op_handle(req, a->handle)) == NULL)
		return OP_FAIL;
	handle_close(h);
	return OP_OK;
}

/*
 * The ring of an ended subscription comes off on the closer (ring.h): a
 * socket passed before that would still carry it, and the client's own
 * ring or recv would find it.  OP_OK once it is off, else park.
 */
static int
ring_gone(struct request *req, struct handle *h)
{
	uint64_t n;

	if (h->ring_unknown)
		return rs_error_set(&req->err, RS_E_ERRNO, EBUSY, "pass: the "
		    "subscription's ring could not be seen off (the daemon "
		    "ran out of resources); this socket stays managed");
	if (h->ring_off == -1)
		return OP_OK;
	if (read(h->ring_off, &n, sizeof n) == sizeof n) {
		close(h->ring_off);
		h->ring_off = -1;
		return OP_OK;
	}
	if (req->timed_out)
		return rs_error_set(&req->err, RS_E_ERRNO, ETIMEDOUT,
		    "pass: the subscription's ring is still coming off");
	return request_wait(req, h->ring_off, EV_READ, PASS_WAIT_MS);
}

static int
pass_op(struct request *req, void *argp)
{
	struct handle_args *a = argp;
	struct handle *h;
	int one = 1, r;

	if ((h = op_handle(req, a->handle)) == NULL ||
	    policy_check_pass(req->rule, &req->err) == -1)
		return OP_FAIL;
	if (h->stream != NULL)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0, "handle "
		    "%lld is subscribed: unsubscribe first", h->id);
	if ((r = ring_gone(req, h)) != OP_OK)
		return r;
	/* The policy's filter must survive the hand-over. */
	if (h->policy_filter.len > 0 && !h->filter_locked &&
	    setsockopt(h->fd, SOL_SOCKET, SO_LOCK_FILTER, &one,
	    sizeof one) == -1)
		return op_errno(req, h, "lock filter", errno);
	return request_pass_fd(req, handle_take_fd(h), "socket");
}

const struct op_entry op_close = {
	"close", handle_only, sizeof(struct handle_args), close_op
};
const struct op_entry op_pass = {
	"pass", handle_only, sizeof(struct handle_args), pass_op
};

static const struct rs_param address_params[] = {
	HANDLE_PARAM,
	{ "address", RS_P_ADDR, offsetof(struct handle_args, address),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	{ "timeout_ms", RS_P_INT, offsetof(struct handle_args, timeout_ms),
	    0, 0, 10000, -1, 86400000 },
	RS_PARAM_END
};

/*
 * A packet socket's bind to ifindex 0 puts it on every interface (the
 * check of addresses reads 0 as "the bound one", as sendto does); and one
 * with the policy's filter keeps to interfaces of its link type.
 */
static int
rebind_checks(struct request *req, const struct handle *h, int ifindex)
{
	if (ifindex == 0 && policy_check_unbound(req->rule, &req->err) == -1)
		return -1;
	if (h->linktype == -1)
		return 0;
	if (filter_pins_interface(req, h->domain, h->type, ifindex) == -1)
		return -1;
	if (filter_linktype(h->domain, h->type, sock_arphrd(ifindex)) !=
	    h->linktype)
		return rs_error_set(&req->err, RS_E_DENIED, 0, "bind: the "
		    "policy's filter was compiled for another link type than "
		    "this interface's");
	return 0;
}

static int
bind_op(struct request *req, void *argp)
{
	struct handle_args *a = argp;
	const struct sockaddr_ll *sll;
	struct handle *h;

	if ((h = op_handle(req, a->handle)) == NULL ||
	    op_check_address(req, h->domain, h->ifindex, &a->address,
	    true) == -1 || op_check_bind_source(req, h->domain, h->type,
	    h->ifindex, &a->address) == -1)
		return OP_FAIL;
	sll = (const struct sockaddr_ll *)&a->address.ss;
	if (h->domain == AF_PACKET && a->address.ss.ss_family == AF_PACKET &&
	    (rebind_checks(req, h, sll->sll_ifindex) == -1))
		return OP_FAIL;
	if (sock_bind(h->fd, &a->address, &req->err) == -1)
		return OP_FAIL;
	/* What the socket now receives and sends without an address. */
	if (h->domain == AF_PACKET) {
		h->ifindex = sll->sll_ifindex;
		if (sll->sll_protocol != 0)
			h->protocol = ntohs(sll->sll_protocol);
	}
	request_set(req, "address", op_sockname(h->fd, false));
	return OP_OK;
}

static int
connect_op(struct request *req, void *argp)
{
	struct handle_args *a = argp;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct handle *h;
	socklen_t len = sizeof(int);
	int err = 0;

	if ((h = op_handle(req, a->handle)) == NULL)
		return OP_FAIL;
	if (req->wait == NULL) {
		if (op_check_address(req, h->domain, h->ifindex, &a->address,
		    false) == -1)
			return OP_FAIL;
		if (connect(h->fd, (struct sockaddr *)&a->address.ss,
		    a->address.len) == -1) {
			if (errno != EINPROGRESS)
				return op_errno(req, h, "connect", errno);
			return request_wait(req, h->fd, EV_WRITE,
			    a->timeout_ms);
		}
	} else if (req->timed_out) {
		/* The attempt ends with the answer: a connection it made
		 * later would contradict it.  AF_UNSPEC dissolves it. */
		connect(h->fd, &unspec, sizeof unspec);
		return op_errno(req, h, "connect", ETIMEDOUT);
	} else if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
	    err != 0)
		return op_errno(req, h, "connect", err != 0 ? err : errno);
	request_set(req, "address", op_sockname(h->fd, true));
	return OP_OK;
}

const struct op_entry op_bind = {
	"bind", address_params, sizeof(struct handle_args), bind_op
};
const struct op_entry op_connect = {
	"connect", address_params, sizeof(struct handle_args), connect_op
};

static const struct rs_param listen_params[] = {
	HANDLE_PARAM,
	{ "backlog", RS_P_INT, offsetof(struct handle_args, backlog), 0, 0,
	    10, 0, 65535 },
	RS_PARAM_END
};

static int
listen_op(struct request *req, void *argp)
{
	struct handle_args *a = argp;
	struct handle *h;

	if ((h = op_handle(req, a->handle)) == NULL)
		return OP_FAIL;
	if (listen(h->fd, (int)a->backlog) == -1)
		return op_errno(req, h, "listen", errno);
	return OP_OK;
}

const struct op_entry op_listen = {
	"listen", listen_params, sizeof(struct handle_args), listen_op
};

static const struct rs_param accept_params[] = {
	HANDLE_PARAM,
	{ "pass", RS_P_BOOL, offsetof(struct handle_args, pass), 0, 0, 0, 0,
	    0 },
	{ "timeout_ms", RS_P_INT, offsetof(struct handle_args, timeout_ms),
	    0, 0, 0, -1, 86400000 },
	RS_PARAM_END
};

static int
accept_op(struct request *req, void *argp)
{
	struct handle_args *a = argp;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	struct handle *h, *nh;
	struct conn *c = req->conn;
	int fd;

	if ((h = op_handle(req, a->handle)) == NULL)
		return OP_FAIL;
	if (a->pass ? policy_check_pass(req->rule, &req->err) == -1 :
	    policy_check_quota(req->rule, handles_of_uid(c->d, c->peer.uid),
	    &req->err) == -1)
		return OP_FAIL;
	/* Passed blocking, as open passes one (handles never block). */
	fd = accept4(h->fd, (struct sockaddr *)&ss, &len,
	    SOCK_CLOEXEC | (a->pass ? 0 : SOCK_NONBLOCK));
	if (fd == -1) {
		if (errno != EAGAIN || req->timed_out || a->timeout_ms == 0)
			return op_errno(req, h, "accept", errno == EAGAIN &&
			    req->timed_out ? ETIMEDOUT : errno);
		return request_wait(req, h->fd, EV_READ, a->timeout_ms);
	}
	request_set(req, "peer", rs_addr_to_json((struct sockaddr *)&ss, len));
	if (a->pass)
		return request_pass_fd(req, fd, "socket");
	if ((nh = handle_new(c, fd, h->domain, h->type, h->protocol)) == NULL)
		return rs_error_set(&req->err, RS_E_ERRNO, ENOMEM,
		    "out of memory");
	request_audit_accepted(req, nh);
	request_set(req, "handle", json_integer(nh->id));
	return OP_OK;
}

const struct op_entry op_accept = {
	"accept", accept_params, sizeof(struct handle_args), accept_op
};

static const struct rs_param shutdown_params[] = {
	HANDLE_PARAM,
	{ "how", RS_P_CONST, offsetof(struct handle_args, how),
	    RS_PF_REQUIRED, RS_CG_SHUT, 0, 0, 0 },
	RS_PARAM_END
};

static int
shutdown_op(struct request *req, void *argp)
{
	struct handle_args *a = argp;
	struct handle *h;

	if ((h = op_handle(req, a->handle)) == NULL)
		return OP_FAIL;
	if (shutdown(h->fd, (int)a->how) == -1)
		return op_errno(req, h, "shutdown", errno);
	return OP_OK;
}

const struct op_entry op_shutdown = {
	"shutdown", shutdown_params, sizeof(struct handle_args), shutdown_op
};

static int
name_op(struct request *req, struct handle_args *a, bool peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	struct handle *h;
	int r;

	if ((h = op_handle(req, a->handle)) == NULL)
		return OP_FAIL;
	if (peer)
		r = getpeername(h->fd, (struct sockaddr *)&ss, &len);
	else
		r = getsockname(h->fd, (struct sockaddr *)&ss, &len);
	if (r == -1)
		return op_errno(req, h, peer ? "getpeername" : "getsockname",
		    errno);
	request_set(req, "address", rs_addr_to_json((struct sockaddr *)&ss,
	    len));
	return OP_OK;
}

static int
getsockname_op(struct request *req, void *args)
{
	return name_op(req, args, false);
}

static int
getpeername_op(struct request *req, void *args)
{
	return name_op(req, args, true);
}

const struct op_entry op_getsockname = {
	"getsockname", handle_only, sizeof(struct handle_args), getsockname_op
};
const struct op_entry op_getpeername = {
	"getpeername", handle_only, sizeof(struct handle_args), getpeername_op
};
