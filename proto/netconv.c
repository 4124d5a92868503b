/*
 * Conversions for the name and interface ops: pure functions of their
 * arguments (no resolver, no I/O), shared by the daemon and librawsock.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "bytes.h"
#include "const.h"
#include "netconv.h"

static json_t *
convert_inet(const json_t *in, struct rs_error *e)
{
	struct in_addr a;
	json_int_t v;

	if (json_is_string(in)) {
		if (inet_pton(AF_INET, json_string_value(in), &a) != 1) {
			rs_error_set(e, RS_E_BAD_REQUEST, 0, "address: not an "
			    "IPv4 address in dotted form");
			return NULL;
		}
		return json_integer(ntohl(a.s_addr));
	}
	if (!json_is_integer(in) || (v = json_integer_value(in)) < 0 ||
	    v > 0xffffffffLL) {
		rs_error_set(e, RS_E_BAD_REQUEST, 0, "address: expected a "
		    "dotted quad or an integer 0..4294967295");
		return NULL;
	}
	a.s_addr = htonl((uint32_t)v);
	return json_string(inet_ntoa(a));
}

/* Text has a ':', base64 never does: the form is never ambiguous. */
static json_t *
convert_inet6(const json_t *in, struct rs_error *e)
{
	char text[INET6_ADDRSTRLEN];
	struct rs_bytes b = { NULL, 0 };
	struct in6_addr a;
	const char *s;

	if (!json_is_string(in)) {
		rs_error_set(e, RS_E_BAD_REQUEST, 0, "address: expected IPv6 "
		    "text or base64 of 16 bytes");
		return NULL;
	}
	s = json_string_value(in);
	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, &a) != 1) {
			rs_error_set(e, RS_E_BAD_REQUEST, 0, "address: not an "
			    "IPv6 address");
			return NULL;
		}
		return rs_base64_json(&a, sizeof a);
	}
	if (rs_base64_decode(s, strlen(s), &b) == -1 || b.n != sizeof a) {
		rs_bytes_free(&b);
		rs_error_set(e, RS_E_BAD_REQUEST, 0, "address: base64 of "
		    "16 bytes expected (or IPv6 text)");
		return NULL;
	}
	memcpy(&a, b.p, sizeof a);
	rs_bytes_free(&b);
	inet_ntop(AF_INET6, &a, text, sizeof text);
	return json_string(text);
}

json_t *
rs_convert_address(int family, const json_t *in, struct rs_error *e)
{
	if (family == AF_INET)
		return convert_inet(in, e);
	if (family == AF_INET6)
		return convert_inet6(in, e);
	rs_error_set(e, RS_E_BAD_REQUEST, 0, "family: only inet and inet6 "
	    "addresses convert");
	return NULL;
}

bool
rs_iff_match(unsigned flags, unsigned flags_or, unsigned flags_and)
{
	if ((flags & flags_and) != flags_and)
		return false;
	return flags_or == 0 || (flags & flags_or) != 0;
}

static json_t *
const_json(long v, unsigned group)
{
	const struct rs_const *c = rs_const_by_value(v, group);

	return c != NULL ? json_string(c->name) : json_integer(v);
}

json_t *
rs_addrinfo_to_json(const struct addrinfo *ai)
{
	json_t *list, *o, *addr;

	if ((list = json_array()) == NULL)
		return NULL;
	for (; ai != NULL; ai = ai->ai_next) {
		if ((addr = rs_addr_to_json(ai->ai_addr, ai->ai_addrlen)) ==
		    NULL)
			continue;
		o = json_pack("{s:o, s:o, s:o, s:o}", "family",
		    const_json(ai->ai_family, RS_CG_AF), "type",
		    const_json(ai->ai_socktype, RS_CG_SOCK), "protocol",
		    const_json(ai->ai_protocol, RS_CG_IPPROTO), "address",
		    addr);
		if (o != NULL && ai->ai_canonname != NULL)
			json_object_set_new(o, "canonname",
			    json_string(ai->ai_canonname));
		if (o == NULL || json_array_append_new(list, o) == -1) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

/* One entry into a new node (struct, address and name in one block). */
static struct addrinfo *
entry_from_json(const json_t *o, size_t i, struct rs_error *e)
{
	static const struct { const char *key; unsigned group; } ints[] = {
		{ "family", RS_CG_AF },
		{ "type", RS_CG_SOCK },
		{ "protocol", RS_CG_IPPROTO },
	};
	const char *why = "expected an object", *canon;
	struct addrinfo *ai;
	struct rs_addr a;
	long v[3];
	size_t k, clen;
	json_t *cn;

	if (!json_is_object(o))
		goto bad;
	for (k = 0; k < 3; k++) {
		if (rs_const_parse(json_object_get(o, ints[k].key),
		    ints[k].group, &v[k], &why) == -1)
			goto bad;
	}
	if (rs_addr_from_json(json_object_get(o, "address"), "address", &a,
	    e) == -1)
		return NULL;
	/* Callers read ai_addr as ai_family says (getaddrinfo's promise). */
	if (v[0] != a.ss.ss_family) {
		why = "family is not the address's";
		goto bad;
	}
	cn = json_object_get(o, "canonname");
	canon = json_is_string(cn) ? json_string_value(cn) : NULL;
	clen = canon != NULL ? strlen(canon) + 1 : 0;
	if ((ai = calloc(1, sizeof *ai + a.len + clen)) == NULL) {
		rs_error_set(e, RS_E_ERRNO, ENOMEM, "out of memory");
		return NULL;
	}
	ai->ai_family = (int)v[0];
	ai->ai_socktype = (int)v[1];
	ai->ai_protocol = (int)v[2];
	ai->ai_addrlen = a.len;
	ai->ai_addr = (struct sockaddr *)(ai + 1);
	memcpy(ai->ai_addr, &a.ss, a.len);
	if (canon != NULL) {
		ai->ai_canonname = (char *)ai->ai_addr + a.len;
		memcpy(ai->ai_canonname, canon, clen);
	}
	return ai;
bad:
	rs_error_set(e, RS_E_BAD_REQUEST, 0, "addresses[%zu]: %s", i, why);
	return NULL;
}

int
rs_addrinfo_from_json(const json_t *list, struct addrinfo **res,
    struct rs_error *e)
{
	struct addrinfo **tail = res;
	const json_t *o;
	size_t i;

	*res = NULL;
	if (!json_is_array(list))
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "addresses: expected a list");
	json_array_foreach(list, i, o) {
		if ((*tail = entry_from_json(o, i, e)) == NULL) {
			rs_addrinfo_free(*res);
			*res = NULL;
			return -1;
		}
		tail = &(*tail)->ai_next;
	}
	return 0;
}

void
rs_addrinfo_free(struct addrinfo *ai)
{
	struct addrinfo *next;

	for (; ai != NULL; ai = next) {
		next = ai->ai_next;
		free(ai);
	}
}
