/*
 * Socket addresses on the wire (ADDRESSES.md): JSON objects and canonical
 * text for AF_INET, AF_INET6, AF_UNIX and AF_PACKET, both ways.  Decoding
 * refuses anything it does not fully understand; encoding reads nothing
 * past the length it is given and always yields valid UTF-8.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "bytes.h"
#include "const.h"

#define SUN_OFF		offsetof(struct sockaddr_un, sun_path)
#define SUN_SIZE	sizeof(((struct sockaddr_un *)NULL)->sun_path)
/* A name leaves room for the NUL that ends a path. */
#define SUN_NAME_MAX	(SUN_SIZE - 1)
#define SLL_OFF		offsetof(struct sockaddr_ll, sll_addr)
#define SLL_SIZE	sizeof(((struct sockaddr_ll *)NULL)->sll_addr)
/* A response's hardware address may run on to the end of the storage
 * (InfiniBand's 20 bytes, ip6tnl's 16), as the kernel's sockaddr does. */
#define SLL_HW_OFF	offsetof(struct sockaddr_ll, sll_addr)
#define SLL_HW_MAX	(sizeof(struct sockaddr_storage) - SLL_HW_OFF)
/* Any text form fits: a 108-byte unix path escaped byte by byte. */
#define TEXT_SIZE	(3 + 4 * SUN_SIZE)

/* An address object being decoded, and where to report. */
struct dec {
	const json_t	*o;
	const char	*field;
	struct rs_error	*e;
	bool		 response;	/* a packet addr may be longer */
};

/* The ways to name a unix address; indexed by abstract + 2 * hex. */
static const struct unix_key {
	const char	*key;
	bool		 abstract;
	bool		 hex;
} unix_keys[] = {
	{ "path", false, false },
	{ "abstract", true, false },
	{ "path_hex", false, true },
	{ "abstract_hex", true, true },
};

/* A caller's address copied out of its buffer: aligned, zeros past len. */
struct view {
	union {
		struct sockaddr		sa;
		struct sockaddr_in	in;
		struct sockaddr_in6	in6;
		struct sockaddr_un	un;
		struct sockaddr_ll	ll;
		struct sockaddr_storage	ss;
	} u;
	size_t	len;
};

enum unix_kind {
	UNIX_UNNAMED,
	UNIX_PATH,
	UNIX_ABSTRACT,
};

static int	fail(struct rs_error *, int, const char *, const char *,
		    const char *, ...) __attribute__((format(printf, 5, 6)));

/*
 * Report "field[.key]: reason": bad_request, or the errno err when it is
 * not 0.
 */
static int
fail(struct rs_error *e, int err, const char *field, const char *key,
    const char *fmt, ...)
{
	char reason[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	return rs_error_set(e, err != 0 ? RS_E_ERRNO : RS_E_BAD_REQUEST, err,
	    "%s%s%s: %s", field, key != NULL ? "." : "",
	    key != NULL ? key : "", reason);
}

/* Decimal digits only, no sign, at most max. */
static int
parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	unsigned long long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if ((v = v * 10 + (unsigned)(*s - '0')) > max)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/*
 * Unix names as text carry "\\" and "\xNN" escapes.  Writes at most size
 * bytes but counts them all in *n, so *n > size means too long.
 */
static int
unescape(const char *s, uint8_t *dst, size_t size, size_t *n)
{
	int hi, lo, c;

	for (*n = 0; *s != '\0'; (*n)++) {
		c = (uint8_t)*s++;
		if (c == '\\' && *s == '\\')
			s++;
		else if (c == '\\' && *s == 'x' && (hi = rs_hexval(s[1])) >= 0 &&
		    (lo = rs_hexval(s[2])) >= 0) {
			c = hi << 4 | lo;
			s += 3;
		} else if (c == '\\')
			return -1;
		if (*n < size)
			dst[*n] = (uint8_t)c;
	}
	return 0;
}

/* Printable ASCII as is, '\' and every other byte escaped. */
static void
escape(const uint8_t *p, size_t n, char *dst)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\\') {
			*dst++ = '\\';
			*dst++ = '\\';
		} else if (p[i] >= 0x20 && p[i] < 0x7f)
			*dst++ = (char)p[i];
		else {
			*dst++ = '\\';
			*dst++ = 'x';
			rs_hex_format(&p[i], 1, '\0', dst);
			dst += 2;
		}
	}
	*dst = '\0';
}

