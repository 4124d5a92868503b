/*
 * Unit tests for proto/addr.c: every family both ways (object and text),
 * refusal of bad input, and the encoders given truncated lengths.  The
 * truncation tests hand over heap buffers exactly as long as the length
 * given, so a run under ASan catches any over-read.  Jansson allocates
 * through cmocka, so a leaked object fails its test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "testutil.h"


struct bad_case {
	const char	*in;
	const char	*prefix;	/* of the error message */
};

static void
assert_decodes(int r, const struct rs_error *e)
{
	if (r != 0)
		fail_msg("refused: %s", e->message);
}

/* Encode from a heap copy exactly a->len long: ASan sees any over-read. */
static json_t *
encode(const struct rs_addr *a)
{
	void *p;
	json_t *o;

	assert_non_null(p = malloc(a->len));
	memcpy(p, &a->ss, a->len);
	o = rs_addr_to_json(p, a->len);
	free(p);
	return o;
}

/* in decodes to an address that encodes as want (NULL: in) plus text. */
static void
check_object_json(json_t *in, json_t *want, const char *text)
{
	struct rs_error e = { 0 };
	struct rs_addr a;
	json_t *got;

	assert_decodes(rs_addr_from_json(in, "address", &a, &e), &e);
	assert_non_null(got = encode(&a));
	assert_string_equal(json_string_value(json_object_get(got, "text")),
	    text);
	json_object_del(got, "text");
	assert_json_equal(got, want != NULL ? want : in);
	json_decref(got);
	json_decref(in);
	json_decref(want);
}

static void
check_object(const char *in, const char *want, const char *text)
{
	check_object_json(load(in), want != NULL ? load(want) : NULL, text);
}

/* in parses; its canonical text is canon (NULL: in), which parses back
 * to the same bytes and is also the "text" of the object. */
static void
check_text(const char *in, const char *canon)
{
	struct rs_error e = { 0 };
	struct rs_addr a, b;
	char buf[512];
	json_t *o;

	if (canon == NULL)
		canon = in;
	assert_decodes(rs_addr_from_text(in, &a, &e, "address"), &e);
	assert_non_null(rs_addr_text((struct sockaddr *)&a.ss, a.len, buf,
	    sizeof buf));
	assert_string_equal(buf, canon);
	assert_decodes(rs_addr_from_text(canon, &b, &e, "address"), &e);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(&a.ss, &b.ss, a.len);
	assert_non_null(o = encode(&a));
	assert_string_equal(json_string_value(json_object_get(o, "text")),
	    canon);
	json_decref(o);
}

static void
check_error(const struct rs_error *e, const struct rs_addr *a,
    enum rs_err_kind kind, int num, const char *prefix, const char *in)
{
	if (e->kind != kind || e->num != num ||
	    strncmp(e->message, prefix, strlen(prefix)) != 0)
		fail_msg("%s: got kind %d num %d \"%s\", want %d %d \"%s...\"",
		    in, e->kind, e->num, e->message, kind, num, prefix);
	assert_int_equal(a->len, 0);
}

/* Decoding v (stolen) as field fails with kind, num, message prefix. */
static void
check_refused_json(json_t *v, const char *field, enum rs_err_kind kind,
    int num, const char *prefix)
{
	struct rs_error e = { 0 };
	struct rs_addr a;
	char *dump = json_dumps(v, JSON_ENCODE_ANY);

	if (rs_addr_from_json(v, field, &a, &e) != -1)
		fail_msg("accepted %s", dump);
	check_error(&e, &a, kind, num, prefix, dump);
	test_free(dump);
	json_decref(v);
}

static void
check_refused_text(const char *s, enum rs_err_kind kind, int num,
    const char *prefix)
{
	struct rs_error e = { 0 };
	struct rs_addr a;

	if (rs_addr_from_text(s, &a, &e, "address") != -1)
		fail_msg("accepted '%s'", s);
	check_error(&e, &a, kind, num, prefix, s);
}

static void
check_bad_cases(const struct bad_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		check_refused_json(load(c[i].in), "address", RS_E_BAD_REQUEST,
		    0, c[i].prefix);
}

/* A string of n copies of c after prefix, for length limits. */
static char *
repeat(const char *prefix, char c, size_t n)
{
	size_t len = strlen(prefix);
	char *s;

	assert_non_null(s = test_malloc(len + n + 1));
	memcpy(s, prefix, len);
	memset(s + len, c, n);
	s[len + n] = '\0';
	return s;
}

