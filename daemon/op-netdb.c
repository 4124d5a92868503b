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
#include <string.h>

#include "const.h"
#include "netconv.h"
#include "op.h"

#define NETDB_BUF	4096
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
	char buf[NETDB_BUF];
	size_t used = 0, n;
	json_t *list;

	if (a->name != NULL && a->number != -1)
		return both_given(req);
	if (a->name != NULL || a->number != -1) {
		if (a->name != NULL)
			getprotobyname_r(a->name, &pe, buf, sizeof buf, &p);
		else
			getprotobynumber_r((int)a->number, &pe, buf,
			    sizeof buf, &p);
		if (p == NULL)
			return not_found(req, "protocol", a->name != NULL ?
			    "name" : "number", a->name, a->number);
		return set_entry(req, protoent_json(p));
	}
	list = json_array();
	request_set(req, "protocols", list);
	setprotoent(0);
	for (n = 0; n < NETDB_MAX && getprotoent_r(&pe, buf, sizeof buf,
	    &p) == 0 && p != NULL; n++) {
		if (!op_list_add(req, list, protoent_json(p), &used))
			break;
	}
	endprotoent();
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
	char buf[NETDB_BUF];
	size_t used = 0, n;
	uint32_t net = 0;
	json_t *list;
	int herr;

	if (a->name != NULL && a->address != NULL)
		return both_given(req);
	if (a->address != NULL && network_number(req, a->address, &net) == -1)
		return OP_FAIL;
	if (a->name != NULL || a->address != NULL) {
		if (a->name != NULL)
			getnetbyname_r(a->name, &ne, buf, sizeof buf, &p,
			    &herr);
		else
			getnetbyaddr_r(net, (int)a->type, &ne, buf,
			    sizeof buf, &p, &herr);
		if (p == NULL)
			return not_found(req, "network", a->name != NULL ?
			    "name" : "number", a->name, net);
		return set_entry(req, netent_json(p));
	}
	list = json_array();
	request_set(req, "networks", list);
	setnetent(0);
	for (n = 0; n < NETDB_MAX && getnetent_r(&ne, buf, sizeof buf, &p,
	    &herr) == 0 && p != NULL; n++) {
		if (!op_list_add(req, list, netent_json(p), &used))
			break;
	}
	endnetent();
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