static int
resolve_ifname(const char *name, uint32_t *index, const char *field,
    const char *key, struct rs_error *e)
{
	int err;

	if ((*index = if_nametoindex(name)) != 0)
		return 0;
	err = errno;
	if (err != 0 && err != ENODEV)
		return fail(e, err, field, key, "%s", strerror(err));
	/* Echo only names short enough to be real: messages are bounded. */
	if (strlen(name) >= IF_NAMESIZE)
		return fail(e, ENODEV, field, key,
		    "no such interface (name longer than %d bytes)",
		    IF_NAMESIZE - 1);
	return fail(e, ENODEV, field, key, "no such interface '%s'", name);
}

/* A scope: an interface name, else a decimal index (as glibc does). */
static int
resolve_scope(const char *name, uint32_t *scope, const char *field,
    const char *key, struct rs_error *e)
{
	if ((*scope = if_nametoindex(name)) != 0 ||
	    parse_uint(name, UINT32_MAX, scope) == 0)
		return 0;
	return resolve_ifname(name, scope, field, key, e);
}

/* An interface name for output: NULL when unknown or not plain ASCII. */
static const char *
ifname_of(int index, char *buf)
{
	const char *p;

	if (index <= 0 || if_indextoname((unsigned)index, buf) == NULL)
		return NULL;
	for (p = buf; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f)
			return NULL;
	}
	return buf;
}

/* s[0..n): "2001:db8::1", or with a "%scope" (interface name or index). */
static int
parse_in6_host(const char *s, size_t n, struct sockaddr_in6 *sin6,
    bool *scoped, const char *field, const char *key, struct rs_error *e)
{
	char buf[INET6_ADDRSTRLEN + 1 + IF_NAMESIZE];
	char *pct;

	if (n >= sizeof buf)
		return fail(e, 0, field, key,
		    "expected a numeric IPv6 address");
	memcpy(buf, s, n);
	buf[n] = '\0';
	if ((pct = strchr(buf, '%')) != NULL)
		*pct++ = '\0';
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1)
		return fail(e, 0, field, key,
		    "expected a numeric IPv6 address");
	*scoped = pct != NULL;
	if (pct == NULL)
		return 0;
	return resolve_scope(pct, &sin6->sin6_scope_id, field, key, e);
}

/* A unix name: a path (no NUL), or an abstract name (sun_path[0] = 0). */
static int
set_unix(struct rs_addr *out, bool abstract, const void *name, size_t n,
    const char *field, const char *key, struct rs_error *e)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&out->ss;

	if (n > SUN_NAME_MAX)
		return fail(e, 0, field, key, "too long (at most %zu bytes)",
		    SUN_NAME_MAX);
	if (!abstract && n == 0)
		return fail(e, 0, field, key, "empty");
	if (!abstract && memchr(name, '\0', n) != NULL)
		return fail(e, 0, field, key, "contains a NUL byte");
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path + abstract, name, n);
	out->len = (socklen_t)(SUN_OFF + 1 + n);
	return 0;
}

static void
set_packet(struct rs_addr *out, uint32_t ifindex, uint32_t protocol)
{
	struct sockaddr_ll *sll = (struct sockaddr_ll *)&out->ss;

	sll->sll_family = AF_PACKET;
	sll->sll_ifindex = (int)ifindex;
	sll->sll_protocol = htons((uint16_t)protocol);
	out->len = sizeof *sll;
}