static void
test_inet(void **state)
{
	check_object("{\"family\":\"inet\",\"host\":\"198.18.0.1\","
	    "\"port\":80}", NULL, "198.18.0.1:80");
	check_object("{\"family\":\"AF_INET\",\"host\":\"255.255.255.255\","
	    "\"port\":65535}", "{\"family\":\"inet\",\"host\":"
	    "\"255.255.255.255\",\"port\":65535}", "255.255.255.255:65535");
	check_object("{\"family\":2}", "{\"family\":\"inet\",\"host\":"
	    "\"0.0.0.0\",\"port\":0}", "0.0.0.0:0");
}

static void
test_inet6(void **state)
{
	check_object("{\"family\":\"inet6\",\"host\":\"2001:db8::1\","
	    "\"port\":443,\"flowinfo\":4294967295,\"scope_id\":0}", NULL,
	    "[2001:db8::1]:443");
	check_object("{\"family\":\"AF_INET6\"}", "{\"family\":\"inet6\","
	    "\"host\":\"::\",\"port\":0,\"flowinfo\":0,\"scope_id\":0}",
	    "[::]:0");
	check_object("{\"family\":\"inet6\",\"host\":\"fe80::1%lo\","
	    "\"port\":80}", "{\"family\":\"inet6\",\"host\":\"fe80::1\","
	    "\"port\":80,\"flowinfo\":0,\"scope_id\":1}", "[fe80::1%lo]:80");
	check_object("{\"family\":\"inet6\",\"host\":\"fe80::1%1\"}",
	    "{\"family\":\"inet6\",\"host\":\"fe80::1\",\"port\":0,"
	    "\"flowinfo\":0,\"scope_id\":1}", "[fe80::1%lo]:0");
	check_object("{\"family\":\"inet6\",\"host\":\"fe80::1\","
	    "\"scope_id\":\"lo\"}", "{\"family\":\"inet6\",\"host\":"
	    "\"fe80::1\",\"port\":0,\"flowinfo\":0,\"scope_id\":1}",
	    "[fe80::1%lo]:0");
	check_object("{\"family\":\"inet6\",\"host\":\"fe80::1\",\"port\":0,"
	    "\"flowinfo\":0,\"scope_id\":4000000000}", NULL,
	    "[fe80::1%4000000000]:0");
	check_object("{\"family\":\"inet6\",\"host\":\"::ffff:198.18.0.1\","
	    "\"port\":1,\"flowinfo\":0,\"scope_id\":0}", NULL,
	    "[::ffff:198.18.0.1]:1");
}

static void
test_unix(void **state)
{
	char *path = repeat("/", 'a', 106), *name = repeat("", 'b', 107);
	char *text = repeat("@", 'b', 107);

	check_object("{\"family\":\"unix\",\"path\":\"/run/x.sock\"}", NULL,
	    "/run/x.sock");
	check_object("{\"family\":\"AF_UNIX\",\"abstract\":\"name\"}",
	    "{\"family\":\"unix\",\"abstract\":\"name\"}", "@name");
	check_object("{\"family\":\"unix\",\"abstract\":\"\"}", NULL, "@");
	check_object("{\"family\":\"unix\",\"unnamed\":true}", NULL, "");
	check_object("{\"family\":\"unix\",\"path\":\"x.sock\"}", NULL,
	    "./x.sock");
	check_object("{\"family\":\"unix\",\"path\":\"/tmp/caf\\u00e9\"}",
	    NULL, "/tmp/caf\\xc3\\xa9");
	/* Not NUL-free UTF-8: hex both ways. */
	check_object("{\"family\":\"unix\",\"abstract_hex\":\"00ff41\"}",
	    NULL, "@\\x00\\xffA");
	check_object("{\"family\":\"unix\",\"path_hex\":\"2f74ff\"}", NULL,
	    "/t\\xff");
	check_object("{\"family\":\"unix\",\"path_hex\":\"2F6162\"}",
	    "{\"family\":\"unix\",\"path\":\"/ab\"}", "/ab");
	/* 107 bytes is the longest name that fits with its NUL. */
	check_object_json(json_pack("{s:s, s:s}", "family", "unix", "path",
	    path), NULL, path);
	check_object_json(json_pack("{s:s, s:s}", "family", "unix",
	    "abstract", name), NULL, text);
	test_free(path);
	test_free(name);
	test_free(text);
}

