/*
 * getsockopt and setsockopt, driven entirely by proto's option table.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_packet.h>

#include "op.h"
#include "sockopt.h"
#include "stream.h"

struct opt_args {
	long long	 handle;
	const json_t	*level;
	const json_t	*option;
	const json_t	*value;
};

static const struct rs_param get_params[] = {
	{ "handle", RS_P_INT, offsetof(struct opt_args, handle),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	{ "level", RS_P_ANY, offsetof(struct opt_args, level), 0, 0, 0, 0,
	    0 },
	{ "option", RS_P_ANY, offsetof(struct opt_args, option),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	RS_PARAM_END
};

static const struct rs_param set_params[] = {
	{ "handle", RS_P_INT, offsetof(struct opt_args, handle),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	{ "level", RS_P_ANY, offsetof(struct opt_args, level),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	{ "option", RS_P_ANY, offsetof(struct opt_args, option),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	{ "value", RS_P_ANY, offsetof(struct opt_args, value),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	RS_PARAM_END
};

static bool
is_all(const json_t *v)
{
	return v == NULL || (json_is_string(v) &&
	    strcmp(json_string_value(v), "all") == 0);
}

/* getsockopt of one entry: the JSON value, or NULL with err set. */
static json_t *
get_one(int fd, const struct rs_sockopt *o, int *err)
{
	char buf[512];
	socklen_t len = rs_sockopt_get_size(o);
	json_t *v;

	if (o->flags & RS_OF_UNSUPPORTED) {
		*err = ENOPROTOOPT;
		return NULL;
	}
	if (len > sizeof buf)
		len = sizeof buf;
	memset(buf, 0, sizeof buf);
	if (getsockopt(fd, o->level, o->option, buf, &len) == -1) {
		*err = errno;
		return NULL;
	}
	if ((v = rs_sockopt_decode(o, buf, len)) == NULL)
		*err = EPROTO;
	return v;
}

/* Every readable option of a level (or of all, when all_levels). */
static json_t *
get_all(int fd, int level, bool all_levels)
{
	const struct rs_sockopt *o;
	json_t *map = json_object(), *v;
	size_t i;
	int err;

	for (i = 0; i < rs_sockopt_count; i++) {
		o = &rs_sockopt_table[i];
		if (o->get == RS_OT_NONE || (o->flags & RS_OF_NOT_IN_ALL) ||
		    (!all_levels && o->level != level))
			continue;
		/* Options that do not apply to this socket are left out. */
		if ((v = get_one(fd, o, &err)) != NULL)
			json_object_set_new(map, o->name, v);
	}
	return map;
}

static int
getsockopt_op(struct request *req, void *argp)
{
	struct opt_args *a = argp;
	const struct rs_sockopt *o;
	struct handle *h;
	json_t *v;
	int level = 0, err = 0;

	if ((h = op_handle(req, a->handle)) == NULL)
		return OP_FAIL;
	if (is_all(a->option)) {
		if (!is_all(a->level) &&
		    rs_sockopt_level(a->level, &level, &req->err) == -1)
			return OP_FAIL;
		request_set(req, "options", get_all(h->fd, level,
		    is_all(a->level)));
		return OP_OK;
	}
	if (a->level == NULL)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "level: missing");
	if (rs_sockopt_level(a->level, &level, &req->err) == -1 ||
	    (o = rs_sockopt_lookup(level, a->option, &req->err)) == NULL)
		return OP_FAIL;
	if (rs_sockopt_check_get(o, &req->err) == -1)
		return OP_FAIL;
	/* Reading the counters resets them: a subscription's drops are
	 * counted first, or the client's read would hide them from it. */
	if (o->level == SOL_PACKET && o->option == PACKET_STATISTICS)
		stream_sync_drops(h);
	if ((v = get_one(h->fd, o, &err)) == NULL)
		return rs_error_set(&req->err, RS_E_ERRNO, err,
		    "%s on handle %lld: %s", o->name, h->id, strerror(err));
	request_set(req, "value", v);
	return OP_OK;
}

static int
setsockopt_op(struct request *req, void *argp)
{
	struct opt_args *a = argp;
	struct handle *h;

	if ((h = op_handle(req, a->handle)) == NULL ||
	    op_set_option(req, h->fd, h->domain, a->level, a->option,
	    a->value, &h->devs) == -1)
		return OP_FAIL;
	op_follow_device(h);
	return OP_OK;
}

const struct op_entry op_getsockopt = {
	"getsockopt", get_params, sizeof(struct opt_args), getsockopt_op
};
const struct op_entry op_setsockopt = {
	"setsockopt", set_params, sizeof(struct opt_args), setsockopt_op
};
