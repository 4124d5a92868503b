/*
 * librawsock's socket API: each call is one request; failures set errno
 * from the response's error code.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "bytes.h"
#include "internal.h"

/* Run req (stolen); the ok response, or NULL with errno set. */
static json_t *
run(struct rs_conn *c, json_t *req, int *fds, size_t *nfds)
{
	json_t *resp, *err, *num;

	if (req == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	resp = rs_call(c, req, fds, nfds);
	json_decref(req);
	if (resp == NULL)
		return NULL;
	if (json_is_true(json_object_get(resp, "ok")))
		return resp;
	err = json_object_get(resp, "error");
	num = json_object_get(err, "errno");
	errno = json_is_integer(num) ? (int)json_integer_value(num) :
	    rs_errno_from_code(json_string_value(json_object_get(err,
	    "code")));
	json_decref(resp);
	return NULL;
}

/* Run req and return the integer result field key (or 0 if key NULL). */
static long long
run_int(struct rs_conn *c, json_t *req, const char *key)
{
	json_t *resp;
	long long v = 0;

	if ((resp = run(c, req, NULL, NULL)) == NULL)
		return -1;
	if (key != NULL)
		v = json_integer_value(json_object_get(resp, key));
	json_decref(resp);
	return v;
}

/* Run req expecting one passed fd. */
static int
run_fd(struct rs_conn *c, json_t *req)
{
	int fds[RS_MAX_FDS];
	size_t nfds = 0, i;
	json_t *resp;

	if ((resp = run(c, req, fds, &nfds)) == NULL)
		return -1;
	json_decref(resp);
	if (nfds != 1) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		errno = EPROTO;
		return -1;
	}
	return fds[0];
}

static json_t *
open_req(int domain, int type, int protocol, const char *ifname, int pass)
{
	json_t *req = json_pack("{s:s, s:i, s:i, s:i, s:b}", "op", "open",
	    "domain", domain, "type", type, "protocol", protocol, "pass",
	    pass);

	if (req != NULL && ifname != NULL)
		json_object_set_new(req, "ifname", json_string(ifname));
	return req;
}

int
rs_socket(struct rs_conn *c, int domain, int type, int protocol,
    const char *ifname)
{
	return run_fd(c, open_req(domain, type, protocol, ifname, 1));
}

int
rs_open(struct rs_conn *c, int domain, int type, int protocol,
    const char *ifname)
{
	return (int)run_int(c, open_req(domain, type, protocol, ifname, 0),
	    "handle");
}

int
rs_open_json(struct rs_conn *c, const char *params)
{
	json_t *req = json_loads(params, 0, NULL);

	if (!json_is_object(req)) {
		json_decref(req);
		errno = EINVAL;
		return -1;
	}
	json_object_set_new(req, "op", json_string("open"));
	if (json_is_true(json_object_get(req, "pass")))
		return run_fd(c, req);
	return (int)run_int(c, req, "handle");
}

int
rs_socketpair(struct rs_conn *c, int type, int sv[2])
{
	int fds[RS_MAX_FDS];
	size_t nfds = 0, i;
	json_t *resp;

	resp = run(c, json_pack("{s:s, s:i}", "op", "socketpair", "type",
	    type), fds, &nfds);
	if (resp == NULL)
		return -1;
	json_decref(resp);
	if (nfds != 2) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		errno = EPROTO;
		return -1;
	}
	sv[0] = fds[0];
	sv[1] = fds[1];
	return 0;
}

static json_t *
handle_req(const char *op, int handle)
{
	return json_pack("{s:s, s:i}", "op", op, "handle", handle);
}

int
rs_pass(struct rs_conn *c, int handle)
{
	return run_fd(c, handle_req("pass", handle));
}

int
rs_close(struct rs_conn *c, int handle)
{
	return (int)run_int(c, handle_req("close", handle), NULL);
}

/*
 * An address as the daemon is to read it.  An interface goes by its index
 * alone: its name here may not be its name there (a client in another
 * network namespace), and the daemon checks the two agree.
 */
static json_t *
wire_addr(const struct sockaddr *sa, socklen_t len)
{
	json_t *a;

	if ((a = rs_addr_to_json(sa, len)) == NULL) {
		errno = EAFNOSUPPORT;
		return NULL;
	}
	json_object_del(a, "text");
	json_object_del(a, "ifname");
	return a;
}

static int
addr_req(struct rs_conn *c, const char *op, int handle,
    const struct sockaddr *sa, socklen_t len)
{
	json_t *req = handle_req(op, handle), *a;

	if ((a = wire_addr(sa, len)) == NULL) {
		json_decref(req);
		return -1;
	}
	json_object_set_new(req, "address", a);
	return (int)run_int(c, req, NULL);
}

