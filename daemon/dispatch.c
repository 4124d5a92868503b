/*
 * The op table and the path every request takes: datagram -> envelope ->
 * op -> typed parameters -> handler -> response.  Counters are kept here so
 * no op has to, and so is the parking of requests that wait on a socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "closer.h"
#include "daemon.h"
#include "dispatch.h"
#include "envelope.h"
#include "handle.h"
#include "log.h"
#include "policy.h"

static const struct op_entry *const ops[] = {
	&op_accept,
	&op_attach_filter,
	&op_bind,
	&op_checksum,
	&op_close,
	&op_configdev,
	&op_connect,
	&op_constants,
	&op_convert_address,
	&op_detach_filter,
	&op_getaddrinfo,
	&op_getnameinfo,
	&op_getpeername,
	&op_getsockname,
	&op_getsockopt,
	&op_hello,
	&op_if_nameindex,
	&op_ifaddrs,
	&op_listen,
	&op_network,
	&op_open,
	&op_pass,
	&op_ping,
	&op_protocol,
	&op_recv,
	&op_recvfrom,
	&op_recvmsg,
	&op_send,
	&op_sendmsg,
	&op_sendto,
	&op_server_socket,
	&op_setsockopt,
	&op_shutdown,
	&op_socketpair,
	&op_stats,
	&op_subscribe,
	&op_unsubscribe,
};

/* Privileged ops: every call that runs leaves one audit record. */
static const struct op_entry *const audited_ops[] = {
	&op_accept,
	&op_attach_filter,
	&op_bind,
	&op_close,
	&op_configdev,
	&op_connect,
	&op_detach_filter,
	&op_open,
	&op_pass,
	&op_server_socket,
	&op_setsockopt,
	&op_subscribe,
};

static const struct rs_param no_params[] = { RS_PARAM_END };

static const struct op_entry *
op_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (strcmp(ops[i]->name, name) == 0)
			return ops[i];
	}
	return NULL;
}

static bool
op_audited(const struct op_entry *op)
{
	size_t i;

	for (i = 0; i < sizeof audited_ops / sizeof audited_ops[0]; i++) {
		if (audited_ops[i] == op)
			return true;
	}
	return false;
}

static void
count(struct conn *c, size_t field)
{
	*(uint64_t *)((char *)&c->stats + field) += 1;
	*(uint64_t *)((char *)&c->d->stats + field) += 1;
}

static void
respond_error(struct conn *c, json_t *id, const struct rs_error *e,
    const char *op)
{
	json_t *reply;

	count(c, offsetof(struct stats, errors));
	if (e->kind == RS_E_BAD_REQUEST)
		count(c, offsetof(struct stats, bad_requests));
	log_debug("conn %llu: uid %u pid %d op %s: %s: %s",
	    (unsigned long long)c->id, (unsigned)c->peer.uid,
	    (int)c->peer.pid, op != NULL ? op : "-", rs_error_code(e),
	    e->message);
	if ((reply = rs_reply_error(id, e)) == NULL) {
		conn_close(c, "out of memory");
		return;
	}
	conn_send(c, reply, NULL, 0);
	json_decref(reply);
}

static const struct rs_param *
op_params(const struct op_entry *op)
{
	return op->params != NULL ? op->params : no_params;
}

static void
request_free(struct request *req)
{
	size_t i;

	for (i = 0; i < req->nfds; i++)
		closer_close_for(req->fds[i], req->conn->peer.uid);
	if (req->wait != NULL)
		event_free(req->wait);
	if (req->state != NULL)
		req->state_free(req->state);
	if (req->args != NULL)
		rs_params_free(op_params(req->op), req->args);
	free(req->args);
	json_decref(req->result);
	json_decref(req->root);
	free(req);
}

/* Answer a request that is done (OP_OK or OP_FAIL) and free it. */
static void
request_finish(struct request *req, int r)
{
	struct conn *c = req->conn;
	json_t *reply;

	if (r == OP_FAIL) {
		respond_error(c, req->id, &req->err, req->op->name);
		request_free(req);
		return;
	}
	reply = rs_reply_ok(req->id, req->result);
	req->result = NULL;
	if (reply == NULL) {
		request_free(req);
		conn_close(c, "out of memory");
		return;
	}
	log_debug("conn %llu: uid %u pid %d op %s: ok",
	    (unsigned long long)c->id, (unsigned)c->peer.uid,
	    (int)c->peer.pid, req->op->name);
	conn_send(c, reply, req->fds, req->nfds);
	req->nfds = 0;		/* conn_send took them */
	json_decref(reply);
	request_free(req);
}

/* Run (or run again) the op; park, or answer. */
static void
request_run(struct request *req)
{
	struct conn *c = req->conn;
	int r;

	req->rule = policy_match(c->d->policy, &c->peer);
	r = req->op->fn(req, req->args);
	if (r == OP_WAIT) {
		c->pending = req;
		conn_pause(c);
		return;
	}
	c->pending = NULL;
	if (op_audited(req->op))
		audit_emit(req->op->name, c->id, &c->peer, &req->audit,
		    &req->err, req->rule != NULL ? req->rule->label : "none");
	request_finish(req, r);
	conn_resume(c);
}

