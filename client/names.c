/*
 * librawsock's name and interface look-ups.  getaddrinfo and getnameinfo
 * keep libc's conventions: they return 0 or an EAI_* value (EAI_SYSTEM
 * with errno set when the daemon refused for another reason or could not
 * be reached), and the daemon's addrinfo list is rebuilt as a struct
 * addrinfo list.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "bytes.h"
#include "error.h"
#include "internal.h"
#include "netconv.h"

/*
 * Run req (stolen).  0 with the ok response in *resp, or an EAI_* value:
 * the daemon's, or EAI_SYSTEM with errno set.
 */
static int
call_eai(struct rs_conn *c, json_t *req, json_t **resp)
{
	const char *code;
	json_t *err, *num;
	int eai;

	*resp = NULL;
	if (req == NULL) {
		errno = ENOMEM;
		return EAI_SYSTEM;
	}
	*resp = rs_call(c, req, NULL, NULL);
	json_decref(req);
	if (*resp == NULL)
		return EAI_SYSTEM;
	if (json_is_true(json_object_get(*resp, "ok")))
		return 0;
	err = json_object_get(*resp, "error");
	code = json_string_value(json_object_get(err, "code"));
	num = json_object_get(err, "errno");
	/* EAI_SYSTEM says errno has the cause: set it, whoever said so. */
	eai = code != NULL ? rs_eai_by_name(code) : 0;
	if (eai == 0 || eai == EAI_SYSTEM) {
		errno = json_is_integer(num) ? (int)json_integer_value(num) :
		    rs_errno_from_code(code);
		eai = EAI_SYSTEM;
	}
	json_decref(*resp);
	*resp = NULL;
	return eai;
}

/* Every entry of the family the hints asked for, as getaddrinfo gives. */
static bool
of_family(const struct addrinfo *ai, const struct addrinfo *hints)
{
	if (hints == NULL || hints->ai_family == AF_UNSPEC)
		return true;
	for (; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family != hints->ai_family)
			return false;
	}
	return true;
}

int
rs_getaddrinfo(struct rs_conn *c, const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	struct rs_error e;
	json_t *req, *resp;
	int r;

	*res = NULL;
	req = json_pack("{s:s}", "op", "getaddrinfo");
	if (req != NULL && node != NULL)
		json_object_set_new(req, "node", json_string(node));
	if (req != NULL && service != NULL)
		json_object_set_new(req, "service", json_string(service));
	if (req != NULL && hints != NULL) {
		json_object_set_new(req, "flags",
		    json_integer(hints->ai_flags));
		json_object_set_new(req, "family",
		    json_integer(hints->ai_family));
		json_object_set_new(req, "type",
		    json_integer(hints->ai_socktype));
		json_object_set_new(req, "protocol",
		    json_integer(hints->ai_protocol));
	}
	if ((r = call_eai(c, req, &resp)) != 0)
		return r;
	r = rs_addrinfo_from_json(json_object_get(resp, "addresses"), res, &e);
	json_decref(resp);
	if (r == -1 || !of_family(*res, hints)) {
		rs_addrinfo_free(*res);
		*res = NULL;
		errno = EPROTO;
		return EAI_SYSTEM;
	}
	return *res == NULL ? EAI_NONAME : 0;
}

void
rs_freeaddrinfo(struct addrinfo *res)
{
	rs_addrinfo_free(res);
}

/* Copy a result string into a caller's buffer as getnameinfo does. */
static int
copy_out(const json_t *v, char *buf, size_t len)
{
	const char *s = json_string_value(v);

	if (buf == NULL || len == 0)
		return 0;
	if (s == NULL || strlen(s) >= len)
		return EAI_OVERFLOW;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

int
rs_getnameinfo(struct rs_conn *c, const struct sockaddr *sa,
    socklen_t salen, char *host, size_t hostlen, char *serv, size_t servlen,
    int flags)
{
	json_t *req, *resp, *addr;
	int r;

	if ((addr = rs_addr_to_json(sa, salen)) == NULL)
		return EAI_FAMILY;
	req = json_pack("{s:s, s:o, s:i}", "op", "getnameinfo", "address",
	    addr, "flags", flags);
	if ((r = call_eai(c, req, &resp)) != 0)
		return r;
	if ((r = copy_out(json_object_get(resp, "host"), host, hostlen)) ==
	    0)
		r = copy_out(json_object_get(resp, "service"), serv, servlen);
	json_decref(resp);
	return r;
}

/* An if_nameindex request; the ok response or NULL with errno set. */
static json_t *
call_ifindex(struct rs_conn *c, json_t *req)
{
	json_t *resp;

	if (call_eai(c, req, &resp) != 0)
		return NULL;
	return resp;
}

unsigned
rs_if_nametoindex(struct rs_conn *c, const char *name)
{
	json_t *resp;
	unsigned idx;

	if ((resp = call_ifindex(c, json_pack("{s:s, s:s}", "op",
	    "if_nameindex", "name", name))) == NULL)
		return 0;
	idx = (unsigned)json_integer_value(json_object_get(resp, "index"));
	json_decref(resp);
	return idx;
}

char *
rs_if_indextoname(struct rs_conn *c, unsigned index, char *name)
{
	json_t *resp, *hex;
	size_t n;
	int r;

	if ((resp = call_ifindex(c, json_pack("{s:s, s:I}", "op",
	    "if_nameindex", "index", (json_int_t)index))) == NULL)
		return NULL;
	r = copy_out(json_object_get(resp, "name"), name, IF_NAMESIZE);
	/* A name that is not UTF-8 comes as hex. */
	hex = json_object_get(resp, "name_hex");
	if (r != 0 && json_is_string(hex) &&
	    rs_hex_parse(json_string_value(hex), '\0', (uint8_t *)name,
	    IF_NAMESIZE - 1, &n) == 0 && n > 0) {
		name[n] = '\0';
		r = 0;
	}
	json_decref(resp);
	if (r != 0) {
		errno = EPROTO;
		return NULL;
	}
	return name;
}