static void
test_packet(void **state)
{
	check_object("{\"family\":\"packet\",\"ifname\":\"lo\",\"protocol\":"
	    "\"ETH_P_ALL\",\"hatype\":\"ARPHRD_LOOPBACK\",\"pkttype\":"
	    "\"outgoing\",\"addr\":\"aa:bb:cc:dd:ee:ff\"}",
	    "{\"family\":\"packet\",\"ifindex\":1,\"ifname\":\"lo\","
	    "\"protocol\":3,\"hatype\":772,\"pkttype\":4,\"addr\":"
	    "\"aa:bb:cc:dd:ee:ff\"}", "packet:lo/0x0003");
	check_object("{\"family\":\"AF_PACKET\",\"ifindex\":1,\"protocol\":"
	    "\"ip\"}", "{\"family\":\"packet\",\"ifindex\":1,\"ifname\":"
	    "\"lo\",\"protocol\":2048,\"hatype\":0,\"pkttype\":0,\"addr\":"
	    "\"\"}", "packet:lo/0x0800");
	check_object("{\"family\":17}", "{\"family\":\"packet\",\"ifindex\":0,"
	    "\"ifname\":null,\"protocol\":0,\"hatype\":0,\"pkttype\":0,"
	    "\"addr\":\"\"}", "packet:*/0x0000");
	check_object("{\"family\":\"packet\",\"ifindex\":999999,\"protocol\":"
	    "\"0x88cc\",\"hatype\":1,\"pkttype\":255,\"addr\":"
	    "\"01:02:03:04:05:06:07:08\"}", "{\"family\":\"packet\","
	    "\"ifindex\":999999,\"ifname\":null,\"protocol\":35020,"
	    "\"hatype\":1,\"pkttype\":255,\"addr\":"
	    "\"01:02:03:04:05:06:07:08\"}", "packet:#999999/0x88cc");
	check_object("{\"family\":\"packet\",\"ifname\":\"lo\",\"protocol\":"
	    "65535,\"hatype\":65535,\"addr\":\"0A\"}", "{\"family\":"
	    "\"packet\",\"ifindex\":1,\"ifname\":\"lo\",\"protocol\":65535,"
	    "\"hatype\":65535,\"pkttype\":0,\"addr\":\"0a\"}",
	    "packet:lo/0xffff");
}

static void
test_text(void **state)
{
	static const char *forms[][2] = {
		{ "198.18.0.1:80", NULL },
		{ "198.18.0.1", "198.18.0.1:0" },
		{ "0.0.0.0:65535", NULL },
		{ "[2001:db8::1]:80", NULL },
		{ "[2001:db8::1]", "[2001:db8::1]:0" },
		{ "2001:db8::1", "[2001:db8::1]:0" },
		{ "::", "[::]:0" },
		{ "[fe80::1%lo]:80", NULL },
		{ "[fe80::1%1]:80", "[fe80::1%lo]:80" },
		{ "fe80::1%lo", "[fe80::1%lo]:0" },
		{ "[fe80::1%4000000000]:1", NULL },
		{ "/run/x.sock", NULL },
		{ "./x.sock", NULL },
		{ "../x.sock", NULL },
		{ "@name", NULL },
		{ "@", NULL },
		{ "@with space", NULL },
		{ "/tmp/a\\x01b\\\\c", NULL },
		{ "/tmp/a\\x41", "/tmp/aA" },
		{ "/tmp/caf\xc3\xa9", "/tmp/caf\\xc3\\xa9" },
		{ "packet:lo/0x0003", NULL },
		{ "packet:lo", "packet:lo/0x0000" },
		{ "packet:lo/ETH_P_IP", "packet:lo/0x0800" },
		{ "packet:lo/ipv6", "packet:lo/0x86dd" },
		{ "packet:lo/2048", "packet:lo/0x0800" },
		{ "packet:#1/0x88cc", "packet:lo/0x88cc" },
		{ "packet:*/0x0003", NULL },
		{ "packet:*", "packet:*/0x0000" },
		{ "packet:#999999", "packet:#999999/0x0000" },
	};
	size_t i;

	for (i = 0; i < nitems(forms); i++)
		check_text(forms[i][0], forms[i][1]);
}

/* A JSON string is the text form, errors named after the field. */
static void
test_json_string(void **state)
{
	check_object("\"198.18.0.1:80\"", "{\"family\":\"inet\",\"host\":"
	    "\"198.18.0.1\",\"port\":80}", "198.18.0.1:80");
	check_object("\"@name\"", "{\"family\":\"unix\",\"abstract\":"
	    "\"name\"}", "@name");
	check_refused_json(load("\"localhost:80\""), "bind", RS_E_BAD_REQUEST,
	    0, "bind: unrecognized address");
	check_refused_json(load("\"1.2.3.4\\u0000x\""), "bind",
	    RS_E_BAD_REQUEST, 0, "bind: contains a NUL byte");
	check_refused_json(load("{\"family\":\"inet\",\"port\":\"80\"}"),
	    "bind", RS_E_BAD_REQUEST, 0, "bind.port: expected an integer");
}