/* Every key of the object must be one of keys. */
static int
dec_keys(const struct dec *d, const char *const *keys)
{
	const char *key;
	void *it;
	size_t i;

	for (it = json_object_iter((json_t *)d->o); it != NULL;
	    it = json_object_iter_next((json_t *)d->o, it)) {
		key = json_object_iter_key(it);
		/* Responses carry "text": a response object may come back. */
		if (strcmp(key, "text") == 0)
			continue;
		for (i = 0; keys[i] != NULL; i++) {
			if (strcmp(keys[i], key) == 0)
				break;
		}
		if (keys[i] == NULL)
			return fail(d->e, 0, d->field, key, "unknown field");
	}
	return 0;
}

/* Optional string member without NUL bytes; absent leaves *out. */
static int
dec_str(const struct dec *d, const char *key, const char **out)
{
	const json_t *v;

	if ((v = json_object_get(d->o, key)) == NULL)
		return 0;
	if (!json_is_string(v))
		return fail(d->e, 0, d->field, key, "expected a string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(d->e, 0, d->field, key, "contains a NUL byte");
	*out = json_string_value(v);
	return 0;
}

/* Optional integer member in 0..max; absent leaves *out. */
static int
dec_uint(const struct dec *d, const char *key, uint32_t max, uint32_t *out)
{
	const json_t *v;
	json_int_t n;

	if ((v = json_object_get(d->o, key)) == NULL)
		return 0;
	if (!json_is_integer(v) || (n = json_integer_value(v)) < 0 ||
	    n > (json_int_t)max)
		return fail(d->e, 0, d->field, key,
		    "expected an integer 0..%lu", (unsigned long)max);
	*out = (uint32_t)n;
	return 0;
}

/* Optional constant (an integer or a name in groups) in 0..max. */
static int
dec_const(const struct dec *d, const char *key, unsigned groups,
    uint32_t max, uint32_t *out)
{
	const json_t *v;
	const char *why = NULL;
	long n;

	if ((v = json_object_get(d->o, key)) == NULL)
		return 0;
	if (rs_const_parse(v, groups, &n, &why) == -1)
		return fail(d->e, 0, d->field, key, "%s",
		    why != NULL ? why : "expected an integer or a name");
	if (n < 0 || n > (long)max)
		return fail(d->e, 0, d->field, key, "out of range 0..%lu",
		    (unsigned long)max);
	*out = (uint32_t)n;
	return 0;
}

static int
dec_family(const struct dec *d, long *af)
{
	const json_t *v;
	const char *why = NULL;

	if ((v = json_object_get(d->o, "family")) == NULL)
		return fail(d->e, 0, d->field, "family", "missing");
	if (rs_const_parse(v, RS_CG_AF, af, &why) == -1)
		return fail(d->e, 0, d->field, "family", "%s",
		    why != NULL ? why : "expected an address family");
	return 0;
}

static int
dec_inet(const struct dec *d, struct rs_addr *out)
{
	static const char *const keys[] = { "family", "host", "port", NULL };
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
	const char *host = "0.0.0.0";
	uint32_t port = 0;

	if (dec_keys(d, keys) == -1 || dec_str(d, "host", &host) == -1 ||
	    dec_uint(d, "port", UINT16_MAX, &port) == -1)
		return -1;
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return fail(d->e, 0, d->field, "host",
		    "expected a numeric IPv4 address");
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	out->len = sizeof *sin;
	return 0;
}

/* "scope_id": an index or an interface name, unless host had "%scope". */
static int
dec_scope(const struct dec *d, bool scoped, uint32_t *scope)
{
	const json_t *v;
	const char *name;

	if ((v = json_object_get(d->o, "scope_id")) == NULL)
		return 0;
	if (scoped)
		return fail(d->e, 0, d->field, "scope_id",
		    "conflicts with the %%scope in host");
	if (!json_is_string(v))
		return dec_uint(d, "scope_id", UINT32_MAX, scope);
	if (dec_str(d, "scope_id", &name) == -1)
		return -1;
	return resolve_scope(name, scope, d->field, "scope_id", d->e);
}

static int
dec_inet6(const struct dec *d, struct rs_addr *out)
{
	static const char *const keys[] = { "family", "host", "port",
		"flowinfo", "scope_id", NULL };
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;
	const char *host = "::";
	uint32_t port = 0, flowinfo = 0;
	bool scoped;

	if (dec_keys(d, keys) == -1 || dec_str(d, "host", &host) == -1 ||
	    dec_uint(d, "port", UINT16_MAX, &port) == -1 ||
	    dec_uint(d, "flowinfo", UINT32_MAX, &flowinfo) == -1 ||
	    parse_in6_host(host, strlen(host), sin6, &scoped, d->field,
	    "host", d->e) == -1 ||
	    dec_scope(d, scoped, &sin6->sin6_scope_id) == -1)
		return -1;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	/* Network order in the kernel's struct, as Python's socket does. */
	sin6->sin6_flowinfo = htonl(flowinfo);
	out->len = sizeof *sin6;
	return 0;
}

static int
dec_unnamed(const struct dec *d, struct rs_addr *out)
{
	if (!json_is_true(json_object_get(d->o, "unnamed")))
		return fail(d->e, 0, d->field, "unnamed", "expected true");
	out->ss.ss_family = AF_UNIX;
	out->len = SUN_OFF;
	return 0;
}

static int
dec_unix(const struct dec *d, struct rs_addr *out)
{
	static const char *const keys[] = { "family", "unnamed", "path",
		"abstract", "path_hex", "abstract_hex", NULL };
	const struct unix_key *k = NULL;
	uint8_t name[SUN_NAME_MAX];
	const char *s = NULL;
	size_t i, n, given;

	if (dec_keys(d, keys) == -1)
		return -1;
	given = json_object_get(d->o, "unnamed") != NULL;
	for (i = 0; i < sizeof unix_keys / sizeof unix_keys[0]; i++) {
		if (json_object_get(d->o, unix_keys[i].key) != NULL) {
			k = &unix_keys[i];
			given++;
		}
	}
	if (given != 1)
		return fail(d->e, 0, d->field, NULL, "give exactly one of "
		    "path, abstract, path_hex, abstract_hex or unnamed");
	if (k == NULL)
		return dec_unnamed(d, out);
	if (dec_str(d, k->key, &s) == -1)
		return -1;
	if (!k->hex)
		return set_unix(out, k->abstract, s, strlen(s), d->field,
		    k->key, d->e);
	if (rs_hex_parse(s, '\0', name, sizeof name, &n) == -1)
		return fail(d->e, 0, d->field, k->key,
		    "expected at most %zu bytes as hex", sizeof name);
	return set_unix(out, k->abstract, name, n, d->field, k->key, d->e);
}

static int
dec_packet(const struct dec *d, struct rs_addr *out)
{
	static const char *const keys[] = { "family", "ifname", "ifindex",
		"protocol", "hatype", "pkttype", "addr", NULL };
	struct sockaddr_ll *sll = (struct sockaddr_ll *)&out->ss;
	const char *ifname = NULL, *mac = "";
	uint32_t ifindex = 0, given, protocol = 0, hatype = 0, pkttype = 0;
	size_t halen;

	if (dec_keys(d, keys) == -1)
		return -1;
	/* A response object names both (ifname null when unknown). */
	if (!json_is_null(json_object_get(d->o, "ifname")) &&
	    dec_str(d, "ifname", &ifname) == -1)
		return -1;
	if (dec_uint(d, "ifindex", INT_MAX, &ifindex) == -1 ||
	    dec_const(d, "protocol", RS_CG_ETH_P, UINT16_MAX,
	    &protocol) == -1 ||
	    dec_const(d, "hatype", RS_CG_ARPHRD, UINT16_MAX, &hatype) == -1 ||
	    dec_const(d, "pkttype", RS_CG_PACKET_TYPE, UINT8_MAX,
	    &pkttype) == -1 || dec_str(d, "addr", &mac) == -1)
		return -1;
	if (rs_hex_parse(mac, ':', (uint8_t *)&out->ss + SLL_HW_OFF,
	    d->response ? SLL_HW_MAX : SLL_SIZE, &halen) == -1)
		return fail(d->e, 0, d->field, "addr",
		    "expected at most %zu hex bytes as \"aa:bb:..\"",
		    d->response ? SLL_HW_MAX : SLL_SIZE);
	if (ifname != NULL) {
		given = ifindex;
		if (resolve_ifname(ifname, &ifindex, d->field, "ifname",
		    d->e) == -1)
			return -1;
		if (json_object_get(d->o, "ifindex") != NULL &&
		    given != ifindex)
			return fail(d->e, 0, d->field, NULL,
			    "ifname and ifindex name different interfaces");
	}
	set_packet(out, ifindex, protocol);
	sll->sll_hatype = (unsigned short)hatype;
	sll->sll_pkttype = (unsigned char)pkttype;
	sll->sll_halen = (unsigned char)halen;
	if (halen > SLL_SIZE)
		out->len = (socklen_t)(SLL_HW_OFF + halen);
	return 0;
}

static int
dec_object(const struct dec *d, struct rs_addr *out)
{
	long af;

	if (dec_family(d, &af) == -1)
		return -1;
	switch (af) {
	case AF_INET:
		return dec_inet(d, out);
	case AF_INET6:
		return dec_inet6(d, out);
	case AF_UNIX:
		return dec_unix(d, out);
	case AF_PACKET:
		return dec_packet(d, out);
	}
	return fail(d->e, 0, d->field, "family", "unsupported");
}

static int
from_json(const json_t *v, const char *field, struct rs_addr *out,
    struct rs_error *e, bool response)
{
	struct dec d = { v, field, e, response };

	memset(out, 0, sizeof *out);
	if (json_is_string(v)) {
		if (strlen(json_string_value(v)) != json_string_length(v))
			return fail(e, 0, field, NULL, "contains a NUL byte");
		return rs_addr_from_text(json_string_value(v), out, e, field);
	}
	if (!json_is_object(v))
		return fail(e, 0, field, NULL,
		    "expected an address object or string");
	if (dec_object(&d, out) == 0)
		return 0;
	memset(out, 0, sizeof *out);
	return -1;
}

int
rs_addr_from_json(const json_t *v, const char *field, struct rs_addr *out,
    struct rs_error *e)
{
	return from_json(v, field, out, e, false);
}

int
rs_addr_from_response(const json_t *v, const char *field,
    struct rs_addr *out, struct rs_error *e)
{
	return from_json(v, field, out, e, true);
}

/* "198.18.0.1" or "198.18.0.1:80". */
static int
parse_inet(const char *s, struct rs_addr *out, const char *field,
    struct rs_error *e)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
	const char *colon = strchr(s, ':');
	char host[INET_ADDRSTRLEN];
	size_t n = colon != NULL ? (size_t)(colon - s) : strlen(s);
	uint32_t port = 0;

	if (n >= sizeof host)
		return fail(e, 0, field, NULL, "unrecognized address");
	memcpy(host, s, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return fail(e, 0, field, NULL, "unrecognized address");
	if (colon != NULL && parse_uint(colon + 1, UINT16_MAX, &port) == -1)
		return fail(e, 0, field, NULL, "expected a port 0..65535");
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	out->len = sizeof *sin;
	return 0;
}

/* "[2001:db8::1]:80", "[fe80::1%lo]" or bare "2001:db8::1" (port 0). */
static int
parse_inet6(const char *s, struct rs_addr *out, const char *field,
    struct rs_error *e)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;
	const char *host = s, *end = s + strlen(s), *port = NULL;
	uint32_t p = 0;
	bool scoped;

	if (*s == '[') {
		host = s + 1;
		/* The last ']': an interface name may hold one. */
		if ((end = strrchr(host, ']')) == NULL ||
		    (end[1] != '\0' && end[1] != ':'))
			return fail(e, 0, field, NULL, "unrecognized address");
		if (end[1] == ':')
			port = end + 2;
	}
	if (parse_in6_host(host, (size_t)(end - host), sin6, &scoped, field,
	    NULL, e) == -1)
		return -1;
	if (port != NULL && parse_uint(port, UINT16_MAX, &p) == -1)
		return fail(e, 0, field, NULL, "expected a port 0..65535");
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)p);
	out->len = sizeof *sin6;
	return 0;
}

