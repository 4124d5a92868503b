/*
 * Unit tests for proto/sockopt.c: the table against the seed's rules,
 * level and option look-ups for every entry, every value type both ways
 * (accepted forms, refused forms, truncated getsockopt answers handed over
 * in heap buffers exactly as long as claimed, so ASan sees any over-read),
 * and a round trip through real sockets for every option a test can set
 * without privileges.  Jansson allocates through cmocka, so a leaked
 * object fails its test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/if_packet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "bytes.h"
#include "sockopt.h"
#include "testutil.h"


struct bad_case {
	const char	*option;
	const char	*in;
	const char	*prefix;	/* of the error message */
};

static const struct rs_sockopt *
entry(const char *name)
{
	size_t i;

	for (i = 0; i < rs_sockopt_count; i++) {
		if (strcmp(rs_sockopt_table[i].name, name) == 0)
			return &rs_sockopt_table[i];
	}
	fail_msg("no table entry %s", name);
	return NULL;
}

static void
check_error(const struct rs_error *e, enum rs_err_kind kind, int num,
    const char *prefix, const char *what)
{
	if (e->kind != kind || e->num != num ||
	    strncmp(e->message, prefix, strlen(prefix)) != 0)
		fail_msg("%s: got kind %d num %d \"%s\", want %d %d \"%s...\"",
		    what, e->kind, e->num, e->message, kind, num, prefix);
}

/* Encoding v (stolen) for option fails with kind, num, message prefix. */
static void
check_refused_json(const char *option, json_t *v, enum rs_err_kind kind,
    int num, const char *prefix)
{
	struct rs_error e = { 0 };
	struct rs_optval out;
	char *dump = json_dumps(v, JSON_ENCODE_ANY);

	if (rs_sockopt_encode(entry(option), v, &out, &e) != -1)
		fail_msg("%s accepted %s", option, dump);
	check_error(&e, kind, num, prefix, dump);
	test_free(dump);
	json_decref(v);
}

static void
check_bad_cases(const struct bad_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		/* Every refused value names the value. */
		assert_int_equal(strncmp(c[i].prefix, "value", 5), 0);
		check_refused_json(c[i].option, load(c[i].in),
		    RS_E_BAD_REQUEST, 0, c[i].prefix);
	}
}

/* Encode v (stolen) for option; it must be accepted. */
static void
encode_json(const char *option, json_t *v, struct rs_optval *out)
{
	struct rs_error e = { 0 };

	if (rs_sockopt_encode(entry(option), v, out, &e) != 0)
		fail_msg("%s refused: %s", option, e.message);
	json_decref(v);
}

static void
encode(const char *option, const char *in, struct rs_optval *out)
{
	encode_json(option, load(in), out);
}

static void
check_int(const char *in, int want)
{
	struct rs_optval out;
	int got;

	encode("SO_RCVBUF", in, &out);
	assert_int_equal(out.len, sizeof got);
	memcpy(&got, out.u.raw, sizeof got);
	assert_int_equal(got, want);
}

/* Decode from a heap copy exactly len long: ASan sees any over-read. */
static json_t *
decode(const struct rs_sockopt *o, const void *buf, socklen_t len)
{
	void *p;
	json_t *v;

	/* malloc(0) may answer NULL; decode wants a buffer. */
	assert_non_null(p = malloc(len > 0 ? len : 1));
	memcpy(p, buf, len);
	v = rs_sockopt_decode(o, p, len);
	free(p);
	return v;
}

static void
check_decode(const char *option, const void *buf, socklen_t len,
    const char *want)
{
	json_t *got, *w = load(want);

	if ((got = decode(entry(option), buf, len)) == NULL)
		fail_msg("%s: no value from %u bytes", option, (unsigned)len);
	assert_json_equal(got, w);
	json_decref(got);
	json_decref(w);
}

/*
 * The table.
 */

static const char *const get_only[] = {
	"SO_ACCEPTCONN", "SO_DOMAIN", "SO_ERROR", "IP_MTU",
	/* Linux cannot set these (SOCKOPTS.md). */
	"SO_PEERCRED", "SO_PROTOCOL", "SO_TYPE", "PACKET_STATISTICS",
};

static const char *const set_only[] = {
	"IP_ADD_MEMBERSHIP", "IP_DROP_MEMBERSHIP", "IP_ADD_SOURCE_MEMBERSHIP",
	"IP_DROP_SOURCE_MEMBERSHIP", "IP_BLOCK_SOURCE", "IP_UNBLOCK_SOURCE",
	"IP_MULTICAST_IF", "IPV6_ADDRFORM", "IPV6_ADD_MEMBERSHIP",
	"IPV6_DROP_MEMBERSHIP", "PACKET_ADD_MEMBERSHIP",
	"PACKET_DROP_MEMBERSHIP",
};

static bool
listed(const char *name, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(list[i], name) == 0)
			return true;
	}
	return false;
}

static void
test_table(void **state)
{
	const struct rs_sockopt *o, *p;
	size_t i, j;

	assert_true(rs_sockopt_count >= 100);
	for (i = 0; i < rs_sockopt_count; i++) {
		o = &rs_sockopt_table[i];
		assert_int_equal(o->get == RS_OT_NONE,
		    listed(o->name, set_only, nitems(set_only)));
		assert_int_equal(o->set == RS_OT_NONE,
		    listed(o->name, get_only, nitems(get_only)));
		assert_int_equal(rs_sockopt_get_size(o) == 0,
		    o->get == RS_OT_NONE);
		assert_true(rs_sockopt_get_size(o) <= sizeof(((struct
		    rs_optval *)0)->u.raw));
		for (j = 0; j < i; j++) {
			p = &rs_sockopt_table[j];
			if (strcmp(o->name, p->name) == 0 ||
			    (o->level == p->level && o->option == p->option))
				fail_msg("%s and %s collide", p->name, o->name);
		}
	}
	assert_int_equal(entry("SO_USELOOPBACK")->option, -1);
	assert_true(entry("SO_USELOOPBACK")->flags & RS_OF_UNSUPPORTED);
	assert_true(entry("SO_ERROR")->flags & RS_OF_NOT_IN_ALL);
	assert_true(entry("PACKET_STATISTICS")->flags & RS_OF_NOT_IN_ALL);
	assert_true(entry("SO_BINDTODEVICE")->flags & RS_OF_INTERFACE);
	assert_true(entry("PACKET_ADD_MEMBERSHIP")->flags & RS_OF_INTERFACE);
	assert_true(entry("SO_MARK")->flags & RS_OF_PRIVILEGED);
	assert_true(entry("IP_TRANSPARENT")->flags & RS_OF_PRIVILEGED);
	assert_true(entry("IP_TRANSPARENT")->flags & RS_OF_SPOOF);
	assert_false(entry("IP_HDRINCL")->flags & RS_OF_SPOOF);
	assert_true(entry("IP_ROUTER_ALERT")->flags & RS_OF_PRIVILEGED);
	assert_int_equal(entry("IP_ROUTER_ALERT")->free_max, 0);
	assert_int_equal(entry("IPV6_ROUTER_ALERT")->free_max, -1);
	assert_false(entry("IP_TTL")->flags & RS_OF_PRIVILEGED);
	assert_int_equal(entry("SO_OOBINLINE")->option, SO_OOBINLINE);
	assert_int_equal(entry("IP_PKTINFO")->set, RS_OT_INT);
	assert_int_equal(entry("IP_OPTIONS")->set, RS_OT_BYTES);
	assert_int_equal(entry("SO_PEERCRED")->get, RS_OT_UCRED);
	assert_int_equal(entry("TCP_CONGESTION")->get, RS_OT_STRING);
	assert_int_equal(entry("IP_MULTICAST_IF")->set, RS_OT_MREQ);
}

