/*
 * protocol, network and convert_address: /etc/protocols and /etc/networks
 * (local files: read on the loop thread, which is also the only thread
 * that touches these databases, so the non-reentrant set/get/end*ent
 * walks never interleave), and address form conversion.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "const.h"
#include "netconv.h"
#include "op.h"

#define NETDB_BUF	4096	/* bytes for an entry, at first */
#define NETDB_BUF_MAX	(1024 * 1024)	/* and at most: a response's size */
#define NETDB_MAX	4096	/* entries in a list, a bound on bad files */

struct netdb_args {
	const char	*name;
	long long	 number;	/* -1: not given */
	const json_t	*address;	/* network: a number or dotted text */
	long		 type;
};

static const struct rs_param protocol_params[] = {
	{ "name", RS_P_STR, offsetof(struct netdb_args, name), 0, 0, 0, 0,
	    0 },
	{ "number", RS_P_INT, offsetof(struct netdb_args, number), 0, 0, -1,
	    0, 65535 },
	RS_PARAM_END
};

static const struct rs_param network_params[] = {
	{ "name", RS_P_STR, offsetof(struct netdb_args, name), 0, 0, 0, 0,
	    0 },
	{ "number", RS_P_ANY, offsetof(struct netdb_args, address), 0, 0, 0,
	    0, 0 },
	{ "type", RS_P_CONST, offsetof(struct netdb_args, type), 0, RS_CG_AF,
	    AF_INET, 0, 0 },
	RS_PARAM_END
};

static json_t *
aliases_json(char **aliases)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; aliases[i] != NULL && i < NETDB_MAX; i++)
		json_array_append_new(list, json_string(aliases[i]));
	return list;
}

static json_t *
protoent_json(const struct protoent *p)
{
	return json_pack("{s:s, s:o, s:i}", "name", p->p_name, "aliases",
	    aliases_json(p->p_aliases), "number", p->p_proto);
}

static json_t *
netent_json(const struct netent *n)
{
	struct in_addr a = { htonl(n->n_net) };
	const struct rs_const *c = rs_const_by_value(n->n_addrtype, RS_CG_AF);

	return json_pack("{s:s, s:o, s:o, s:I, s:s}", "name", n->n_name,
	    "aliases", aliases_json(n->n_aliases), "type",
	    c != NULL ? json_string(c->name) : json_integer(n->n_addrtype),
	    "number", (json_int_t)n->n_net, "text", inet_ntoa(a));
}

/* Copy one entry's fields as the result object. */
static int
set_entry(struct request *req, json_t *o)
{
	if (o == NULL)
		return rs_error_set(&req->err, RS_E_ERRNO, ENOMEM,
		    "out of memory");
	json_decref(req->result);
	req->result = o;
	return OP_OK;
}

static int
not_found(struct request *req, const char *what, const char *field,
    const char *name, long long number)
{
	if (name != NULL)
		return rs_error_set(&req->err, RS_E_ERRNO, ENOENT,
		    "%s: no %s named '%.64s'", field, what, name);
	return rs_error_set(&req->err, RS_E_ERRNO, ENOENT,
	    "%s: no %s numbered %lld", field, what, number);
}

static int
too_large(struct request *req, const char *what)
{
	return rs_error_set(&req->err, RS_E_ERRNO, ERANGE,
	    "the %s entry is larger than %d bytes", what, NETDB_BUF_MAX);
}

/*
 * The entry buffer.  glibc's *_r calls answer ERANGE for an entry that
 * does not fit (and so does a look-up that meets one on its way through
 * the file): the buffer doubles and the call is made again, the walks
 * rereading the same entry.
 */
struct netdb_buf {
	char	*p;
	size_t	 size;
};

static bool
buf_grow(struct netdb_buf *b)
{
	size_t size = b->size == 0 ? NETDB_BUF : 2 * b->size;
	char *p;

	if (size > NETDB_BUF_MAX || (p = realloc(b->p, size)) == NULL)
		return false;
	b->p = p;
	b->size = size;
	return true;
}

/* Before each call of a walk: a buffer, larger after ERANGE. */
static bool
buf_ready(struct netdb_buf *b, int last)
{
	return (last != ERANGE && b->p != NULL) || buf_grow(b);
}

/* A walk cut by an entry too large for any buffer, by memory, or at
 * NETDB_MAX entries says so as a response cut at its size does. */
static void
list_end(struct request *req, int r, size_t n)
{
	if (r == ERANGE || n == NETDB_MAX)
		request_set(req, "truncated", json_true());
}

static int
both_given(struct request *req)
{
	return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
	    "name: give a name or a number, not both");
}

