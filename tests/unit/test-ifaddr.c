/*
 * Unit tests for proto/ifaddr.c: configdev's address and prefix, the text
 * and separate forms, their defaults, and every refusal naming its field.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include <jansson.h>

#include "ifaddr.h"
#include "testutil.h"

struct good_case {
	const char	*text;
	long long	 prefix;	/* -1: not given */
	int		 family;
	const char	*canon;		/* inet_ntop of the result */
	int		 want_prefix;
};

static void
test_good(void **state)
{
	static const struct good_case cases[] = {
		{ "198.18.0.5/24", -1, AF_INET, "198.18.0.5", 24 },
		{ "198.18.0.5", 24, AF_INET, "198.18.0.5", 24 },
		{ "198.18.0.5/24", 24, AF_INET, "198.18.0.5", 24 },
		{ "198.18.0.5", -1, AF_INET, "198.18.0.5", 32 },
		{ "198.18.0.5/0", -1, AF_INET, "198.18.0.5", 0 },
		{ "198.18.0.5/32", -1, AF_INET, "198.18.0.5", 32 },
		{ "2001:db8::5/64", -1, AF_INET6, "2001:db8::5", 64 },
		{ "2001:DB8:0::5", 64, AF_INET6, "2001:db8::5", 64 },
		{ "2001:db8::5", -1, AF_INET6, "2001:db8::5", 128 },
		{ "fe80::1/128", -1, AF_INET6, "fe80::1", 128 },
		{ "::ffff:198.18.0.5/96", -1, AF_INET6, "::ffff:198.18.0.5",
		    96 },
	};
	char buf[INET6_ADDRSTRLEN];
	struct rs_error e = { 0 };
	struct rs_ifaddr a;
	size_t i;

	for (i = 0; i < nitems(cases); i++) {
		if (rs_ifaddr_parse(cases[i].text, cases[i].prefix, &a,
		    &e) != 0)
			fail_msg("%s refused: %s", cases[i].text, e.message);
		assert_int_equal(a.family, cases[i].family);
		assert_non_null(inet_ntop(a.family, &a.addr, buf, sizeof buf));
		assert_string_equal(buf, cases[i].canon);
		assert_int_equal(a.prefix, cases[i].want_prefix);
	}
}

struct bad_case {
	const char	*text;
	long long	 prefix;
	const char	*msg;		/* start of the error message */
};

static void
test_bad(void **state)
{
	static const struct bad_case cases[] = {
		{ "", -1, "address:" },
		{ "/24", -1, "address:" },
		{ "host.example", -1, "address:" },
		{ "198.18.0", -1, "address:" },
		{ "198.18.0.256", -1, "address:" },
		{ " 198.18.0.5", -1, "address:" },
		{ "198.18.0.5 ", -1, "address:" },
		{ "fe80::1%veth0", -1, "address:" },
		{ "198.18.0.5/", -1, "address: the prefix" },
		{ "198.18.0.5/33", -1, "address: the prefix" },
		{ "198.18.0.5/-1", -1, "address: the prefix" },
		{ "198.18.0.5/+8", -1, "address: the prefix" },
		{ "198.18.0.5/ 8", -1, "address: the prefix" },
		{ "198.18.0.5/0024", -1, "address: the prefix" },
		{ "198.18.0.5/24x", -1, "address: the prefix" },
		{ "198.18.0.5/24/24", -1, "address: the prefix" },
		{ "2001:db8::5/129", -1, "address: the prefix" },
		{ "198.18.0.5", 33, "prefix:" },
		{ "2001:db8::5", 129, "prefix:" },
		{ "198.18.0.5/24", 25, "prefix:" },
		{ "0.0.0.0/8", -1, "address:" },
		{ "255.255.255.255", -1, "address:" },
		{ "224.0.0.1", -1, "address:" },
		{ "::", -1, "address:" },
		{ "ff02::1/64", -1, "address:" },
		{ "0123456789012345678901234567890123456789012345678901", -1,
		    "address:" },
	};
	struct rs_error e;
	struct rs_ifaddr a;
	size_t i;

	for (i = 0; i < nitems(cases); i++) {
		memset(&e, 0, sizeof e);
		if (rs_ifaddr_parse(cases[i].text, cases[i].prefix, &a,
		    &e) != -1)
			fail_msg("'%s' prefix %lld accepted", cases[i].text,
			    cases[i].prefix);
		assert_int_equal(e.kind, RS_E_BAD_REQUEST);
		if (strncmp(e.message, cases[i].msg, strlen(cases[i].msg)) != 0)
			fail_msg("'%s': message '%s' does not start '%s'",
			    cases[i].text, e.message, cases[i].msg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