/*
 * Levels and options by name.
 */

static const struct level_names {
	int		 level;
	const char	*names[6];
} level_names[] = {
	{ SOL_SOCKET, { "SOL_SOCKET", "socket", "sol_socket", "1", "SOCKET" } },
	{ IPPROTO_IP, { "IPPROTO_IP", "ip", "SOL_IP", "ipproto_ip", "0" } },
	{ IPPROTO_IPV6, { "IPPROTO_IPV6", "ipv6", "SOL_IPV6", "IPv6" } },
	{ IPPROTO_TCP, { "IPPROTO_TCP", "tcp", "SOL_TCP", "0x6" } },
	{ SOL_PACKET, { "SOL_PACKET", "packet", "Packet" } },
};

static int
level_of(json_t *v, struct rs_error *e)
{
	int level = -12345;

	if (rs_sockopt_level(v, &level, e) != 0)
		level = -1;
	json_decref(v);
	return level;
}

static void
test_level(void **state)
{
	static const char *const unknown[] = {
		"\"udp\"", "\"SOL_UDP\"", "\"icmp\"", "\"IPPROTO_ICMP\"",
		"\"hopopts\"", "\"raw\"", "\"SOL_RAW\"", "\"IPPROTO_RAW\"",
		"\"icmpv6\"", "\"\"", "\"ip\\u0000x\"", "\"nosuch\"", "17",
		"255", "-1", "1000", "4294967297", "\"SO_DEBUG\"",
	};
	const struct level_names *l;
	struct rs_error e = { 0 };
	size_t i, j;

	for (i = 0; i < nitems(level_names); i++) {
		l = &level_names[i];
		assert_int_equal(level_of(json_integer(l->level), &e),
		    l->level);
		for (j = 0; j < nitems(l->names) && l->names[j] != NULL; j++)
			assert_int_equal(level_of(json_string(l->names[j]), &e),
			    l->level);
	}
	for (i = 0; i < nitems(unknown); i++) {
		assert_int_equal(level_of(load(unknown[i]), &e), -1);
		check_error(&e, RS_E_BAD_REQUEST, 0,
		    "level: unknown socket level", unknown[i]);
	}
	assert_int_equal(level_of(json_true(), &e), -1);
	check_error(&e, RS_E_BAD_REQUEST, 0, "level: expected", "true");
	assert_int_equal(level_of(json_null(), &e), -1);
	check_error(&e, RS_E_BAD_REQUEST, 0, "level: expected", "null");
}

static void
check_lookup(const struct rs_sockopt *want, json_t *option)
{
	struct rs_error e = { 0 };
	const struct rs_sockopt *got;
	char *dump = json_dumps(option, JSON_ENCODE_ANY);

	if ((got = rs_sockopt_lookup(want->level, option, &e)) != want)
		fail_msg("%s: got %s (%s)", dump, got ? got->name : "none",
		    e.message);
	test_free(dump);
	json_decref(option);
}

static void
lower(const char *s, char *buf)
{
	while ((*buf++ = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s)))
		s++;
}

static void
test_lookup(void **state)
{
	const struct rs_sockopt *o;
	char buf[64];
	size_t i;

	for (i = 0; i < rs_sockopt_count; i++) {
		o = &rs_sockopt_table[i];
		check_lookup(o, json_string(o->name));
		lower(o->name, buf);
		check_lookup(o, json_string(buf));
		/* Every prefix (SO_, IP_, IPV6_, TCP_, PACKET_) ends at '_'. */
		check_lookup(o, json_string(strchr(o->name, '_') + 1));
		check_lookup(o, json_string(strchr(buf, '_') + 1));
		if (o->option < 0)
			continue;
		check_lookup(o, json_integer(o->option));
		snprintf(buf, sizeof buf, "%d", o->option);
		check_lookup(o, json_string(buf));
		assert_ptr_equal(rs_sockopt_find(o->level, o->option), o);
	}
	/* The seed's spelling. */
	check_lookup(entry("SO_OOBINLINE"), json_string("SO_OOBLINE"));
	check_lookup(entry("SO_OOBINLINE"), json_string("oobline"));
	assert_null(rs_sockopt_find(SOL_SOCKET, -1));
}

static void
check_unknown_option(int level, json_t *option, const char *prefix)
{
	struct rs_error e = { 0 };
	char *dump = json_dumps(option, JSON_ENCODE_ANY);

	if (rs_sockopt_lookup(level, option, &e) != NULL)
		fail_msg("%s found", dump);
	check_error(&e, RS_E_BAD_REQUEST, 0, prefix, dump);
	test_free(dump);
	json_decref(option);
}