static void
test_bad_shape(void **state)
{
	static const struct bad_case cases[] = {
		{ "5", "address: expected an address object or string" },
		{ "null", "address: expected an address object or string" },
		{ "true", "address: expected an address object or string" },
		{ "1.5", "address: expected an address object or string" },
		{ "[]", "address: expected an address object or string" },
		{ "{}", "address.family: missing" },
		{ "{\"host\":\"1.2.3.4\"}", "address.family: missing" },
		{ "{\"family\":\"bogus\"}", "address.family: " },
		{ "{\"family\":true}", "address.family: " },
		{ "{\"family\":null}", "address.family: " },
		{ "{\"family\":\"AF_NETLINK\"}",
		    "address.family: unsupported" },
		{ "{\"family\":\"unspec\"}", "address.family: unsupported" },
		{ "{\"family\":1000}", "address.family: unsupported" },
		{ "{\"family\":\"inet\",\"hots\":\"1.2.3.4\"}",
		    "address.hots: unknown field" },
		{ "{\"family\":\"inet\",\"scope_id\":0}",
		    "address.scope_id: unknown field" },
		{ "{\"family\":\"inet6\",\"path\":\"/x\"}",
		    "address.path: unknown field" },
		{ "{\"family\":\"unix\",\"path\":\"/x\",\"port\":1}",
		    "address.port: unknown field" },
		{ "{\"family\":\"packet\",\"ifname\":\"lo\",\"halen\":6}",
		    "address.halen: unknown field" },
	};

	check_bad_cases(cases, nitems(cases));
}

static void
test_bad_inet(void **state)
{
	static const struct bad_case cases[] = {
		{ "{\"family\":\"inet\",\"port\":\"80\"}",
		    "address.port: expected an integer 0..65535" },
		{ "{\"family\":\"inet\",\"port\":-1}",
		    "address.port: expected an integer 0..65535" },
		{ "{\"family\":\"inet\",\"port\":65536}",
		    "address.port: expected an integer 0..65535" },
		{ "{\"family\":\"inet\",\"port\":80.0}",
		    "address.port: expected an integer 0..65535" },
		{ "{\"family\":\"inet\",\"port\":null}",
		    "address.port: expected an integer 0..65535" },
		{ "{\"family\":\"inet\",\"host\":1}",
		    "address.host: expected a string" },
		{ "{\"family\":\"inet\",\"host\":null}",
		    "address.host: expected a string" },
		{ "{\"family\":\"inet\",\"host\":\"1.2.3\"}",
		    "address.host: expected a numeric IPv4 address" },
		{ "{\"family\":\"inet\",\"host\":\"256.1.1.1\"}",
		    "address.host: expected a numeric IPv4 address" },
		{ "{\"family\":\"inet\",\"host\":\"198.18.0.1:80\"}",
		    "address.host: expected a numeric IPv4 address" },
		{ "{\"family\":\"inet\",\"host\":\"localhost\"}",
		    "address.host: expected a numeric IPv4 address" },
		{ "{\"family\":\"inet\",\"host\":\"\"}",
		    "address.host: expected a numeric IPv4 address" },
		{ "{\"family\":\"inet\",\"host\":\"::1\"}",
		    "address.host: expected a numeric IPv4 address" },
		{ "{\"family\":\"inet\",\"host\":\"1.2.3.4\\u0000\"}",
		    "address.host: contains a NUL byte" },
	};

	check_bad_cases(cases, nitems(cases));
}

static void
test_bad_inet6(void **state)
{
	static const struct bad_case cases[] = {
		{ "{\"family\":\"inet6\",\"host\":5}",
		    "address.host: expected a string" },
		{ "{\"family\":\"inet6\",\"host\":\"1.2.3.4\"}",
		    "address.host: expected a numeric IPv6 address" },
		{ "{\"family\":\"inet6\",\"host\":\"[::1]\"}",
		    "address.host: expected a numeric IPv6 address" },
		{ "{\"family\":\"inet6\",\"host\":\"2001:db8::g\"}",
		    "address.host: expected a numeric IPv6 address" },
		{ "{\"family\":\"inet6\",\"host\":\"localhost\"}",
		    "address.host: expected a numeric IPv6 address" },
		{ "{\"family\":\"inet6\",\"host\":\"%lo\"}",
		    "address.host: expected a numeric IPv6 address" },
		{ "{\"family\":\"inet6\",\"port\":\"1\"}",
		    "address.port: expected an integer 0..65535" },
		{ "{\"family\":\"inet6\",\"port\":65536}",
		    "address.port: expected an integer 0..65535" },
		{ "{\"family\":\"inet6\",\"flowinfo\":-1}",
		    "address.flowinfo: expected an integer 0..4294967295" },
		{ "{\"family\":\"inet6\",\"flowinfo\":4294967296}",
		    "address.flowinfo: expected an integer 0..4294967295" },
		{ "{\"family\":\"inet6\",\"flowinfo\":\"0\"}",
		    "address.flowinfo: expected an integer 0..4294967295" },
		{ "{\"family\":\"inet6\",\"scope_id\":true}",
		    "address.scope_id: expected an integer 0..4294967295" },
		{ "{\"family\":\"inet6\",\"scope_id\":-1}",
		    "address.scope_id: expected an integer 0..4294967295" },
		{ "{\"family\":\"inet6\",\"scope_id\":4294967296}",
		    "address.scope_id: expected an integer 0..4294967295" },
		{ "{\"family\":\"inet6\",\"host\":\"fe80::1%lo\","
		    "\"scope_id\":1}",
		    "address.scope_id: conflicts with the %scope in host" },
	};

	check_bad_cases(cases, nitems(cases));
}