static void
run_op(struct conn *c, const struct op_entry *op, struct rs_request *env)
{
	struct request *req;

	if ((req = calloc(1, sizeof *req)) == NULL) {
		conn_close(c, "out of memory");
		return;
	}
	req->conn = c;
	req->op = op;
	req->root = json_incref(env->root);
	req->id = env->id;
	audit_fields_init(&req->audit);
	if (op->args_size > 0 &&
	    (req->args = calloc(1, op->args_size)) == NULL) {
		rs_error_set(&req->err, RS_E_ERRNO, ENOMEM, "out of memory");
		request_finish(req, OP_FAIL);
		return;
	}
	if (rs_params_decode(env->root, op_params(op), req->args,
	    &req->err) == -1) {
		request_finish(req, OP_FAIL);
		return;
	}
	request_run(req);
}

void
dispatch_datagram(struct conn *c, const char *buf, size_t len, bool truncated,
    bool had_fds)
{
	const struct op_entry *op;
	struct rs_request env;
	struct rs_error e;

	count(c, offsetof(struct stats, requests));
	if (had_fds)
		count(c, offsetof(struct stats, fds_rejected));
	if (truncated) {
		rs_error_set(&e, RS_E_BAD_REQUEST, 0,
		    "request larger than %d bytes", RS_MAX_REQUEST);
		respond_error(c, NULL, &e, NULL);
		return;
	}
	if (rs_request_parse(buf, len, &env, &e) == -1)
		respond_error(c, env.id, &e, NULL);
	else if (had_fds) {
		rs_error_set(&e, RS_E_BAD_REQUEST, 0,
		    "file descriptors are never accepted by the daemon");
		respond_error(c, env.id, &e, env.op);
	} else if ((op = op_find(env.op)) == NULL) {
		rs_error_set(&e, RS_E_UNKNOWN_OP, 0, "unknown op '%.64s'",
		    env.op);
		respond_error(c, env.id, &e, NULL);
	} else
		run_op(c, op, &env);
	rs_request_free(&env);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
wait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct request *req = arg;

	req->timed_out = (what & EV_TIMEOUT) != 0;
	request_run(req);
}

int
request_wait(struct request *req, int fd, short what, long long timeout_ms)
{
	struct daemon *d = req->conn->d;
	struct timeval tv, *tvp = NULL;
	long long left;

	if (req->deadline_ms == 0 && timeout_ms >= 0)
		req->deadline_ms = now_ms() + timeout_ms;
	if (req->deadline_ms != 0) {
		left = req->deadline_ms - now_ms();
		if (left <= 0) {
			req->timed_out = true;
			left = 0;
		}
		tv.tv_sec = left / 1000;
		tv.tv_usec = (left % 1000) * 1000;
		tvp = &tv;
	}
	if (req->wait != NULL)
		event_free(req->wait);
	req->wait = event_new(d->base, fd, what, wait_cb, req);
	if (req->wait == NULL || event_add(req->wait, tvp) == -1)
		return rs_error_set(&req->err, RS_E_ERRNO, ENOMEM,
		    "cannot wait: out of memory");
	return OP_WAIT;
}

void
dispatch_fd_closing(struct conn *c, int fd)
{
	struct request *req = c->pending;

	if (fd == -1 || req == NULL || req->wait == NULL ||
	    event_get_fd(req->wait) != fd)
		return;
	/* Off the fd before it closes (its number is soon another's), and
	 * run again now: the op finds its handle gone and says so.  The
	 * event is reused, not made anew: nothing here can fail. */
	event_del(req->wait);
	event_assign(req->wait, c->d->base, -1, 0, wait_cb, req);
	event_active(req->wait, EV_READ, 1);
}

void
dispatch_cancel(struct conn *c)
{
	if (c->pending != NULL) {
		request_free(c->pending);
		c->pending = NULL;
	}
}

void
request_set(struct request *req, const char *key, json_t *value)
{
	if (req->result == NULL)
		req->result = json_object();
	json_object_set_new(req->result, key, value);
}

int
request_pass_fd(struct request *req, int fd, const char *what)
{
	json_t *list;

	if (req->nfds >= CONN_MAX_PASS_FDS) {
		closer_close_for(fd, req->conn->peer.uid);
		return rs_error_set(&req->err, RS_E_ERRNO, EMFILE,
		    "too many fds in one response");
	}
	req->fds[req->nfds++] = fd;
	if (req->result == NULL)
		req->result = json_object();
	if ((list = json_object_get(req->result, "fds")) == NULL) {
		list = json_array();
		json_object_set_new(req->result, "fds", list);
	}
	json_array_append_new(list, json_string(what));
	return 0;
}

void
request_audit_socket(struct request *req, int domain, int type, int protocol)
{
	req->audit.domain = domain;
	req->audit.type = type;
	req->audit.protocol = protocol;
}

void
request_audit_interface(struct request *req, const char *ifname, int ifindex)
{
	if (ifname != NULL)
		snprintf(req->audit.ifname, sizeof req->audit.ifname, "%s",
		    ifname);
	req->audit.ifindex = ifindex;
}

void
request_audit_handle(struct request *req, const struct handle *h)
{
	request_audit_socket(req, h->domain, h->type, h->protocol);
	if (req->audit.ifname[0] == '\0' && req->audit.ifindex == 0)
		req->audit.ifindex = h->ifindex;
	req->audit.handle = h->id;
}

void
request_audit_option(struct request *req, const char *name)
{
	req->audit.option = name;
}

void
request_audit_accepted(struct request *req, const struct handle *h)
{
	req->audit.accepted = h->id;
}