static void
test_lookup_unknown(void **state)
{
	static const char so[] =
	    "option: unknown socket option at level SOL_SOCKET";

	/* A name of another level. */
	check_unknown_option(SOL_SOCKET, json_string("IP_TTL"), so);
	check_unknown_option(IPPROTO_IP, json_string("SO_RCVBUF"),
	    "option: unknown socket option at level IPPROTO_IP");
	check_unknown_option(IPPROTO_TCP, json_string("IPV6_V6ONLY"),
	    "option: unknown socket option at level IPPROTO_TCP");
	check_unknown_option(SOL_PACKET, json_string("ttl"),
	    "option: unknown socket option at level SOL_PACKET");
	/* A constant the table does not cover. */
	check_unknown_option(SOL_SOCKET, json_string("SO_ATTACH_FILTER"), so);
	check_unknown_option(SOL_SOCKET, json_string("nosuch"), so);
	check_unknown_option(SOL_SOCKET, json_string(""), so);
	check_unknown_option(SOL_SOCKET, json_stringn("SO_DEBUG\0x", 10), so);
	check_unknown_option(SOL_SOCKET, json_integer(9999), so);
	check_unknown_option(SOL_SOCKET, json_integer(-1), so);
	check_unknown_option(SOL_SOCKET, json_string("-1"), so);
	/* Would be SO_DEBUG (1) if cut to an int. */
	check_unknown_option(SOL_SOCKET, json_integer(0x100000001LL), so);
	check_unknown_option(SOL_SOCKET, json_true(),
	    "option: expected an integer or an option name");
	check_unknown_option(17, json_string("SO_DEBUG"),
	    "level: unknown socket level");
}

/*
 * No get / no set.
 */

static void
test_get_only(void **state)
{
	static const char *const values[] = { "1", "true", "\"x\"", "{}",
	    "null" };
	const struct rs_sockopt *o;
	struct rs_error e = { 0 };
	struct rs_optval out;
	char want[128];
	size_t i, j;

	for (i = 0; i < nitems(get_only); i++) {
		o = entry(get_only[i]);
		assert_int_equal(rs_sockopt_check_get(o, &e), 0);
		snprintf(want, sizeof want, "option: no set operation for this "
		    "option (%s is get-only)", o->name);
		for (j = 0; j < nitems(values); j++) {
			check_refused_json(o->name, load(values[j]),
			    RS_E_BAD_REQUEST, 0, want);
		}
		/* The same with no value at all. */
		assert_int_equal(rs_sockopt_encode(o, NULL, &out, &e), -1);
		assert_string_equal(e.message, want);
	}
}

static void
test_set_only(void **state)
{
	const struct rs_sockopt *o;
	struct rs_error e = { 0 };
	char want[128], buf[64] = { 0 };
	size_t i;

	for (i = 0; i < nitems(set_only); i++) {
		o = entry(set_only[i]);
		assert_int_equal(o->get, RS_OT_NONE);
		assert_int_equal(rs_sockopt_get_size(o), 0);
		assert_null(rs_sockopt_decode(o, buf, sizeof buf));
		assert_int_equal(rs_sockopt_check_get(o, &e), -1);
		snprintf(want, sizeof want, "option: no get operation for this "
		    "option (%s is set-only)", o->name);
		check_error(&e, RS_E_BAD_REQUEST, 0, want, o->name);
	}
}

/* The protocol's three option errors are told apart by their messages. */
static void
test_three_errors(void **state)
{
	struct rs_error e1 = { 0 }, e2 = { 0 }, e3 = { 0 };
	struct rs_optval out;
	json_t *v;
	int level;

	v = json_string("SOL_NOSUCH");
	assert_int_equal(rs_sockopt_level(v, &level, &e1), -1);
	json_decref(v);
	v = json_string("SO_NOSUCH");
	assert_null(rs_sockopt_lookup(SOL_SOCKET, v, &e2));
	json_decref(v);
	v = json_integer(1);
	assert_int_equal(rs_sockopt_encode(entry("SO_ERROR"), v, &out, &e3),
	    -1);
	json_decref(v);
	check_error(&e1, RS_E_BAD_REQUEST, 0, "level: unknown socket level",
	    "level");
	check_error(&e2, RS_E_BAD_REQUEST, 0, "option: unknown socket option",
	    "option");
	check_error(&e3, RS_E_BAD_REQUEST, 0,
	    "option: no set operation for this option", "set");
}

/*
 * Encoding, type by type.
 */

static void
test_encode_int(void **state)
{
	static const struct bad_case bad[] = {
		{ "SO_RCVBUF", "2147483648", "value: out of range" },
		{ "SO_RCVBUF", "-2147483649", "value: out of range" },
		{ "SO_RCVBUF", "1.5", "value: expected an integer" },
		{ "SO_RCVBUF", "\"1\"", "value: expected an integer" },
		{ "SO_RCVBUF", "null", "value: expected an integer" },
		{ "SO_RCVBUF", "[1]", "value: expected an integer" },
		{ "SO_RCVBUF", "{}", "value: expected an integer" },
	};
	struct rs_error e = { 0 };
	struct rs_optval out;

	check_int("0", 0);
	check_int("1", 1);
	check_int("-1", -1);
	check_int("2147483647", 2147483647);
	check_int("-2147483648", -2147483647 - 1);
	check_int("true", 1);
	check_int("false", 0);
	check_bad_cases(bad, nitems(bad));
	/* Value-less: the daemon passes NULL when "value" is absent. */
	assert_int_equal(rs_sockopt_encode(entry("SO_RCVBUF"), NULL, &out, &e),
	    -1);
	check_error(&e, RS_E_BAD_REQUEST, 0, "value: missing", "NULL");
	/* An unsupported option still encodes: the daemon answers it. */
	encode("SO_USELOOPBACK", "1", &out);
	assert_int_equal(out.len, sizeof(int));
}

static void
test_encode_bytes(void **state)
{
	static const struct bad_case bad[] = {
		{ "IP_OPTIONS", "\"!!!\"", "value: expected base64" },
		{ "IP_OPTIONS", "5", "value: expected base64" },
		{ "IP_OPTIONS", "[]", "value: expected base64" },
	};
	uint8_t big[257];
	struct rs_optval out;

	encode("IP_OPTIONS", "\"AAEC\"", &out);
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.u.raw, "\0\1\2", 3);
	encode("IP_OPTIONS", "\"\"", &out);
	assert_int_equal(out.len, 0);
	memset(big, 0xa5, sizeof big);
	encode_json("IPV6_HOPOPTS", rs_base64_json(big, 256), &out);
	assert_int_equal(out.len, 256);
	assert_memory_equal(out.u.raw, big, 256);
	check_refused_json("IP_OPTIONS", rs_base64_json(big, 257),
	    RS_E_BAD_REQUEST, 0, "value: longer than 256 bytes");
	check_bad_cases(bad, nitems(bad));
}