static void
test_bad_unix(void **state)
{
	static const struct bad_case cases[] = {
		{ "{\"family\":\"unix\"}", "address: give exactly one of" },
		{ "{\"family\":\"unix\",\"path\":\"/a\",\"abstract\":\"b\"}",
		    "address: give exactly one of" },
		{ "{\"family\":\"unix\",\"path\":\"/a\",\"unnamed\":true}",
		    "address: give exactly one of" },
		{ "{\"family\":\"unix\",\"path\":\"/a\",\"path_hex\":\"2f\"}",
		    "address: give exactly one of" },
		{ "{\"family\":\"unix\",\"path\":5}",
		    "address.path: expected a string" },
		{ "{\"family\":\"unix\",\"abstract\":[]}",
		    "address.abstract: expected a string" },
		{ "{\"family\":\"unix\",\"path\":\"\"}",
		    "address.path: empty" },
		{ "{\"family\":\"unix\",\"path\":\"/a\\u0000b\"}",
		    "address.path: contains a NUL byte" },
		{ "{\"family\":\"unix\",\"abstract\":\"a\\u0000b\"}",
		    "address.abstract: contains a NUL byte" },
		{ "{\"family\":\"unix\",\"unnamed\":false}",
		    "address.unnamed: expected true" },
		{ "{\"family\":\"unix\",\"unnamed\":1}",
		    "address.unnamed: expected true" },
		{ "{\"family\":\"unix\",\"path_hex\":\"zz\"}",
		    "address.path_hex: expected at most 107 bytes as hex" },
		{ "{\"family\":\"unix\",\"path_hex\":\"2f6\"}",
		    "address.path_hex: expected at most 107 bytes as hex" },
		{ "{\"family\":\"unix\",\"path_hex\":7}",
		    "address.path_hex: expected a string" },
		{ "{\"family\":\"unix\",\"path_hex\":\"\"}",
		    "address.path_hex: empty" },
		{ "{\"family\":\"unix\",\"path_hex\":\"2f0061\"}",
		    "address.path_hex: contains a NUL byte" },
	};
	char *path = repeat("/", 'a', 107), *name = repeat("", 'b', 108);
	char *hex = repeat("", 'f', 216), *text = repeat("@", 'b', 108);

	check_bad_cases(cases, nitems(cases));
	check_refused_json(json_pack("{s:s, s:s}", "family", "unix", "path",
	    path), "address", RS_E_BAD_REQUEST, 0, "address.path: too long");
	check_refused_json(json_pack("{s:s, s:s}", "family", "unix",
	    "abstract", name), "address", RS_E_BAD_REQUEST, 0,
	    "address.abstract: too long");
	check_refused_json(json_pack("{s:s, s:s}", "family", "unix",
	    "abstract_hex", hex), "address", RS_E_BAD_REQUEST, 0,
	    "address.abstract_hex: expected at most 107 bytes");
	check_refused_text(path, RS_E_BAD_REQUEST, 0,
	    "address.path: too long");
	check_refused_text(text, RS_E_BAD_REQUEST, 0,
	    "address.abstract: too long");
	test_free(path);
	test_free(name);
	test_free(hex);
	test_free(text);
}

/* A response object (with "text", and both ifname and ifindex) decodes
 * back to the same sockaddr. */
static void
test_response_roundtrip(void **state)
{
	static const char *texts[] = { "198.18.0.1:80", "[2001:db8::1]:443",
	    "/run/x.sock", "@abstract", "packet:lo/0x0003" };
	struct rs_addr a, b;
	struct rs_error e;
	json_t *j;
	size_t i;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		assert_int_equal(rs_addr_from_text(texts[i], &a, &e, "a"), 0);
		j = rs_addr_to_json((struct sockaddr *)&a.ss, a.len);
		assert_non_null(j);
		if (rs_addr_from_json(j, "a", &b, &e) == -1)
			fail_msg("%s: %s", texts[i], e.message);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(&a.ss, &b.ss, a.len);
		json_decref(j);
	}
}