int
rs_bind(struct rs_conn *c, int handle, const struct sockaddr *sa,
    socklen_t len)
{
	return addr_req(c, "bind", handle, sa, len);
}

int
rs_connect(struct rs_conn *c, int handle, const struct sockaddr *sa,
    socklen_t len)
{
	return addr_req(c, "connect", handle, sa, len);
}

int
rs_listen(struct rs_conn *c, int handle, int backlog)
{
	json_t *req = handle_req("listen", handle);

	json_object_set_new(req, "backlog", json_integer(backlog));
	return (int)run_int(c, req, NULL);
}

/*
 * Copy a response's address into sa/len, truncating as the kernel does;
 * none (absent or null) is length 0.  One it cannot read is EPROTO.
 */
static int
copy_addr(const json_t *j, struct sockaddr *sa, socklen_t *len)
{
	struct rs_addr a;
	struct rs_error e;
	json_t *k;
	int r;

	if (sa == NULL || len == NULL)
		return 0;
	if (j == NULL || json_is_null(j)) {
		*len = 0;
		return 0;
	}
	/* By its index: the daemon's name for the interface may not be one
	 * here (see wire_addr). */
	if ((k = json_deep_copy(j)) != NULL &&
	    json_object_get(k, "ifindex") != NULL)
		json_object_del(k, "ifname");
	r = k != NULL ? rs_addr_from_response(k, "address", &a, &e) : -1;
	json_decref(k);
	if (r == -1) {
		*len = 0;
		errno = EPROTO;
		return -1;
	}
	memcpy(sa, &a.ss, a.len < *len ? a.len : *len);
	*len = a.len;
	return 0;
}

int
rs_accept(struct rs_conn *c, int handle, struct sockaddr *sa, socklen_t *len,
    int timeout_ms)
{
	json_t *req = handle_req("accept", handle), *resp;
	int h;

	json_object_set_new(req, "timeout_ms", json_integer(timeout_ms));
	if ((resp = run(c, req, NULL, NULL)) == NULL)
		return -1;
	h = (int)json_integer_value(json_object_get(resp, "handle"));
	/* The handle is the daemon's now: given, even without its peer. */
	copy_addr(json_object_get(resp, "peer"), sa, len);
	json_decref(resp);
	return h;
}

int
rs_shutdown(struct rs_conn *c, int handle, int how)
{
	json_t *req = handle_req("shutdown", handle);

	json_object_set_new(req, "how", json_integer(how));
	return (int)run_int(c, req, NULL);
}

static int
name_req(struct rs_conn *c, const char *op, int handle, struct sockaddr *sa,
    socklen_t *len)
{
	json_t *resp;
	int r;

	if ((resp = run(c, handle_req(op, handle), NULL, NULL)) == NULL)
		return -1;
	r = copy_addr(json_object_get(resp, "address"), sa, len);
	json_decref(resp);
	return r;
}

int
rs_getsockname(struct rs_conn *c, int handle, struct sockaddr *sa,
    socklen_t *len)
{
	return name_req(c, "getsockname", handle, sa, len);
}

int
rs_getpeername(struct rs_conn *c, int handle, struct sockaddr *sa,
    socklen_t *len)
{
	return name_req(c, "getpeername", handle, sa, len);
}

ssize_t
rs_sendto(struct rs_conn *c, int handle, const void *buf, size_t len,
    int flags, const struct sockaddr *sa, socklen_t salen)
{
	json_t *req = handle_req(sa != NULL ? "sendto" : "send", handle), *a;

	json_object_set_new(req, "data", rs_base64_json(buf, len));
	json_object_set_new(req, "flags", json_integer(flags));
	if (sa != NULL) {
		if ((a = wire_addr(sa, salen)) == NULL) {
			json_decref(req);
			return -1;
		}
		json_object_set_new(req, "address", a);
	}
	return (ssize_t)run_int(c, req, "sent");
}

ssize_t
rs_send(struct rs_conn *c, int handle, const void *buf, size_t len, int flags)
{
	return rs_sendto(c, handle, buf, len, flags, NULL, 0);
}

ssize_t
rs_recvfrom(struct rs_conn *c, int handle, void *buf, size_t len, int flags,
    struct sockaddr *sa, socklen_t *salen, int timeout_ms)
{
	json_t *req = handle_req("recvfrom", handle), *resp, *data, *size;
	struct rs_bytes b = { 0 };
	ssize_t n;