static void
test_encode_string(void **state)
{
	static const struct bad_case bad[] = {
		{ "TCP_CONGESTION", "5", "value: expected a string" },
		{ "TCP_CONGESTION", "null", "value: expected a string" },
		{ "TCP_CONGESTION", "\"re\\u0000no\"",
		    "value: contains a NUL byte" },
		{ "SO_BINDTODEVICE", "\"0123456789abcdef\"",
		    "value: longer than 15 bytes" },
		{ "SO_BINDTODEVICE", "{\"ifname\":\"lo\"}",
		    "value: expected a string" },
	};
	char name[257];
	struct rs_optval out;

	encode("TCP_CONGESTION", "\"reno\"", &out);
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.u.raw, "reno", 4);
	assert_string_equal(out.ifname, "");
	memset(name, 'c', sizeof name);
	encode_json("TCP_CONGESTION", json_stringn(name, 255), &out);
	assert_int_equal(out.len, 255);
	check_refused_json("TCP_CONGESTION", json_stringn(name, 256),
	    RS_E_BAD_REQUEST, 0, "value: longer than 255 bytes");
	encode("SO_BINDTODEVICE", "\"veth0\"", &out);
	assert_int_equal(out.len, 5);
	assert_memory_equal(out.u.raw, "veth0", 5);
	assert_string_equal(out.ifname, "veth0");
	/* The name of no interface unbinds. */
	encode("SO_BINDTODEVICE", "\"\"", &out);
	assert_int_equal(out.len, 0);
	assert_string_equal(out.ifname, "");
	encode("SO_BINDTODEVICE", "\"0123456789abcde\"", &out);
	assert_string_equal(out.ifname, "0123456789abcde");
	check_bad_cases(bad, nitems(bad));
}

static void
check_linger(const char *in, int onoff, int secs)
{
	struct rs_optval out;
	struct linger l;

	encode("SO_LINGER", in, &out);
	assert_int_equal(out.len, sizeof l);
	memcpy(&l, out.u.raw, sizeof l);
	assert_int_equal(l.l_onoff, onoff);
	assert_int_equal(l.l_linger, secs);
}

static void
test_encode_linger(void **state)
{
	static const char shape[] =
	    "value: expected {\"onoff\",\"linger\"}, false or seconds";
	static const struct bad_case bad[] = {
		{ "SO_LINGER", "true", shape },
		{ "SO_LINGER", "1.5", shape },
		{ "SO_LINGER", "\"5\"", shape },
		{ "SO_LINGER", "null", shape },
		{ "SO_LINGER", "-1", "value: out of range 0..2147483647" },
		{ "SO_LINGER", "2147483648", "value: out of range" },
		{ "SO_LINGER", "{\"onoff\":2,\"linger\":1}",
		    "value.onoff: out of range 0..1" },
		{ "SO_LINGER", "{\"onoff\":true,\"linger\":1}",
		    "value.onoff: expected an integer" },
		{ "SO_LINGER", "{\"onoff\":1}", "value.linger: missing" },
		{ "SO_LINGER", "{\"linger\":1}", "value.onoff: missing" },
		{ "SO_LINGER", "{\"onoff\":1,\"linger\":-1}",
		    "value.linger: out of range" },
		{ "SO_LINGER", "{\"onoff\":1,\"linger\":1,\"x\":1}",
		    "value.x: unknown field" },
	};

	check_linger("{\"onoff\":1,\"linger\":5}", 1, 5);
	check_linger("{\"onoff\":0,\"linger\":0}", 0, 0);
	check_linger("false", 0, 0);
	check_linger("7", 1, 7);
	check_linger("0", 1, 0);
	check_bad_cases(bad, nitems(bad));
}

static void
check_tv(const char *in, long sec, long usec)
{
	struct rs_optval out;
	struct timeval tv;

	encode("SO_RCVTIMEO", in, &out);
	assert_int_equal(out.len, sizeof tv);
	memcpy(&tv, out.u.raw, sizeof tv);
	assert_int_equal(tv.tv_sec, sec);
	assert_int_equal(tv.tv_usec, usec);
}

static void
test_encode_tv(void **state)
{
	static const char shape[] =
	    "value: expected {\"sec\",\"usec\"} or seconds";
	static const struct bad_case bad[] = {
		{ "SO_SNDTIMEO", "-1", "value: out of range 0..2147483647" },
		{ "SO_SNDTIMEO", "-0.5", "value: out of range" },
		{ "SO_SNDTIMEO", "3e10", "value: out of range" },
		{ "SO_SNDTIMEO", "true", shape },
		{ "SO_SNDTIMEO", "\"1\"", shape },
		{ "SO_SNDTIMEO", "[1, 0]", shape },
		{ "SO_SNDTIMEO", "{\"sec\":1,\"usec\":1000000}",
		    "value.usec: out of range 0..999999" },
		{ "SO_SNDTIMEO", "{\"sec\":-1,\"usec\":0}",
		    "value.sec: out of range" },
		{ "SO_SNDTIMEO", "{\"sec\":1}", "value.usec: missing" },
		{ "SO_SNDTIMEO", "{\"sec\":1.5,\"usec\":0}",
		    "value.sec: expected an integer" },
		{ "SO_SNDTIMEO", "{\"sec\":1,\"usec\":0,\"nsec\":0}",
		    "value.nsec: unknown field" },
	};

	check_tv("{\"sec\":1,\"usec\":2}", 1, 2);
	check_tv("1.5", 1, 500000);
	check_tv("0", 0, 0);
	check_tv("2", 2, 0);
	check_tv("0.000001", 0, 1);
	check_tv("0.9999999", 1, 0);
	check_tv("2147483647", 2147483647, 0);
	check_bad_cases(bad, nitems(bad));
}