/* "/path", "./path" or "@abstract", with "\\" and "\xNN" escapes. */
static int
parse_unix(const char *s, struct rs_addr *out, const char *field,
    struct rs_error *e)
{
	bool abstract = *s == '@';
	uint8_t name[SUN_NAME_MAX];
	size_t n;

	if (unescape(s + abstract, name, sizeof name, &n) == -1)
		return fail(e, 0, field, NULL,
		    "bad escape (use \\\\ or \\xNN)");
	return set_unix(out, abstract, name, n, field,
	    unix_keys[abstract].key, e);
}

/* "name", "#index" or "*" (any interface). */
static int
parse_ifspec(const char *spec, uint32_t *ifindex, const char *field,
    struct rs_error *e)
{
	if (strcmp(spec, "*") == 0) {
		*ifindex = 0;
		return 0;
	}
	if (spec[0] != '#')
		return resolve_ifname(spec, ifindex, field, NULL, e);
	if (parse_uint(spec + 1, INT_MAX, ifindex) == -1)
		return fail(e, 0, field, NULL, "expected an interface index "
		    "after '#'");
	return 0;
}

/* An ethertype: a number ("0x0800") or a name ("ETH_P_IP", "ip"). */
static int
parse_ethertype(const char *s, uint32_t *protocol, const char *field,
    struct rs_error *e)
{
	const char *why = NULL;
	json_t *v;
	long n = -1;