	json_object_set_new(req, "size", json_integer((json_int_t)len));
	json_object_set_new(req, "flags", json_integer(flags));
	json_object_set_new(req, "timeout_ms", json_integer(timeout_ms));
	if ((resp = run(c, req, NULL, NULL)) == NULL)
		return -1;
	data = json_object_get(resp, "data");
	size = json_object_get(resp, "size");
	/* size is the datagram's: more than data with MSG_TRUNC. */
	if (!json_is_string(data) || rs_base64_decode(json_string_value(data),
	    json_string_length(data), &b) == -1 || b.n > len ||
	    !json_is_integer(size) || json_integer_value(size) < 0 ||
	    (uint64_t)json_integer_value(size) < b.n ||
	    json_integer_value(size) > SSIZE_MAX) {
		rs_bytes_free(&b);
		json_decref(resp);
		errno = EPROTO;
		return -1;
	}
	memcpy(buf, b.p, b.n);
	rs_bytes_free(&b);
	n = (ssize_t)json_integer_value(size);
	if (copy_addr(json_object_get(resp, "address"), sa, salen) == -1)
		n = -1;
	json_decref(resp);
	return n;
}

ssize_t
rs_recv(struct rs_conn *c, int handle, void *buf, size_t len, int flags,
    int timeout_ms)
{
	return rs_recvfrom(c, handle, buf, len, flags, NULL, NULL, timeout_ms);
}

int
rs_setsockopt_int(struct rs_conn *c, int handle, int level, int option,
    int value)
{
	return (int)run_int(c, json_pack("{s:s, s:i, s:i, s:i, s:i}", "op",
	    "setsockopt", "handle", handle, "level", level, "option", option,
	    "value", value), NULL);
}

int
rs_getsockopt_int(struct rs_conn *c, int handle, int level, int option,
    int *value)
{
	json_t *resp;

	resp = run(c, json_pack("{s:s, s:i, s:i, s:i}", "op", "getsockopt",
	    "handle", handle, "level", level, "option", option), NULL, NULL);
	if (resp == NULL)
		return -1;
	*value = (int)json_integer_value(json_object_get(resp, "value"));
	json_decref(resp);
	return 0;
}

int
rs_setsockopt_json(struct rs_conn *c, int handle, const char *level,
    const char *option, const char *value)
{
	json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);

	if (v == NULL) {
		errno = EINVAL;
		return -1;
	}
	return (int)run_int(c, json_pack("{s:s, s:i, s:s, s:s, s:o}", "op",
	    "setsockopt", "handle", handle, "level", level, "option", option,
	    "value", v), NULL);
}

int
rs_attach_filter(struct rs_conn *c, int handle, const char *expr, int lock)
{
	return (int)run_int(c, json_pack("{s:s, s:i, s:s, s:b}", "op",
	    "attach_filter", "handle", handle, "filter", expr, "lock", lock),
	    "instructions");
}

int
rs_detach_filter(struct rs_conn *c, int handle)
{
	return (int)run_int(c, handle_req("detach_filter", handle), NULL);
}

static int
subscribe(struct rs_conn *c, int handle, size_t queue_bytes, size_t snaplen,
    int batch)
{
	return run_fd(c, json_pack("{s:s, s:i, s:s, s:I, s:I, s:b}", "op",
	    "subscribe", "handle", handle, "format", "binary",
	    "queue_bytes", (json_int_t)queue_bytes,
	    "snaplen", (json_int_t)snaplen, "batch", batch));
}

int
rs_subscribe(struct rs_conn *c, int handle, size_t queue_bytes,
    size_t snaplen)
{
	return subscribe(c, handle, queue_bytes, snaplen, 0);
}

int
rs_subscribe_batch(struct rs_conn *c, int handle, size_t queue_bytes,
    size_t snaplen)
{
	return subscribe(c, handle, queue_bytes, snaplen, 1);
}

int
rs_subscribe_send(struct rs_conn *c, int handle, int batch)
{
	return run_fd(c, json_pack("{s:s, s:i, s:s, s:b, s:b}", "op",
	    "subscribe", "handle", handle, "format", "binary", "batch", batch,
	    "receive", 0));
}

int
rs_unsubscribe(struct rs_conn *c, int handle)
{
	return (int)run_int(c, handle_req("unsubscribe", handle), NULL);
}

int
rs_configdev_json(struct rs_conn *c, const char *ifname, const char *params,
    char **state)
{
	json_t *req = params != NULL ? json_loads(params, 0, NULL) :
	    json_object();
	json_t *resp;

	if (state != NULL)
		*state = NULL;
	if (!json_is_object(req) || ifname == NULL ||
	    json_object_set_new(req, "ifname", json_string(ifname)) == -1) {
		json_decref(req);
		errno = EINVAL;
		return -1;
	}
	json_object_set_new(req, "op", json_string("configdev"));
	if ((resp = run(c, req, NULL, NULL)) == NULL)
		return -1;
	json_object_del(resp, "id");
	json_object_del(resp, "ok");
	if (state != NULL &&
	    (*state = json_dumps(resp, JSON_COMPACT)) == NULL) {
		json_decref(resp);
		errno = ENOMEM;
		return -1;
	}
	json_decref(resp);
	return 0;
}
