/*
 * Unit tests for proto/netconv.c: convert_address both ways and its
 * refusals, the ifaddrs flag filter (CLISP's cases), and addrinfo lists
 * through JSON and back, compared with what getaddrinfo itself made for
 * numeric hosts (no resolver traffic).  Jansson allocates through
 * cmocka, so a leaked object fails its test.
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
#include <string.h>

#include "netconv.h"
#include "testutil.h"

static int
setup(void **state)
{
	json_set_alloc_funcs(json_test_malloc, json_test_free);
	return 0;
}

/* in converts to want; want converts back to in. */
static void
both_ways(int family, const char *in, const char *want)
{
	struct rs_error e;
	json_t *a = load(in), *w = load(want), *got, *back;

	got = rs_convert_address(family, a, &e);
	if (got == NULL)
		fail_msg("%s refused: %s", in, e.message);
	assert_json_equal(got, w);
	back = rs_convert_address(family, got, &e);
	if (back == NULL)
		fail_msg("%s refused: %s", want, e.message);
	assert_json_equal(back, a);
	json_decref(a);
	json_decref(w);
	json_decref(got);
	json_decref(back);
}

static void
test_convert(void **state)
{
	both_ways(AF_INET, "\"198.18.0.1\"", "3323068417");
	both_ways(AF_INET, "\"0.0.0.0\"", "0");
	both_ways(AF_INET, "\"255.255.255.255\"", "4294967295");
	both_ways(AF_INET, "\"1.2.3.4\"", "16909060");
	both_ways(AF_INET6, "\"2001:db8::1\"", "\"IAENuAAAAAAAAAAAAAAAAQ==\"");
	both_ways(AF_INET6, "\"::\"", "\"AAAAAAAAAAAAAAAAAAAAAA==\"");
	both_ways(AF_INET6, "\"::ffff:198.18.0.1\"",
	    "\"AAAAAAAAAAAAAP//xhIAAQ==\"");
}

static void
test_convert_refusals(void **state)
{
	static const struct {
		int		 family;
		const char	*in;
		const char	*field;
	} bad[] = {
		{ AF_INET, "\"1.2.3\"", "address" },
		{ AF_INET, "\"256.0.0.1\"", "address" },
		{ AF_INET, "\" 1.2.3.4\"", "address" },
		{ AF_INET, "-1", "address" },
		{ AF_INET, "4294967296", "address" },
		{ AF_INET, "1.5", "address" },
		{ AF_INET, "null", "address" },
		{ AF_INET6, "\"2001:db8::g\"", "address" },
		{ AF_INET6, "\"1:2:3\"", "address" },
		{ AF_INET6, "\"AAAAAAAAAAAAAAAAAAAA\"", "address" },	/* 15 */
		{ AF_INET6, "\"AAAAAAAAAAAAAAAAAAAAAAA=\"", "address" },/* 17 */
		{ AF_INET6, "\"@@@@\"", "address" },
		{ AF_INET6, "\"198.18.0.1\"", "address" },
		{ AF_INET6, "7", "address" },
		{ AF_PACKET, "\"1.2.3.4\"", "family" },
		{ AF_UNSPEC, "1", "family" },
	};
	struct rs_error e;
	json_t *v;
	size_t i;

	for (i = 0; i < nitems(bad); i++) {
		v = load(bad[i].in);
		memset(&e, 0, sizeof e);
		if (rs_convert_address(bad[i].family, v, &e) != NULL)
			fail_msg("%s accepted", bad[i].in);
		assert_int_equal(e.kind, RS_E_BAD_REQUEST);
		assert_true(strncmp(e.message, bad[i].field,
		    strlen(bad[i].field)) == 0);
		json_decref(v);
	}
}

static void
test_iff_match(void **state)
{
	unsigned lo = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
	unsigned eth = IFF_UP | IFF_BROADCAST | IFF_MULTICAST;
	unsigned p2p = IFF_UP | IFF_POINTOPOINT | IFF_NOARP;
	unsigned flags[] = { lo, eth, p2p, 0, IFF_BROADCAST };
	size_t i;

	for (i = 0; i < nitems(flags); i++) {
		/* no filter keeps everything */
		assert_true(rs_iff_match(flags[i], 0, 0));
		/* AND of one flag is OR of that flag */
		assert_int_equal(rs_iff_match(flags[i], IFF_BROADCAST, 0),
		    rs_iff_match(flags[i], 0, IFF_BROADCAST));
		/* AND (LOOPBACK BROADCAST) keeps nothing here */
		assert_false(rs_iff_match(flags[i], 0,
		    IFF_LOOPBACK | IFF_BROADCAST));
	}
	assert_true(rs_iff_match(lo, IFF_LOOPBACK | IFF_POINTOPOINT, 0));
	assert_true(rs_iff_match(p2p, IFF_LOOPBACK | IFF_POINTOPOINT, 0));
	assert_false(rs_iff_match(eth, IFF_LOOPBACK | IFF_POINTOPOINT, 0));
	assert_true(rs_iff_match(eth, IFF_LOOPBACK | IFF_BROADCAST,
	    IFF_UP | IFF_MULTICAST));
	assert_false(rs_iff_match(lo, IFF_LOOPBACK | IFF_BROADCAST,
	    IFF_UP | IFF_MULTICAST));
	assert_false(rs_iff_match(0, IFF_UP, 0));
}