	if ((v = json_string(s)) != NULL) {
		if (rs_const_parse(v, RS_CG_ETH_P, &n, &why) == -1)
			n = -1;
		json_decref(v);
	}
	if (n < 0 || n > UINT16_MAX)
		return fail(e, 0, field, NULL, "bad protocol: %s",
		    why != NULL ? why : "expected 0..0xffff or a name");
	*protocol = (uint32_t)n;
	return 0;
}

/* "packet:IFACE[/PROTOCOL]". */
static int
parse_packet(const char *s, struct rs_addr *out, const char *field,
    struct rs_error *e)
{
	const char *slash = strchr(s, '/');
	char spec[IF_NAMESIZE + 1];
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	uint32_t ifindex, protocol = 0;

	if (n == 0)
		return fail(e, 0, field, NULL, "packet address without an "
		    "interface ('*' for any)");
	if (slash != NULL &&
	    parse_ethertype(slash + 1, &protocol, field, e) == -1)
		return -1;
	if (n >= sizeof spec)
		return fail(e, ENODEV, field, NULL, "no such interface (name "
		    "longer than %d bytes)", IF_NAMESIZE - 1);
	memcpy(spec, s, n);
	spec[n] = '\0';
	if (parse_ifspec(spec, &ifindex, field, e) == -1)
		return -1;
	set_packet(out, ifindex, protocol);
	return 0;
}

