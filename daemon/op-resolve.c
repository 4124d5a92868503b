/*
 * getaddrinfo and getnameinfo: each look-up runs on the resolver pool
 * (resolve.c) while the request waits on the job's eventfd, so a slow
 * DNS server delays only the connection that asked.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "const.h"
#include "dispatch.h"
#include "netconv.h"
#include "op.h"
#include "resolve.h"
#include "sock.h"

struct gai_args {
	const char	*node;
	const json_t	*service;
	long		 family;
	long		 type;
	const json_t	*protocol;
	long		 flags;
};

static const struct rs_param gai_params[] = {
	{ "node", RS_P_STR, offsetof(struct gai_args, node), 0, 0, 0, 0, 0 },
	{ "service", RS_P_ANY, offsetof(struct gai_args, service), 0, 0, 0,
	    0, 0 },
	{ "family", RS_P_CONST, offsetof(struct gai_args, family), 0,
	    RS_CG_AF, 0, 0, 0 },
	{ "type", RS_P_CONST, offsetof(struct gai_args, type), 0, RS_CG_SOCK,
	    0, 0, 0 },
	{ "protocol", RS_P_ANY, offsetof(struct gai_args, protocol), 0, 0, 0,
	    0, 0 },
	{ "flags", RS_P_FLAGS, offsetof(struct gai_args, flags), 0, RS_CG_AI,
	    0, 0, 0 },
	RS_PARAM_END
};

struct gni_args {
	struct rs_addr	 address;
	long		 flags;
};

static const struct rs_param gni_params[] = {
	{ "address", RS_P_ADDR, offsetof(struct gni_args, address),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	{ "flags", RS_P_FLAGS, offsetof(struct gni_args, flags), 0, RS_CG_NI,
	    0, 0, 0 },
	RS_PARAM_END
};

/* A service is a name or a port number; either way a string for libc. */
static int
service_text(struct request *req, const json_t *v, char *buf, size_t len)
{
	json_int_t port;

	if (json_is_integer(v)) {
		if ((port = json_integer_value(v)) < 0 || port > 65535)
			return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
			    "service: a port is 0..65535");
		snprintf(buf, len, "%lld", (long long)port);
		return 0;
	}
	if (!json_is_string(v))
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "service: expected a name or a port number");
	if (json_string_length(v) >= len)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "service: longer than %zu bytes", len - 1);
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* Queue the job on the first run, park on it; the look-up's outcome on
 * the second. */
static int
wait_job(struct request *req, struct resolve_job *j)
{
	if (j == NULL)
		return OP_FAIL;
	req->state = j;
	req->state_free = resolve_release;
	return request_wait(req, resolve_fd(j), EV_READ, -1);
}

static int
getaddrinfo_op(struct request *req, void *argp)
{
	struct gai_args *a = argp;
	struct resolve_job *j = req->state;
	struct addrinfo hints = { 0 };
	char serv[NI_MAXSERV];
	size_t used = 0, i;
	int protocol;
	json_t *all, *list, *v;

	if (j != NULL) {
		if (resolve_result(j, &req->err) != 0)
			return OP_FAIL;
		if ((all = rs_addrinfo_to_json(resolve_addrinfo(j))) == NULL ||
		    (list = json_array()) == NULL) {
			json_decref(all);
			return rs_error_set(&req->err, RS_E_ERRNO, ENOMEM,
			    "out of memory");
		}
		/* A name may have more addresses than a response holds (a
		 * zone the client controls): the first that fit, truncated. */
		json_array_foreach(all, i, v) {
			if (!op_list_add(req, list, json_incref(v), &used))
				break;
		}
		json_decref(all);
		request_set(req, "addresses", list);
		return OP_OK;
	}
	if (a->node != NULL && strlen(a->node) >= NI_MAXHOST)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "node: longer than %d bytes", NI_MAXHOST - 1);
	if (a->service != NULL &&
	    service_text(req, a->service, serv, sizeof serv) == -1)
		return OP_FAIL;
	if (sock_protocol(AF_INET, a->protocol, &protocol, &req->err) == -1)
		return OP_FAIL;
	hints.ai_flags = (int)a->flags;
	hints.ai_family = (int)a->family;
	hints.ai_socktype = (int)a->type;
	hints.ai_protocol = protocol;
	return wait_job(req, resolve_getaddrinfo(req->conn->peer.uid,
	    a->node, a->service != NULL ? serv : NULL, &hints, &req->err));
}

static int
getnameinfo_op(struct request *req, void *argp)
{
	struct gni_args *a = argp;
	struct resolve_job *j = req->state;

	if (j != NULL) {
		if (resolve_result(j, &req->err) != 0)
			return OP_FAIL;
		request_set(req, "host", json_string(resolve_host(j)));
		request_set(req, "service", json_string(resolve_serv(j)));
		return OP_OK;
	}
	return wait_job(req, resolve_getnameinfo(req->conn->peer.uid,
	    (struct sockaddr *)&a->address.ss, a->address.len, (int)a->flags,
	    &req->err));
}

const struct op_entry op_getaddrinfo = {
	"getaddrinfo", gai_params, sizeof(struct gai_args), getaddrinfo_op
};

const struct op_entry op_getnameinfo = {
	"getnameinfo", gni_params, sizeof(struct gni_args), getnameinfo_op
};