static void
test_encode_mreq(void **state)
{
	static const struct bad_case bad[] = {
		{ "IP_ADD_MEMBERSHIP", "\"239.1.1.1\"", "value: expected {" },
		{ "IP_ADD_MEMBERSHIP", "{\"multiaddr\":\"ff02::1\"}",
		    "value.multiaddr: expected an IPv4 address" },
		{ "IP_ADD_MEMBERSHIP", "{\"multiaddr\":\"239.1.1\"}",
		    "value.multiaddr: expected an IPv4 address" },
		{ "IP_ADD_MEMBERSHIP", "{\"multiaddr\":5}",
		    "value.multiaddr: expected an IPv4 address" },
		{ "IP_ADD_MEMBERSHIP",
		    "{\"multiaddr\":\"239.1.1.1\",\"interface\":\"x\"}",
		    "value.interface: expected an IPv4 address" },
		{ "IP_ADD_MEMBERSHIP",
		    "{\"multiaddr\":\"239.1.1.1\",\"ifindex\":-1}",
		    "value.ifindex: out of range 0..2147483647" },
		{ "IP_ADD_MEMBERSHIP",
		    "{\"multiaddr\":\"239.1.1.1\",\"ifindex\":\"lo\"}",
		    "value.ifindex: expected an integer" },
		{ "IP_ADD_MEMBERSHIP",
		    "{\"multiaddr\":\"239.1.1.1\",\"ifindex\":1,"
		    "\"ifname\":\"lo\"}",
		    "value: give ifindex or ifname, not both" },
		{ "IP_ADD_MEMBERSHIP",
		    "{\"multiaddr\":\"239.1.1.1\",\"ifname\":1}",
		    "value.ifname: expected an interface name" },
		{ "IP_ADD_MEMBERSHIP",
		    "{\"multiaddr\":\"239.1.1.1\",\"sourceaddr\":\"1.2.3.4\"}",
		    "value.sourceaddr: unknown field" },
	};
	struct rs_optval out;
	struct ip_mreqn m;

	encode("IP_ADD_MEMBERSHIP",
	    "{\"multiaddr\":\"239.1.1.1\",\"interface\":\"198.18.0.1\"}", &out);
	assert_int_equal(out.len, sizeof m);
	memcpy(&m, out.u.raw, sizeof m);
	assert_int_equal(m.imr_multiaddr.s_addr, htonl(0xef010101));
	assert_int_equal(m.imr_address.s_addr, htonl(0xc6120001));
	assert_int_equal(m.imr_ifindex, 0);
	assert_int_equal(out.ifindex, 0);

	encode("IP_DROP_MEMBERSHIP",
	    "{\"multiaddr\":\"239.1.1.1\",\"ifindex\":3}", &out);
	memcpy(&m, out.u.raw, sizeof m);
	assert_int_equal(m.imr_ifindex, 3);
	assert_int_equal(m.imr_address.s_addr, 0);
	assert_int_equal(out.ifindex, 3);

	/* lo is interface 1 in every network namespace. */
	encode("IP_MULTICAST_IF", "{\"ifname\":\"lo\"}", &out);
	memcpy(&m, out.u.raw, sizeof m);
	assert_int_equal(m.imr_ifindex, 1);
	assert_int_equal(m.imr_multiaddr.s_addr, 0);
	assert_int_equal(out.ifindex, 1);
	check_bad_cases(bad, nitems(bad));
	check_refused_json("IP_ADD_MEMBERSHIP",
	    load("{\"multiaddr\":\"239.1.1.1\",\"ifname\":\"nosuchif0\"}"),
	    RS_E_ERRNO, ENODEV, "value.ifname: no such interface 'nosuchif0'");
	check_refused_json("IP_ADD_MEMBERSHIP",
	    load("{\"multiaddr\":\"239.1.1.1\",\"ifname\":"
	    "\"an-interface-name-far-too-long\"}"),
	    RS_E_ERRNO, ENODEV, "value.ifname: no such interface (name longer");
}

static void
test_encode_mreq_src(void **state)
{
	static const struct bad_case bad[] = {
		{ "IP_BLOCK_SOURCE", "[]", "value: expected {" },
		{ "IP_BLOCK_SOURCE", "{\"multiaddr\":\"232.1.1.1\"}",
		    "value.sourceaddr: missing" },
		{ "IP_BLOCK_SOURCE", "{\"sourceaddr\":\"192.0.2.1\"}",
		    "value.multiaddr: missing" },
		{ "IP_BLOCK_SOURCE", "{\"multiaddr\":\"232.1.1.1\","
		    "\"sourceaddr\":\"2001:db8::1\"}",
		    "value.sourceaddr: expected an IPv4 address" },
		{ "IP_BLOCK_SOURCE", "{\"multiaddr\":\"232.1.1.1\","
		    "\"sourceaddr\":\"192.0.2.1\",\"ifindex\":1}",
		    "value.ifindex: unknown field" },
	};
	struct ip_mreq_source m;
	struct rs_optval out;

	encode("IP_ADD_SOURCE_MEMBERSHIP", "{\"multiaddr\":\"232.1.1.1\","
	    "\"interface\":\"198.18.0.1\",\"sourceaddr\":\"192.0.2.1\"}", &out);
	assert_int_equal(out.len, sizeof m);
	memcpy(&m, out.u.raw, sizeof m);
	assert_int_equal(m.imr_multiaddr.s_addr, htonl(0xe8010101));
	assert_int_equal(m.imr_interface.s_addr, htonl(0xc6120001));
	assert_int_equal(m.imr_sourceaddr.s_addr, htonl(0xc0000201));
	encode("IP_UNBLOCK_SOURCE", "{\"multiaddr\":\"232.1.1.1\","
	    "\"sourceaddr\":\"192.0.2.1\"}", &out);
	memcpy(&m, out.u.raw, sizeof m);
	assert_int_equal(m.imr_interface.s_addr, 0);
	check_bad_cases(bad, nitems(bad));
}