static int
parse_text(const char *s, struct rs_addr *out, const char *field,
    struct rs_error *e)
{
	const char *colon;

	if (strncmp(s, "packet:", 7) == 0)
		return parse_packet(s + 7, out, field, e);
	if (s[0] == '/' || s[0] == '.' || s[0] == '@')
		return parse_unix(s, out, field, e);
	colon = strchr(s, ':');
	if (s[0] == '[' || (colon != NULL && strchr(colon + 1, ':') != NULL))
		return parse_inet6(s, out, field, e);
	return parse_inet(s, out, field, e);
}

int
rs_addr_from_text(const char *s, struct rs_addr *out, struct rs_error *e,
    const char *field)
{
	memset(out, 0, sizeof *out);
	if (s == NULL)
		return fail(e, 0, field, NULL, "unrecognized address");
	if (parse_text(s, out, field, e) == 0)
		return 0;
	memset(out, 0, sizeof *out);
	return -1;
}

/* Copy sa out; -1 unless it is a supported family and long enough. */
static int
view_init(struct view *v, const struct sockaddr *sa, socklen_t len)
{
	size_t min;

	memset(v, 0, sizeof *v);
	if (sa == NULL || len < sizeof(sa_family_t))
		return -1;
	v->len = len < sizeof v->u ? len : sizeof v->u;
	memcpy(&v->u, sa, v->len);
	switch (v->u.sa.sa_family) {
	case AF_INET:
		min = sizeof v->u.in;
		break;
	case AF_INET6:
		min = sizeof v->u.in6;
		break;
	case AF_UNIX:
		min = SUN_OFF;
		break;
	case AF_PACKET:
		min = SLL_OFF;
		break;
	default:
		return -1;
	}
	return v->len >= min ? 0 : -1;
}