/* getaddrinfo's list through JSON and back is the same list. */
static void
round_trip(const char *node, const char *serv, int family, int flags)
{
	struct addrinfo hints = { .ai_family = family,
	    .ai_flags = flags | AI_NUMERICHOST | AI_NUMERICSERV }, *res, *a,
	    *b, *back;
	struct rs_error e;
	json_t *j;
	int n = 0;

	assert_int_equal(getaddrinfo(node, serv, &hints, &res), 0);
	assert_non_null(j = rs_addrinfo_to_json(res));
	if (rs_addrinfo_from_json(j, &back, &e) == -1)
		fail_msg("refused: %s", e.message);
	for (a = res, b = back; a != NULL; a = a->ai_next, b = b->ai_next) {
		assert_non_null(b);
		assert_int_equal(a->ai_family, b->ai_family);
		assert_int_equal(a->ai_socktype, b->ai_socktype);
		assert_int_equal(a->ai_protocol, b->ai_protocol);
		assert_int_equal(a->ai_addrlen, b->ai_addrlen);
		assert_memory_equal(a->ai_addr, b->ai_addr, a->ai_addrlen);
		if (a->ai_canonname == NULL)
			assert_null(b->ai_canonname);
		else
			assert_string_equal(a->ai_canonname, b->ai_canonname);
		n++;
	}
	assert_null(b);
	assert_int_equal(json_array_size(j), n);
	assert_true(n > 0);
	rs_addrinfo_free(back);
	freeaddrinfo(res);
	json_decref(j);
}

static void
test_addrinfo_round_trip(void **state)
{
	round_trip("198.18.0.1", "80", AF_UNSPEC, 0);
	round_trip("2001:db8::1%1", "53", AF_INET6, AI_CANONNAME);
	round_trip("198.18.0.1", "0", AF_INET6, AI_V4MAPPED);
	round_trip(NULL, "8080", AF_UNSPEC, AI_PASSIVE);
}

/* Known constants are given by name. */
static void
test_addrinfo_names(void **state)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype =
	    SOCK_STREAM, .ai_flags = AI_NUMERICHOST }, *res;
	json_t *j, *want;

	assert_int_equal(getaddrinfo("1.2.3.4", "1", &hints, &res), 0);
	j = rs_addrinfo_to_json(res);
	want = load("[{\"family\":\"AF_INET\",\"type\":\"SOCK_STREAM\","
	    "\"protocol\":\"IPPROTO_TCP\",\"address\":{\"family\":"
	    "\"inet\",\"host\":\"1.2.3.4\",\"port\":1,\"text\":"
	    "\"1.2.3.4:1\"}}]");
	assert_json_equal(j, want);
	freeaddrinfo(res);
	json_decref(j);
	json_decref(want);
}

static void
test_addrinfo_refusals(void **state)
{
	static const char *const bad[] = {
		"{}",
		"[1]",
		"[{\"family\":\"AF_INET\",\"type\":\"SOCK_STREAM\","
		    "\"protocol\":6}]",
		"[{\"family\":\"AF_NOPE\",\"type\":1,\"protocol\":6,"
		    "\"address\":\"1.2.3.4:1\"}]",
		"[{\"family\":2,\"type\":1,\"protocol\":6,"
		    "\"address\":\"1.2.3.4:1\"}, 5]",
		/* an AF_INET6 entry with a 16-byte address */
		"[{\"family\":\"AF_INET6\",\"type\":1,\"protocol\":6,"
		    "\"address\":\"1.2.3.4:1\"}]",
	};
	struct addrinfo *res = (struct addrinfo *)&res;
	struct rs_error e;
	json_t *v;
	size_t i;

	for (i = 0; i < nitems(bad); i++) {
		v = load(bad[i]);
		assert_int_equal(rs_addrinfo_from_json(v, &res, &e), -1);
		assert_null(res);
		json_decref(v);
	}
	v = load("[]");
	assert_int_equal(rs_addrinfo_from_json(v, &res, &e), 0);
	assert_null(res);
	json_decref(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_convert, setup),
		cmocka_unit_test_setup(test_convert_refusals, setup),
		cmocka_unit_test(test_iff_match),
		cmocka_unit_test_setup(test_addrinfo_round_trip, setup),
		cmocka_unit_test_setup(test_addrinfo_names, setup),
		cmocka_unit_test_setup(test_addrinfo_refusals, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