static int
protocol_op(struct request *req, void *argp)
{
	struct netdb_args *a = argp;
	struct protoent pe, *p = NULL;
	struct netdb_buf b = { NULL, 0 };
	size_t used = 0, n;
	json_t *list;
	int r = ERANGE;

	if (a->name != NULL && a->number != -1)
		return both_given(req);
	if (a->name != NULL || a->number != -1) {
		while (r == ERANGE && buf_grow(&b)) {
			if (a->name != NULL)
				r = getprotobyname_r(a->name, &pe, b.p, b.size,
				    &p);
			else
				r = getprotobynumber_r((int)a->number, &pe,
				    b.p, b.size, &p);
		}
		if (r == ERANGE)
			r = too_large(req, "protocol");
		else if (p == NULL)
			r = not_found(req, "protocol", a->name != NULL ?
			    "name" : "number", a->name, a->number);
		else
			r = set_entry(req, protoent_json(p));
		free(b.p);
		return r;
	}
	list = json_array();
	request_set(req, "protocols", list);
	setprotoent(0);
	for (n = 0; n < NETDB_MAX && buf_ready(&b, r); ) {
		if ((r = getprotoent_r(&pe, b.p, b.size, &p)) == ERANGE)
			continue;
		if (r != 0 || p == NULL ||
		    !op_list_add(req, list, protoent_json(p), &used))
			break;
		n++;
	}
	list_end(req, r, n);
	endprotoent();
	free(b.p);
	return OP_OK;
}

/* A network number: an integer, or dotted text as inet_network reads. */
static int
network_number(struct request *req, const json_t *v, uint32_t *out)
{
	json_int_t n;
	in_addr_t x;

	if (json_is_string(v)) {
		if ((x = inet_network(json_string_value(v))) == INADDR_NONE)
			return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
			    "number: not a network number");
		*out = x;
		return 0;
	}
	if (!json_is_integer(v) || (n = json_integer_value(v)) < 0 ||
	    n > 0xffffffffLL)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "number: expected an integer 0..4294967295 or dotted text");
	*out = (uint32_t)n;
	return 0;
}

static int
network_op(struct request *req, void *argp)
{
	struct netdb_args *a = argp;
	struct netent ne, *p = NULL;
	struct netdb_buf b = { NULL, 0 };
	size_t used = 0, n;
	uint32_t net = 0;
	json_t *list;
	int herr, r = ERANGE;

	if (a->name != NULL && a->address != NULL)
		return both_given(req);
	if (a->address != NULL && network_number(req, a->address, &net) == -1)
		return OP_FAIL;
	if (a->name != NULL || a->address != NULL) {
		while (r == ERANGE && buf_grow(&b)) {
			if (a->name != NULL)
				r = getnetbyname_r(a->name, &ne, b.p, b.size,
				    &p, &herr);
			else
				r = getnetbyaddr_r(net, (int)a->type, &ne, b.p,
				    b.size, &p, &herr);
		}
		if (r == ERANGE)
			r = too_large(req, "network");
		else if (p == NULL)
			r = not_found(req, "network", a->name != NULL ?
			    "name" : "number", a->name, net);
		else
			r = set_entry(req, netent_json(p));
		free(b.p);
		return r;
	}
	list = json_array();
	request_set(req, "networks", list);
	setnetent(0);
	for (n = 0; n < NETDB_MAX && buf_ready(&b, r); ) {
		if ((r = getnetent_r(&ne, b.p, b.size, &p, &herr)) == ERANGE)
			continue;
		if (r != 0 || p == NULL ||
		    !op_list_add(req, list, netent_json(p), &used))
			break;
		n++;
	}
	list_end(req, r, n);
	endnetent();
	free(b.p);
	return OP_OK;
}

struct convert_args {
	long		 family;
	const json_t	*address;
};

static const struct rs_param convert_params[] = {
	{ "family", RS_P_CONST, offsetof(struct convert_args, family),
	    RS_PF_REQUIRED, RS_CG_AF, 0, 0, 0 },
	{ "address", RS_P_ANY, offsetof(struct convert_args, address),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	RS_PARAM_END
};

static int
convert_op(struct request *req, void *argp)
{
	struct convert_args *a = argp;
	json_t *out;

	if ((out = rs_convert_address((int)a->family, a->address,
	    &req->err)) == NULL)
		return OP_FAIL;
	request_set(req, "address", out);
	return OP_OK;
}

const struct op_entry op_protocol = {
	"protocol", protocol_params, sizeof(struct netdb_args), protocol_op
};

const struct op_entry op_network = {
	"network", network_params, sizeof(struct netdb_args), network_op
};

const struct op_entry op_convert_address = {
	"convert_address", convert_params, sizeof(struct convert_args),
	convert_op
};