/* A response's long hardware address (ip6tnl: 16 bytes) reads back whole,
 * the sockaddr as long as the kernel's; a request's may not exceed 8. */
static void
test_response_long_hwaddr(void **state)
{
	struct {
		struct sockaddr_ll	sll;
		uint8_t			more[8];
	} big = { .sll = { .sll_family = AF_PACKET, .sll_ifindex = 1,
	    .sll_hatype = 769, .sll_halen = 16 } };
	socklen_t len = offsetof(struct sockaddr_ll, sll_addr) + 16;
	struct rs_addr b;
	struct rs_error e;
	json_t *j;

	memset(big.sll.sll_addr, 0x20, sizeof big.sll.sll_addr);
	memset(big.more, 0x01, sizeof big.more);
	assert_non_null(j = rs_addr_to_json((struct sockaddr *)&big, len));
	json_object_del(j, "ifname");
	assert_int_equal(rs_addr_from_json(j, "a", &b, &e), -1);
	assert_string_equal(e.message,
	    "a.addr: expected at most 8 hex bytes as \"aa:bb:..\"");
	if (rs_addr_from_response(j, "a", &b, &e) == -1)
		fail_msg("%s", e.message);
	assert_int_equal(b.len, len);
	assert_memory_equal(&b.ss, &big, len);
	json_decref(j);
}

static void
test_bad_packet(void **state)
{
	static const struct bad_case cases[] = {
		{ "{\"family\":\"packet\",\"ifname\":\"lo\",\"ifindex\":2}",
		    "address: ifname and ifindex name different interfaces" },
		{ "{\"family\":\"packet\",\"ifname\":1}",
		    "address.ifname: expected a string" },
		{ "{\"family\":\"packet\",\"ifindex\":\"1\"}",
		    "address.ifindex: expected an integer 0..2147483647" },
		{ "{\"family\":\"packet\",\"ifindex\":-1}",
		    "address.ifindex: expected an integer 0..2147483647" },
		{ "{\"family\":\"packet\",\"ifindex\":2147483648}",
		    "address.ifindex: expected an integer 0..2147483647" },
		{ "{\"family\":\"packet\",\"protocol\":\"ETH_P_BOGUS\"}",
		    "address.protocol: " },
		{ "{\"family\":\"packet\",\"protocol\":\"SOCK_RAW\"}",
		    "address.protocol: " },
		{ "{\"family\":\"packet\",\"protocol\":65536}",
		    "address.protocol: out of range 0..65535" },
		{ "{\"family\":\"packet\",\"protocol\":-1}",
		    "address.protocol: out of range 0..65535" },
		{ "{\"family\":\"packet\",\"protocol\":[]}",
		    "address.protocol: " },
		{ "{\"family\":\"packet\",\"protocol\":null}",
		    "address.protocol: " },
		{ "{\"family\":\"packet\",\"hatype\":65536}",
		    "address.hatype: out of range 0..65535" },
		{ "{\"family\":\"packet\",\"hatype\":\"bogus\"}",
		    "address.hatype: " },
		{ "{\"family\":\"packet\",\"pkttype\":256}",
		    "address.pkttype: out of range 0..255" },
		{ "{\"family\":\"packet\",\"pkttype\":\"bogus\"}",
		    "address.pkttype: " },
		{ "{\"family\":\"packet\",\"pkttype\":true}",
		    "address.pkttype: " },
		{ "{\"family\":\"packet\",\"addr\":5}",
		    "address.addr: expected a string" },
		{ "{\"family\":\"packet\",\"addr\":"
		    "\"aa:bb:cc:dd:ee:ff:00:11:22\"}",
		    "address.addr: expected at most 8 hex bytes" },
		{ "{\"family\":\"packet\",\"addr\":\"aa:b\"}",
		    "address.addr: expected at most 8 hex bytes" },
		{ "{\"family\":\"packet\",\"addr\":\"aabb\"}",
		    "address.addr: expected at most 8 hex bytes" },
		{ "{\"family\":\"packet\",\"addr\":\"aa:\"}",
		    "address.addr: expected at most 8 hex bytes" },
		{ "{\"family\":\"packet\",\"addr\":\"aa::bb\"}",
		    "address.addr: expected at most 8 hex bytes" },
		{ "{\"family\":\"packet\",\"addr\":\"gg\"}",
		    "address.addr: expected at most 8 hex bytes" },
	};

	check_bad_cases(cases, nitems(cases));
}