static void
test_encode_mreq6(void **state)
{
	static const struct bad_case bad[] = {
		{ "IPV6_ADD_MEMBERSHIP", "\"ff02::1\"", "value: expected {" },
		{ "IPV6_ADD_MEMBERSHIP", "{\"ifindex\":2}",
		    "value.multiaddr: missing" },
		{ "IPV6_ADD_MEMBERSHIP", "{\"multiaddr\":\"239.1.1.1\"}",
		    "value.multiaddr: expected an IPv6 address" },
		{ "IPV6_ADD_MEMBERSHIP",
		    "{\"multiaddr\":\"ff02::1\",\"interface\":\"::1\"}",
		    "value.interface: unknown field" },
		{ "IPV6_ADD_MEMBERSHIP",
		    "{\"multiaddr\":\"ff02::1\",\"ifindex\":2147483648}",
		    "value.ifindex: out of range" },
	};
	struct in6_addr group;
	struct ipv6_mreq m;
	struct rs_optval out;

	inet_pton(AF_INET6, "ff02::1", &group);
	encode("IPV6_ADD_MEMBERSHIP", "{\"multiaddr\":\"ff02::1\","
	    "\"ifindex\":2}", &out);
	assert_int_equal(out.len, sizeof m);
	memcpy(&m, out.u.raw, sizeof m);
	assert_memory_equal(&m.ipv6mr_multiaddr, &group, sizeof group);
	assert_int_equal(m.ipv6mr_interface, 2);
	assert_int_equal(out.ifindex, 2);
	encode("IPV6_DROP_MEMBERSHIP", "{\"multiaddr\":\"ff02::1\","
	    "\"ifname\":\"lo\"}", &out);
	memcpy(&m, out.u.raw, sizeof m);
	assert_int_equal(m.ipv6mr_interface, 1);
	assert_int_equal(out.ifindex, 1);
	encode("IPV6_DROP_MEMBERSHIP", "{\"multiaddr\":\"ff02::1\"}", &out);
	assert_int_equal(out.ifindex, 0);
	check_bad_cases(bad, nitems(bad));
	check_refused_json("IPV6_ADD_MEMBERSHIP",
	    load("{\"multiaddr\":\"ff02::1\",\"ifname\":\"nosuchif0\"}"),
	    RS_E_ERRNO, ENODEV, "value.ifname: no such interface 'nosuchif0'");
}

static void
test_encode_packet_mreq(void **state)
{
	static const struct bad_case bad[] = {
		{ "PACKET_ADD_MEMBERSHIP", "1", "value: expected {" },
		{ "PACKET_ADD_MEMBERSHIP", "{\"type\":\"promisc\"}",
		    "value.ifindex: missing (or ifname)" },
		{ "PACKET_ADD_MEMBERSHIP", "{\"ifindex\":0,\"type\":1}",
		    "value.ifindex: out of range 1..2147483647" },
		{ "PACKET_ADD_MEMBERSHIP", "{\"ifindex\":2}",
		    "value.type: missing" },
		{ "PACKET_ADD_MEMBERSHIP", "{\"ifindex\":2,\"type\":\"bogus\"}",
		    "value.type: unknown constant name" },
		{ "PACKET_ADD_MEMBERSHIP", "{\"ifindex\":2,\"type\":\"host\"}",
		    "value.type: unknown constant name" },
		{ "PACKET_ADD_MEMBERSHIP", "{\"ifindex\":2,\"type\":65536}",
		    "value.type: out of range" },
		{ "PACKET_ADD_MEMBERSHIP", "{\"ifindex\":2,\"type\":1,"
		    "\"addr\":\"01:02:03:04:05:06:07:08:09\"}",
		    "value.addr: expected at most 8 hex bytes" },
		{ "PACKET_ADD_MEMBERSHIP", "{\"ifindex\":2,\"type\":1,"
		    "\"addr\":\"zz\"}", "value.addr: expected at most 8" },
		{ "PACKET_ADD_MEMBERSHIP", "{\"ifindex\":2,\"type\":1,"
		    "\"addr\":\"01:0\"}", "value.addr: expected at most 8" },
		{ "PACKET_ADD_MEMBERSHIP", "{\"ifindex\":2,\"type\":1,"
		    "\"addr\":\"0102\"}", "value.addr: expected at most 8" },
		{ "PACKET_ADD_MEMBERSHIP", "{\"ifindex\":2,\"type\":1,"
		    "\"addr\":6}", "value.addr: expected at most 8" },
		{ "PACKET_DROP_MEMBERSHIP", "{\"ifindex\":2,\"type\":1,"
		    "\"protocol\":3}", "value.protocol: unknown field" },
	};
	static const uint8_t mac[] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	struct packet_mreq m;
	struct rs_optval out;

	encode("PACKET_ADD_MEMBERSHIP", "{\"ifindex\":2,"
	    "\"type\":\"PACKET_MR_PROMISC\"}", &out);
	assert_int_equal(out.len, sizeof m);
	memcpy(&m, out.u.raw, sizeof m);
	assert_int_equal(m.mr_ifindex, 2);
	assert_int_equal(m.mr_type, PACKET_MR_PROMISC);
	assert_int_equal(m.mr_alen, 0);
	assert_int_equal(out.ifindex, 2);
	encode("PACKET_ADD_MEMBERSHIP", "{\"ifname\":\"lo\",\"type\":"
	    "\"multicast\",\"addr\":\"01:00:5E:00:00:01\"}", &out);
	memcpy(&m, out.u.raw, sizeof m);
	assert_int_equal(m.mr_ifindex, 1);
	assert_int_equal(m.mr_type, PACKET_MR_MULTICAST);
	assert_int_equal(m.mr_alen, sizeof mac);
	assert_memory_equal(m.mr_address, mac, sizeof mac);
	assert_int_equal(out.ifindex, 1);
	encode("PACKET_DROP_MEMBERSHIP", "{\"ifindex\":7,\"type\":3,"
	    "\"addr\":\"\"}", &out);
	memcpy(&m, out.u.raw, sizeof m);
	assert_int_equal(m.mr_type, 3);
	assert_int_equal(m.mr_alen, 0);
	check_bad_cases(bad, nitems(bad));
	check_refused_json("PACKET_ADD_MEMBERSHIP",
	    load("{\"ifname\":\"nosuchif0\",\"type\":1}"),
	    RS_E_ERRNO, ENODEV, "value.ifname: no such interface 'nosuchif0'");
}

/*
 * Decoding.
 */