/* The name of a unix address: a path ends at its NUL or at len. */
static enum unix_kind
view_unix(const struct view *v, const uint8_t **name, size_t *n)
{
	const uint8_t *p = (const uint8_t *)v->u.un.sun_path;
	size_t max = v->len - SUN_OFF;

	if (max > SUN_SIZE)
		max = SUN_SIZE;
	*name = p;
	*n = 0;
	if (max == 0)
		return UNIX_UNNAMED;
	if (p[0] != '\0') {
		*n = strnlen((const char *)p, max);
		return UNIX_PATH;
	}
	*name = p + 1;
	*n = max - 1;
	return UNIX_ABSTRACT;
}

/* The hardware address bytes present: sll_halen, cut at len. */
static size_t
view_halen(const struct view *v, const uint8_t **addr)
{
	size_t max = v->len - SLL_OFF;

	*addr = (const uint8_t *)&v->u + SLL_OFF;
	return v->u.ll.sll_halen < max ? v->u.ll.sll_halen : max;
}

static int
fmt_inet(const struct view *v, char *buf, size_t size)
{
	char host[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &v->u.in.sin_addr, host, sizeof host);
	return snprintf(buf, size, "%s:%u", host, ntohs(v->u.in.sin_port));
}

static int
fmt_inet6(const struct view *v, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN], name[IF_NAMESIZE], scope[IF_NAMESIZE + 1];
	uint32_t id = v->u.in6.sin6_scope_id;

	inet_ntop(AF_INET6, &v->u.in6.sin6_addr, host, sizeof host);
	if (id == 0)
		scope[0] = '\0';
	else if (id <= INT_MAX && ifname_of((int)id, name) != NULL)
		snprintf(scope, sizeof scope, "%%%s", name);
	else
		snprintf(scope, sizeof scope, "%%%u", id);
	return snprintf(buf, size, "[%s%s]:%u", host, scope,
	    ntohs(v->u.in6.sin6_port));
}

/* Relative paths get "./" so the text still reads as a unix address. */
static int
fmt_unix(const struct view *v, char *buf, size_t size)
{
	char text[4 * SUN_SIZE + 1];
	const uint8_t *name;
	const char *prefix;
	size_t n;

	switch (view_unix(v, &name, &n)) {
	case UNIX_UNNAMED:
		prefix = "";
		break;
	case UNIX_PATH:
		prefix = name[0] == '/' || name[0] == '.' ? "" : "./";
		break;
	default:
		prefix = "@";
		break;
	}
	escape(name, n, text);
	return snprintf(buf, size, "%s%s", prefix, text);
}

static int
fmt_packet(const struct view *v, char *buf, size_t size)
{
	char name[IF_NAMESIZE];
	const char *ifname;
	int ifindex = v->u.ll.sll_ifindex;
	unsigned protocol = ntohs(v->u.ll.sll_protocol);

	if (ifindex == 0)
		return snprintf(buf, size, "packet:*/0x%04x", protocol);
	/* A name that would read as "*" or "#index" is given by index. */
	ifname = ifname_of(ifindex, name);
	if (ifname == NULL || ifname[0] == '*' || ifname[0] == '#')
		return snprintf(buf, size, "packet:#%d/0x%04x", ifindex,
		    protocol);
	return snprintf(buf, size, "packet:%s/0x%04x", ifname, protocol);
}