static void
test_no_such_interface(void **state)
{
	static const struct bad_case cases[] = {
		{ "{\"family\":\"packet\",\"ifname\":\"nosuchif0\"}",
		    "address.ifname: no such interface 'nosuchif0'" },
		{ "{\"family\":\"packet\",\"ifname\":\"\"}",
		    "address.ifname: no such interface ''" },
		{ "{\"family\":\"packet\",\"ifname\":"
		    "\"an-interface-name-far-too-long\"}",
		    "address.ifname: no such interface (name longer" },
		{ "{\"family\":\"inet6\",\"host\":\"fe80::1%nosuchif0\"}",
		    "address.host: no such interface 'nosuchif0'" },
		{ "{\"family\":\"inet6\",\"host\":\"fe80::1\",\"scope_id\":"
		    "\"nosuchif0\"}",
		    "address.scope_id: no such interface 'nosuchif0'" },
		{ "\"packet:nosuchif0/0x0003\"",
		    "address: no such interface 'nosuchif0'" },
		{ "\"packet:an-interface-name-far-too-long\"",
		    "address: no such interface (name longer" },
		{ "\"[fe80::1%nosuchif0]:1\"",
		    "address: no such interface 'nosuchif0'" },
	};
	size_t i;

	for (i = 0; i < nitems(cases); i++)
		check_refused_json(load(cases[i].in), "address", RS_E_ERRNO,
		    ENODEV, cases[i].prefix);
}

static void
test_bad_text(void **state)
{
	static const struct bad_case cases[] = {
		{ "", "address: unrecognized address" },
		{ "localhost", "address: unrecognized address" },
		{ "localhost:80", "address: unrecognized address" },
		{ "x.sock", "address: unrecognized address" },
		{ "1.2.3.4.5", "address: unrecognized address" },
		{ "1.2.3.4:", "address: expected a port 0..65535" },
		{ "1.2.3.4:65536", "address: expected a port 0..65535" },
		{ "1.2.3.4:-1", "address: expected a port 0..65535" },
		{ "1.2.3.4:8x", "address: expected a port 0..65535" },
		{ "1.2.3.4:99999999999999999999",
		    "address: expected a port 0..65535" },
		{ "[::1", "address: unrecognized address" },
		{ "[::1]x", "address: unrecognized address" },
		{ "[::1]:", "address: expected a port 0..65535" },
		{ "[::1]:65536", "address: expected a port 0..65535" },
		{ "[1.2.3.4]:1", "address: expected a numeric IPv6 address" },
		{ "2001:db8::g", "address: expected a numeric IPv6 address" },
		{ "1.2.3.4:80:90", "address: expected a numeric IPv6 address" },
		{ "packet:", "address: packet address without an interface" },
		{ "packet:/0x0003", "address: packet address without an" },
		{ "packet:lo/bogus", "address: bad protocol" },
		{ "packet:lo/", "address: bad protocol" },
		{ "packet:lo/0x10000", "address: bad protocol" },
		{ "packet:lo/-1", "address: bad protocol" },
		{ "packet:#x", "address: expected an interface index" },
		{ "packet:#", "address: expected an interface index" },
		{ "packet:#2147483648",
		    "address: expected an interface index" },
		{ "/a\\q", "address: bad escape" },
		{ "/a\\x4", "address: bad escape" },
		{ "/a\\", "address: bad escape" },
		{ "/a\\x00b", "address.path: contains a NUL byte" },
	};
	size_t i;

	for (i = 0; i < nitems(cases); i++)
		check_refused_text(cases[i].in, RS_E_BAD_REQUEST, 0,
		    cases[i].prefix);
	check_refused_text(NULL, RS_E_BAD_REQUEST, 0,
	    "address: unrecognized address");
}

/*
 * Encode every prefix of a: NULL or a text that agrees with the object.
 * Returns how many lengths gave a result.
 */
static size_t
encode_prefixes(const void *sa, size_t size)
{
	char buf[512], *t;
	size_t len, ok = 0;
	json_t *o;
	void *p;

	for (len = 0; len <= size; len++) {
		assert_non_null(p = malloc(len > 0 ? len : 1));
		memcpy(p, sa, len);
		o = rs_addr_to_json(p, (socklen_t)len);
		t = rs_addr_text(p, (socklen_t)len, buf, sizeof buf);
		free(p);
		assert_true((o == NULL) == (t == NULL));
		if (o == NULL)
			continue;
		assert_string_equal(json_string_value(json_object_get(o,
		    "text")), t);
		json_decref(o);
		ok++;
	}
	return ok;
}

static json_t *
encode_raw(const void *sa, size_t len)
{
	void *p;
	json_t *o;

	assert_non_null(p = malloc(len));
	memcpy(p, sa, len);
	o = rs_addr_to_json(p, (socklen_t)len);
	free(p);
	return o;
}

