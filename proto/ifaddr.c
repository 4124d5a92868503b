/*
 * Interface address parsing for configdev.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ifaddr.h"

/* A decimal prefix length 0..max, nothing else (no sign, no spaces). */
static int
parse_prefix(const char *s, int max, int *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9' || strlen(s) > 3)
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static int
unassignable(const struct rs_ifaddr *a)
{
	uint32_t v4;

	if (a->family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->addr.v6) ||
		    IN6_IS_ADDR_MULTICAST(&a->addr.v6);
	v4 = ntohl(a->addr.v4.s_addr);
	return v4 == INADDR_ANY || v4 == INADDR_BROADCAST ||
	    IN_MULTICAST(v4);
}

int
rs_ifaddr_parse(const char *text, long long prefix, struct rs_ifaddr *out,
    struct rs_error *e)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash;
	size_t n;
	int max, inprefix = -1;

	memset(out, 0, sizeof *out);
	slash = strchr(text, '/');
	n = slash != NULL ? (size_t)(slash - text) : strlen(text);
	if (n == 0 || n >= sizeof host)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "address: expected an IPv4 or IPv6 address");
	memcpy(host, text, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, &out->addr.v4) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, host, &out->addr.v6) == 1)
		out->family = AF_INET6;
	else
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "address: '%.64s' is not a numeric IPv4 or IPv6 address",
		    host);
	max = out->family == AF_INET ? 32 : 128;
	if (slash != NULL && parse_prefix(slash + 1, max, &inprefix) == -1)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "address: the prefix after '/' must be 0..%d", max);
	if (prefix >= 0 && prefix > max)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "prefix: must be 0..%d for an %s address", max,
		    out->family == AF_INET ? "IPv4" : "IPv6");
	if (prefix >= 0 && inprefix >= 0 && prefix != inprefix)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "prefix: %lld disagrees with address's /%d", prefix,
		    inprefix);
	if (unassignable(out))
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "address: %s cannot be an interface address", host);
	out->prefix = inprefix >= 0 ? inprefix : prefix >= 0 ? (int)prefix :
	    max;
	return 0;
}