static void
test_decode(void **state)
{
	struct tpacket_stats st = { .tp_packets = 10, .tp_drops = 3 };
	struct ucred u = { .pid = 42, .uid = 1000, .gid = 100 };
	struct timeval tv = { .tv_sec = 3, .tv_usec = 250000 };
	struct linger l = { .l_onoff = 1, .l_linger = 9 };
	unsigned char c = 200;
	int i = -5;

	check_decode("SO_RCVBUF", &i, sizeof i, "-5");
	check_decode("IP_TTL", &c, 1, "200");
	check_decode("IP_OPTIONS", "\0\1\2", 3, "\"AAEC\"");
	check_decode("IP_OPTIONS", "", 0, "\"\"");
	check_decode("SO_BINDTODEVICE", "veth0\0junk", 10, "\"veth0\"");
	check_decode("TCP_CONGESTION", "reno", 4, "\"reno\"");
	check_decode("TCP_CONGESTION", "", 0, "\"\"");
	check_decode("SO_LINGER", &l, sizeof l, "{\"onoff\":1,\"linger\":9}");
	check_decode("SO_SNDTIMEO", &tv, sizeof tv,
	    "{\"sec\":3,\"usec\":250000}");
	check_decode("SO_PEERCRED", &u, sizeof u,
	    "{\"pid\":42,\"uid\":1000,\"gid\":100}");
	check_decode("PACKET_STATISTICS", &st, sizeof st,
	    "{\"packets\":10,\"drops\":3}");
	/* A name that is not UTF-8 has no JSON form. */
	assert_null(decode(entry("SO_BINDTODEVICE"), "\xff\xfe", 2));
	assert_null(rs_sockopt_decode(entry("SO_RCVBUF"), NULL, 4));
}

/*
 * Every readable entry given every length up to its buffer size, from a
 * buffer exactly that long: a value, or NULL when a structure is cut.
 */
static void
test_decode_short(void **state)
{
	const struct rs_sockopt *o;
	unsigned char buf[256];
	socklen_t len, size;
	size_t i;
	json_t *v;

	memset(buf, 'a', sizeof buf);
	for (i = 0; i < rs_sockopt_count; i++) {
		o = &rs_sockopt_table[i];
		if ((size = rs_sockopt_get_size(o)) == 0)
			continue;
		for (len = 0; len <= size; len++) {
			v = decode(o, buf, len);
			if (o->get == RS_OT_BYTES || o->get == RS_OT_STRING ||
			    len == size || (o->get == RS_OT_INT && len == 1)) {
				if (v == NULL)
					fail_msg("%s: no value from %u bytes",
					    o->name, (unsigned)len);
			} else if (v != NULL)
				fail_msg("%s: a value from %u bytes", o->name,
				    (unsigned)len);
			json_decref(v);
		}
	}
}

/* The credentials of the other end of a socketpair: this process. */
static void
test_decode_peercred(void **state)
{
	const struct rs_sockopt *o = entry("SO_PEERCRED");
	unsigned char buf[256];
	socklen_t len = rs_sockopt_get_size(o);
	json_t *got, *want;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(getsockopt(sv[0], o->level, o->option, buf, &len), 0);
	assert_non_null(got = decode(o, buf, len));
	want = json_pack("{s:I,s:I,s:I}", "pid", (json_int_t)getpid(), "uid",
	    (json_int_t)getuid(), "gid", (json_int_t)getgid());
	assert_json_equal(got, want);
	json_decref(got);
	json_decref(want);
	close(sv[0]);
	close(sv[1]);
}

/*
 * Real sockets: every entry at SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6 or
 * IPPROTO_TCP whose get and set are both INT, LINGER, TV or STRING is set
 * through rs_sockopt_encode on a fresh socket, read back through
 * rs_sockopt_decode and compared.  Unless listed here it is set to 1 and
 * must read 1.  Privileged entries are skipped unless listed: a value
 * listed for one is one an unprivileged process may set.
 */

enum rt_check {
	RT_EQUAL,	/* reads back as want (or value) */
	RT_AT_LEAST,	/* reads back as at least value */
	RT_SKIP,	/* cannot be checked here: why */
};

static const struct rt_case {
	const char	*name;
	enum rt_check	 check;
	const char	*value;
	const char	*want;	/* NULL: value; or why, for RT_SKIP */
} rt_cases[] = {
	{ "SO_BINDTODEVICE", RT_EQUAL, "\"lo\"", NULL },
	/* Booleans read back as 1. */
	{ "SO_BROADCAST", RT_EQUAL, "7", "1" },
	{ "SO_KEEPALIVE", RT_EQUAL, "true", "1" },
	{ "SO_LINGER", RT_EQUAL, "5", "{\"onoff\":1,\"linger\":5}" },
	{ "SO_PASSCRED", RT_SKIP, NULL,
	    "Linux 6.x takes it on unix and netlink sockets only" },
	{ "SO_PEEK_OFF", RT_EQUAL, "10", NULL },
	/* The kernel doubles them for its bookkeeping. */
	{ "SO_RCVBUF", RT_AT_LEAST, "4096", NULL },
	{ "SO_SNDBUF", RT_AT_LEAST, "4096", NULL },
	{ "SO_RCVLOWAT", RT_EQUAL, "10", NULL },
	{ "SO_SNDLOWAT", RT_SKIP, NULL,
	    "Linux refuses to set it (ENOPROTOOPT)" },
	/* Kept in ticks: half seconds are whole ticks at any HZ. */
	{ "SO_RCVTIMEO", RT_EQUAL, "1.5", "{\"sec\":1,\"usec\":500000}" },
	{ "SO_SNDTIMEO", RT_EQUAL, "{\"sec\":2,\"usec\":500000}", NULL },
	{ "SO_PRIORITY", RT_EQUAL, "3", NULL },
	{ "SO_INCOMING_CPU", RT_EQUAL, "0", NULL },
	{ "IP_HDRINCL", RT_SKIP, NULL, "needs a raw socket" },
	{ "IP_NODEFRAG", RT_SKIP, NULL, "needs a raw socket" },
	{ "IP_ROUTER_ALERT", RT_SKIP, NULL, "needs a raw socket" },
	{ "IP_MTU_DISCOVER", RT_EQUAL, "2", NULL },
	{ "IP_MULTICAST_ALL", RT_EQUAL, "0", NULL },
	{ "IP_MULTICAST_LOOP", RT_EQUAL, "0", NULL },
	{ "IP_MULTICAST_TTL", RT_EQUAL, "5", NULL },
	{ "IP_TOS", RT_EQUAL, "16", NULL },
	{ "IP_TTL", RT_EQUAL, "33", NULL },
	{ "IPV6_MTU", RT_SKIP, NULL,
	    "reads the path MTU of a connected socket, not the value set" },
	{ "IPV6_MTU_DISCOVER", RT_EQUAL, "2", NULL },
	{ "IPV6_MULTICAST_HOPS", RT_EQUAL, "5", NULL },
	/* lo is interface 1 in every network namespace. */
	{ "IPV6_MULTICAST_IF", RT_EQUAL, "1", NULL },
	{ "IPV6_MULTICAST_LOOP", RT_EQUAL, "0", NULL },
	{ "IPV6_ROUTER_ALERT", RT_SKIP, NULL, "needs a raw socket" },
	{ "IPV6_UNICAST_HOPS", RT_EQUAL, "33", NULL },
	{ "IPV6_TCLASS", RT_EQUAL, "16", NULL },
	/* Unprivileged processes may always choose reno. */
	{ "TCP_CONGESTION", RT_EQUAL, "\"reno\"", NULL },
	/* Rounded up to whole retransmission timeouts (5 reads 7). */
	{ "TCP_DEFER_ACCEPT", RT_AT_LEAST, "5", NULL },
	{ "TCP_KEEPCNT", RT_EQUAL, "3", NULL },
	{ "TCP_KEEPIDLE", RT_EQUAL, "30", NULL },
	{ "TCP_KEEPINTVL", RT_EQUAL, "10", NULL },
	{ "TCP_MAXSEG", RT_EQUAL, "1000", NULL },
	{ "TCP_SYNCNT", RT_EQUAL, "3", NULL },
	{ "TCP_USER_TIMEOUT", RT_EQUAL, "1000", NULL },
	{ "TCP_QUICKACK", RT_EQUAL, "0", NULL },
	{ "TCP_NOTSENT_LOWAT", RT_EQUAL, "1000", NULL },
	{ "TCP_WINDOW_CLAMP", RT_EQUAL, "10000", NULL },
	{ "TCP_LINGER2", RT_EQUAL, "30", NULL },
};