static void
test_truncated(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6 };

	/* inet and inet6 need the whole struct. */
	assert_int_equal(encode_prefixes(&sin, sizeof sin), 1);
	assert_int_equal(encode_prefixes(&sin6, sizeof sin6), 1);
	/* unix: unnamed at 2 bytes, an abstract name from 3 on. */
	assert_int_equal(encode_prefixes(&sun, sizeof sun), sizeof sun - 1);
	memcpy(sun.sun_path, "/run/x.sock", 11);
	assert_int_equal(encode_prefixes(&sun, sizeof sun), sizeof sun - 1);
	/* packet: from the start of sll_addr. */
	assert_int_equal(encode_prefixes(&sll, sizeof sll),
	    sizeof sll - offsetof(struct sockaddr_ll, sll_addr) + 1);
}

static void
test_truncated_values(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct {
		struct sockaddr_ll	sll;
		uint8_t			more[24];
	} big = { .sll = { .sll_family = AF_PACKET, .sll_halen = 20 } };
	char want[128];
	json_t *o;

	/* A path filling sun_path, no NUL: all 108 bytes, no more. */
	memset(sun.sun_path, 'a', sizeof sun.sun_path);
	assert_non_null(o = encode_raw(&sun, sizeof sun));
	assert_int_equal(json_string_length(json_object_get(o, "path")), 108);
	json_decref(o);
	/* Cut inside the path. */
	assert_non_null(o = encode_raw(&sun, offsetof(struct sockaddr_un,
	    sun_path) + 3));
	assert_string_equal(json_string_value(json_object_get(o, "path")),
	    "aaa");
	assert_string_equal(json_string_value(json_object_get(o, "text")),
	    "./aaa");
	json_decref(o);
	/* Abstract to the end of the struct: 107 bytes, zeros included. */
	memset(sun.sun_path, 0, sizeof sun.sun_path);
	sun.sun_path[1] = 'x';
	assert_non_null(o = encode_raw(&sun, sizeof sun));
	assert_int_equal(json_string_length(json_object_get(o,
	    "abstract_hex")), 214);
	json_decref(o);
	/* sll_halen beyond len: cut at len. */
	memset(big.sll.sll_addr, 0x11, sizeof big.sll.sll_addr);
	memset(big.more, 0x22, sizeof big.more);
	assert_non_null(o = encode_raw(&big, offsetof(struct sockaddr_ll,
	    sll_addr) + 3));
	assert_string_equal(json_string_value(json_object_get(o, "addr")),
	    "11:11:11");
	json_decref(o);
	/* A long hardware address the length covers (IPoIB: 20 bytes). */
	assert_non_null(o = encode_raw(&big, offsetof(struct sockaddr_ll,
	    sll_addr) + 20));
	strcpy(want, "11:11:11:11:11:11:11:11:22:22:22:22:22:22:22:22:22:22:"
	    "22:22");
	assert_string_equal(json_string_value(json_object_get(o, "addr")),
	    want);
	json_decref(o);
}

static void
test_unsupported(void **state)
{
	struct sockaddr_storage ss = { .ss_family = AF_NETLINK };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char buf[512];

	assert_null(rs_addr_to_json((struct sockaddr *)&ss, sizeof ss));
	assert_null(rs_addr_text((struct sockaddr *)&ss, sizeof ss, buf,
	    sizeof buf));
	assert_null(rs_addr_to_json(NULL, sizeof ss));
	assert_null(rs_addr_text(NULL, 0, buf, sizeof buf));
	/* The text must fit with its NUL. */
	sin.sin_addr.s_addr = htonl(0xc6120001);
	sin.sin_port = htons(80);
	assert_null(rs_addr_text((struct sockaddr *)&sin, sizeof sin, buf,
	    strlen("198.18.0.1:80")));
	assert_non_null(rs_addr_text((struct sockaddr *)&sin, sizeof sin, buf,
	    strlen("198.18.0.1:80") + 1));
	assert_string_equal(buf, "198.18.0.1:80");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inet),
		cmocka_unit_test(test_inet6),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_packet),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_bad_shape),
		cmocka_unit_test(test_bad_inet),
		cmocka_unit_test(test_bad_inet6),
		cmocka_unit_test(test_bad_unix),
		cmocka_unit_test(test_bad_packet),
		cmocka_unit_test(test_response_roundtrip),
		cmocka_unit_test(test_response_long_hwaddr),
		cmocka_unit_test(test_no_such_interface),
		cmocka_unit_test(test_bad_text),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_truncated_values),
		cmocka_unit_test(test_unsupported),
	};

	json_set_alloc_funcs(json_test_malloc, json_test_free);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
