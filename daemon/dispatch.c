/*
 * The op table and the path every request takes: datagram -> envelope ->
 * op -> typed parameters -> handler -> response.  Counters are kept here so
 * no op has to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "dispatch.h"
#include "envelope.h"
#include "log.h"
#include "policy.h"

static const struct op_entry *const ops[] = {
	&op_constants,
	&op_hello,
	&op_ping,
	&op_stats,
};

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

static void
count(struct conn *c, uint64_t struct_offset)
{
	*(uint64_t *)((char *)&c->stats + struct_offset) += 1;
	*(uint64_t *)((char *)&c->d->stats + struct_offset) += 1;
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

static void
run_op(struct conn *c, const struct op_entry *op, struct rs_request *env)
{
	struct request req = { .conn = c, .id = env->id };
	static const struct rs_param none[] = { RS_PARAM_END };
	const struct rs_param *params = op->params != NULL ? op->params : none;
	void *args = NULL;
	json_t *reply;
	size_t i;

	req.rule = policy_match(c->d->policy, &c->peer);
	if (op->args_size > 0 && (args = calloc(1, op->args_size)) == NULL) {
		rs_error_set(&req.err, RS_E_ERRNO, ENOMEM, "out of memory");
		goto fail;
	}
	if (rs_params_decode(env->root, params, args, &req.err) == -1)
		goto fail;
	if (op->fn(&req, args) == -1)
		goto fail;
	rs_params_free(params, args);
	free(args);
	reply = rs_reply_ok(req.id, req.result);
	req.result = NULL;
	if (reply == NULL) {
		for (i = 0; i < req.nfds; i++)
			close(req.fds[i]);
		conn_close(c, "out of memory");
		return;
	}
	log_debug("conn %llu: uid %u pid %d op %s: ok",
	    (unsigned long long)c->id, (unsigned)c->peer.uid,
	    (int)c->peer.pid, op->name);
	conn_send(c, reply, req.fds, req.nfds);
	json_decref(reply);
	return;
fail:
	for (i = 0; i < req.nfds; i++)
		close(req.fds[i]);
	json_decref(req.result);
	if (args != NULL)
		rs_params_free(params, args);
	free(args);
	respond_error(c, env->id, &req.err, op->name);
}

void
dispatch_datagram(struct conn *c, const char *buf, size_t len, bool truncated,
    bool had_fds)
{
	const struct op_entry *op;
	struct rs_request env;
	struct rs_error e;

	count(c, offsetof(struct stats, requests));
	if (truncated) {
		rs_error_set(&e, RS_E_BAD_REQUEST, 0,
		    "request larger than %d bytes", RS_MAX_REQUEST);
		respond_error(c, NULL, &e, NULL);
		return;
	}
	if (rs_request_parse(buf, len, &env, &e) == -1) {
		if (had_fds)
			count(c, offsetof(struct stats, fds_rejected));
		respond_error(c, env.id, &e, NULL);
		rs_request_free(&env);
		return;
	}
	if (had_fds) {
		count(c, offsetof(struct stats, fds_rejected));
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
		close(fd);
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