static const struct rt_case *
rt_case(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(rt_cases); i++) {
		if (strcmp(rt_cases[i].name, name) == 0)
			return &rt_cases[i];
	}
	return NULL;
}

static bool
round_trips(const struct rs_sockopt *o)
{
	if (o->level != SOL_SOCKET && o->level != IPPROTO_IP &&
	    o->level != IPPROTO_IPV6 && o->level != IPPROTO_TCP)
		return false;
	if (o->get != o->set || (o->flags & RS_OF_UNSUPPORTED))
		return false;
	return o->get == RS_OT_INT || o->get == RS_OT_LINGER ||
	    o->get == RS_OT_TV || o->get == RS_OT_STRING;
}

/* A fresh socket for the level: -1 when the system has no IPv6. */
static int
rt_socket(int level)
{
	int fd;

	switch (level) {
	case IPPROTO_IPV6:
		fd = socket(AF_INET6, SOCK_DGRAM, 0);
		if (fd == -1 && errno == EAFNOSUPPORT)
			return -1;
		break;
	case IPPROTO_TCP:
		fd = socket(AF_INET, SOCK_STREAM, 0);
		break;
	default:
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		break;
	}
	if (fd == -1)
		fail_msg("socket: %s", strerror(errno));
	return fd;
}

static void
round_trip(const struct rs_sockopt *o, const struct rt_case *c, int fd)
{
	struct rs_error e = { 0 };
	struct rs_optval in;
	unsigned char buf[256];
	socklen_t len = rs_sockopt_get_size(o);
	json_t *value = load(c != NULL ? c->value : "1"), *want, *got;

	want = c != NULL && c->want != NULL ? load(c->want) :
	    json_incref(value);
	if (rs_sockopt_encode(o, value, &in, &e) != 0)
		fail_msg("%s: %s", o->name, e.message);
	if (setsockopt(fd, o->level, o->option, in.u.raw, in.len) != 0)
		fail_msg("setsockopt %s: %s", o->name, strerror(errno));
	assert_true(len <= sizeof buf);
	if (getsockopt(fd, o->level, o->option, buf, &len) != 0)
		fail_msg("getsockopt %s: %s", o->name, strerror(errno));
	if ((got = decode(o, buf, len)) == NULL)
		fail_msg("%s: no value from %u bytes", o->name, (unsigned)len);
	if (c != NULL && c->check == RT_AT_LEAST) {
		if (json_integer_value(got) < json_integer_value(want))
			fail_msg("%s: %lld < %lld", o->name,
			    (long long)json_integer_value(got),
			    (long long)json_integer_value(want));
	} else if (!json_equal(got, want)) {
		print_message("%s reads back differently\n", o->name);
		assert_json_equal(got, want);
	}
	json_decref(got);
	json_decref(want);
	json_decref(value);
}

static void
test_real_sockets(void **state)
{
	const struct rs_sockopt *o;
	const struct rt_case *c;
	size_t i, tried = 0;
	int fd;

	for (i = 0; i < nitems(rt_cases); i++) {
		assert_true(round_trips(entry(rt_cases[i].name)));
		assert_true(rt_cases[i].check != RT_SKIP ||
		    rt_cases[i].want != NULL);
	}
	for (i = 0; i < rs_sockopt_count; i++) {
		o = &rs_sockopt_table[i];
		c = rt_case(o->name);
		if (!round_trips(o) || (c != NULL && c->check == RT_SKIP) ||
		    (c == NULL && (o->flags & RS_OF_PRIVILEGED)))
			continue;
		if ((fd = rt_socket(o->level)) == -1)
			continue;
		round_trip(o, c, fd);
		close(fd);
		tried++;
	}
	/* 59 with IPv6, 48 without: more than the cases listed. */
	assert_true(tried >= 48);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_level),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_lookup_unknown),
		cmocka_unit_test(test_get_only),
		cmocka_unit_test(test_set_only),
		cmocka_unit_test(test_three_errors),
		cmocka_unit_test(test_encode_int),
		cmocka_unit_test(test_encode_bytes),
		cmocka_unit_test(test_encode_string),
		cmocka_unit_test(test_encode_linger),
		cmocka_unit_test(test_encode_tv),
		cmocka_unit_test(test_encode_mreq),
		cmocka_unit_test(test_encode_mreq_src),
		cmocka_unit_test(test_encode_mreq6),
		cmocka_unit_test(test_encode_packet_mreq),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_short),
		cmocka_unit_test(test_decode_peercred),
		cmocka_unit_test(test_real_sockets),
	};

	json_set_alloc_funcs(json_test_malloc, json_test_free);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
