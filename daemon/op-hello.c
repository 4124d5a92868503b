/*
 * hello and ping: who am I talking to, and is it alive.
 */
#include "dispatch.h"
#include "envelope.h"
#include "policy.h"

struct hello_args {
	long long	version;
};

static const struct rs_param hello_params[] = {
	{ "version", RS_P_INT, offsetof(struct hello_args, version), 0, 0,
	    RS_PROTOCOL_VERSION, 0, 0 },
	RS_PARAM_END
};

static int
hello(struct request *req, void *argp)
{
	struct hello_args *args = argp;

	if (args->version != RS_PROTOCOL_VERSION)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "version: this daemon speaks protocol %d",
		    RS_PROTOCOL_VERSION);
	request_set(req, "version", json_integer(RS_PROTOCOL_VERSION));
	request_set(req, "daemon", json_string("rawsockd " RAWSOCKD_VERSION));
	request_set(req, "peer", peer_to_json(&req->conn->peer));
	request_set(req, "allowed", policy_rule_to_json(req->rule));
	return 0;
}

const struct op_entry op_hello = {
	"hello", hello_params, sizeof(struct hello_args), hello
};

static int
ping(struct request *req, void *args)
{
	return 0;
}

const struct op_entry op_ping = { "ping", NULL, 0, ping };