static char *
view_text(const struct view *v, char *buf, size_t size)
{
	int n;

	switch (v->u.sa.sa_family) {
	case AF_INET:
		n = fmt_inet(v, buf, size);
		break;
	case AF_INET6:
		n = fmt_inet6(v, buf, size);
		break;
	case AF_UNIX:
		n = fmt_unix(v, buf, size);
		break;
	default:
		n = fmt_packet(v, buf, size);
		break;
	}
	return n >= 0 && (size_t)n < size ? buf : NULL;
}

char *
rs_addr_text(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
	struct view v;

	if (view_init(&v, sa, len) == -1 || buf == NULL || size == 0)
		return NULL;
	return view_text(&v, buf, size);
}

static json_t *
enc_inet(const struct view *v)
{
	char host[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &v->u.in.sin_addr, host, sizeof host);
	return json_pack("{s:s, s:s, s:i}", "family", "inet", "host", host,
	    "port", (int)ntohs(v->u.in.sin_port));
}

static json_t *
enc_inet6(const struct view *v)
{
	char host[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &v->u.in6.sin6_addr, host, sizeof host);
	return json_pack("{s:s, s:s, s:i, s:I, s:I}", "family", "inet6",
	    "host", host, "port", (int)ntohs(v->u.in6.sin6_port),
	    "flowinfo", (json_int_t)ntohl(v->u.in6.sin6_flowinfo),
	    "scope_id", (json_int_t)v->u.in6.sin6_scope_id);
}

/* A name that is not NUL-free UTF-8 goes out as hex under "<key>_hex". */
static json_t *
enc_unix(const struct view *v)
{
	char hex[2 * SUN_SIZE + 1];
	const uint8_t *name;
	json_t *s = NULL;
	size_t n;
	bool abstract;

	switch (view_unix(v, &name, &n)) {
	case UNIX_UNNAMED:
		return json_pack("{s:s, s:b}", "family", "unix", "unnamed", 1);
	case UNIX_PATH:
		abstract = false;
		break;
	default:
		abstract = true;
		break;
	}
	if (memchr(name, '\0', n) == NULL)
		s = json_stringn((const char *)name, n);
	if (s != NULL)
		return json_pack("{s:s, s:o}", "family", "unix",
		    unix_keys[abstract].key, s);
	rs_hex_format(name, n, '\0', hex);
	return json_pack("{s:s, s:s}", "family", "unix",
	    unix_keys[abstract + 2].key, hex);
}

static json_t *
enc_packet(const struct view *v)
{
	char mac[3 * sizeof v->u], name[IF_NAMESIZE];
	const char *ifname = ifname_of(v->u.ll.sll_ifindex, name);
	const uint8_t *addr;
	size_t halen = view_halen(v, &addr);

	rs_hex_format(addr, halen, ':', mac);
	return json_pack("{s:s, s:i, s:o, s:i, s:i, s:i, s:s}",
	    "family", "packet", "ifindex", v->u.ll.sll_ifindex,
	    "ifname", ifname != NULL ? json_string(ifname) : json_null(),
	    "protocol", (int)ntohs(v->u.ll.sll_protocol),
	    "hatype", (int)v->u.ll.sll_hatype,
	    "pkttype", (int)v->u.ll.sll_pkttype, "addr", mac);
}

json_t *
rs_addr_to_json(const struct sockaddr *sa, socklen_t len)
{
	char text[TEXT_SIZE];
	struct view v;
	json_t *o;

	if (view_init(&v, sa, len) == -1 ||
	    view_text(&v, text, sizeof text) == NULL)
		return NULL;
	switch (v.u.sa.sa_family) {
	case AF_INET:
		o = enc_inet(&v);
		break;
	case AF_INET6:
		o = enc_inet6(&v);
		break;
	case AF_UNIX:
		o = enc_unix(&v);
		break;
	default:
		o = enc_packet(&v);
		break;
	}
	if (o != NULL && json_object_set_new(o, "text", json_string(text)) ==
	    -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}
