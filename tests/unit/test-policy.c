/*
 * Unit tests: policy loading, matching (uid, gid, groups, overflow id)
 * and decisions (domain, type, protocol, interface globs, pass, ports).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "policy.h"

static struct policy *
load(const char *text, char *err, size_t errlen)
{
	json_error_t jerr;
	struct policy *p;
	json_t *root;

	root = json_loads(text, 0, &jerr);
	if (root == NULL)
		fail_msg("test JSON invalid: %s", jerr.text);
	p = policy_from_json(root, err, errlen);
	json_decref(root);
	return p;
}

static void
load_fails(const char *text, const char *needle)
{
	char err[512] = "";
	struct policy *p = load(text, err, sizeof err);

	if (p != NULL) {
		policy_free(p);
		fail_msg("policy accepted: %s", text);
	}
	if (strstr(err, needle) == NULL)
		fail_msg("'%s' not in '%s'", needle, err);
}

static struct peer
peer(uid_t uid, gid_t gid, gid_t *groups, size_t n)
{
	struct peer p = { .uid = uid, .gid = gid, .pid = 1,
	    .groups = groups, .ngroups = n };

	return p;
}

static const char *example =
    "{\"rules\":["
    " {\"match\":{\"uid\":4242},\"allow\":{\"domains\":[\"packet\",\"inet\"],"
    "  \"types\":[\"raw\"],\"protocols\":[\"all\",\"icmp\",\"ip\"],"
    "  \"interfaces\":[\"veth*\",\"eth0\"],\"privileged_ports\":[80],"
    "  \"max_sockets\":2}},"
    " {\"match\":{\"gid\":4300},\"allow\":{\"domains\":[\"*\"],"
    "  \"types\":[\"*\"],\"protocols\":[\"*\"],\"interfaces\":[\"*\"],"
    "  \"pass\":true,\"spoof\":true,\"filter\":\"not port 22\"}}"
    "]}";

static void
test_match(void **state)
{
	char err[256];
	struct policy *p = load(example, err, sizeof err);
	gid_t groups[] = { 10, 4300 }, overflow[] = { 65534 };
	struct peer pr;

	assert_non_null(p);
	assert_int_equal(p->nrules, 2);
	pr = peer(0, 0, NULL, 0);
	assert_int_equal(policy_match(p, &pr)->index, -1);	/* root */
	pr = peer(4242, 4242, NULL, 0);
	assert_int_equal(policy_match(p, &pr)->index, 1);
	pr = peer(4243, 4243, NULL, 0);
	assert_null(policy_match(p, &pr));
	pr = peer(4243, 4243, groups, 2);	/* supplementary group */
	assert_int_equal(policy_match(p, &pr)->index, 2);
	pr = peer(4243, 4300, NULL, 0);		/* primary group */
	assert_int_equal(policy_match(p, &pr)->index, 2);
	pr = peer(4242, 4300, NULL, 0);		/* first match wins */
	assert_int_equal(policy_match(p, &pr)->index, 1);
	pr = peer(65534, 4300, overflow, 1);	/* overflow uid: never */
	assert_null(policy_match(p, &pr));
	assert_null(policy_match(NULL, &pr));
	policy_free(p);
}

static void
test_decisions(void **state)
{
	char err[256];
	struct policy *p = load(example, err, sizeof err);
	struct peer pr = peer(4242, 4242, NULL, 0);
	const struct policy_rule *r = policy_match(p, &pr);
	struct rs_error e;

	assert_int_equal(policy_check_socket(r, AF_PACKET, SOCK_RAW,
	    ETH_P_ALL, &e), 0);
	assert_int_equal(policy_check_socket(r, AF_PACKET, SOCK_RAW,
	    ETH_P_IP, &e), 0);
	assert_int_equal(policy_check_socket(r, AF_INET, SOCK_RAW,
	    IPPROTO_ICMP, &e), 0);
	assert_int_equal(policy_check_socket(r, AF_INET, SOCK_RAW,
	    IPPROTO_IP, &e), 0);
	/* "all" is an ethertype, not an IP protocol. */
	assert_int_equal(policy_check_socket(r, AF_INET, SOCK_RAW, 3, &e), -1);
	assert_int_equal(policy_check_socket(r, AF_INET6, SOCK_RAW,
	    IPPROTO_ICMPV6, &e), -1);
	assert_int_equal(e.kind, RS_E_DENIED);
	assert_non_null(strstr(e.message, "rule 1 (uid 4242)"));
	assert_non_null(strstr(e.message, "AF_INET6"));
	assert_int_equal(policy_check_socket(r, AF_PACKET, SOCK_DGRAM,
	    ETH_P_ALL, &e), -1);
	assert_non_null(strstr(e.message, "SOCK_DGRAM"));
	assert_int_equal(policy_check_socket(r, AF_PACKET, SOCK_RAW,
	    ETH_P_ARP, &e), -1);
	assert_non_null(strstr(e.message, "protocol ETH_P_ARP"));

	assert_int_equal(policy_check_interface(r, "veth12", &e), 0);
	assert_int_equal(policy_check_interface(r, "eth0", &e), 0);
	assert_int_equal(policy_check_interface(r, "eth1", &e), -1);
	assert_non_null(strstr(e.message, "interface eth1"));
	assert_int_equal(policy_check_pass(r, &e), -1);
	assert_int_equal(policy_check_port(r, 80, &e), 0);
	assert_int_equal(policy_check_port(r, 8080, &e), 0);
	assert_int_equal(policy_check_port(r, 0, &e), 0);
	assert_int_equal(policy_check_port(r, 22, &e), -1);
	assert_int_equal(policy_check_configdev(r, "veth0", &e), -1);
	assert_int_equal(r->allow.max_sockets, 2);
	assert_null(r->allow.filter);

	pr = peer(1, 4300, NULL, 0);
	r = policy_match(p, &pr);
	assert_int_equal(policy_check_socket(r, AF_INET6, SOCK_DGRAM,
	    IPPROTO_UDP, &e), 0);
	assert_int_equal(policy_check_interface(r, "anything", &e), 0);
	assert_int_equal(policy_check_pass(r, &e), 0);
	assert_string_equal(r->allow.filter, "not port 22");
	assert_int_equal(r->allow.max_sockets, 16);	/* default */

	/* No rule: everything privileged is denied, saying so. */
	assert_int_equal(policy_check_socket(NULL, AF_PACKET, SOCK_RAW, 3,
	    &e), -1);
	assert_non_null(strstr(e.message, "default deny"));
	assert_int_equal(policy_check_interface(NULL, "lo", &e), -1);
	assert_int_equal(policy_check_pass(NULL, &e), -1);
	policy_free(p);
}

/* Passing, quotas, unbound sockets, options. */
static void
test_issue4_decisions(void **state)
{
	char err[256];
	struct policy *p = load("{\"rules\":[{\"match\":{\"uid\":1},"
	    "\"allow\":{\"interfaces\":[\"veth*\"],\"pass\":true,"
	    "\"spoof\":true,\"max_sockets\":2}},{\"match\":{\"uid\":2},"
	    "\"allow\":{\"interfaces\":[\"*\"],\"pass\":true}}]}", err,
	    sizeof err);
	struct peer p1 = peer(1, 1, NULL, 0), p2 = peer(2, 2, NULL, 0);
	const struct policy_rule *r1, *r2;
	struct rs_error e;

	assert_non_null(p);
	r1 = policy_match(p, &p1);
	r2 = policy_match(p, &p2);
	/* pass but restricted interfaces, or no spoof: managed only. */
	assert_int_equal(policy_check_pass(r1, &e), -1);
	assert_non_null(strstr(e.message, "stay managed"));
	assert_int_equal(policy_check_pass(r2, &e), -1);
	assert_int_equal(policy_check_quota(r1, 1, &e), 0);
	assert_int_equal(policy_check_quota(r1, 2, &e), -1);
	assert_int_equal(e.kind, RS_E_QUOTA);
	assert_int_equal(policy_check_unbound(r1, &e), -1);
	assert_non_null(strstr(e.message, "give ifname"));
	assert_int_equal(policy_check_unbound(r2, &e), 0);
	assert_int_equal(policy_check_option(r2, "SO_MARK", true, false, &e),
	    -1);
	assert_int_equal(policy_check_option(r2, "IP_TRANSPARENT", false, true,
	    &e), -1);
	assert_int_equal(policy_check_option(r1, "IP_TRANSPARENT", false, true,
	    &e), 0);
	assert_int_equal(policy_check_option(r2, "SO_RCVBUF", false, false,
	    &e), 0);
	assert_true(policy_checks_spoof(r2));
	assert_false(policy_checks_spoof(r1));
	assert_true(policy_checks_spoof(NULL));
	policy_free(p);
}

static void
test_root(void **state)
{
	struct peer pr = peer(0, 0, NULL, 0);
	const struct policy_rule *r = policy_match(NULL, &pr);
	struct rs_error e;

	assert_non_null(r);
	assert_int_equal(policy_check_socket(r, AF_INET6, SOCK_RAW, 58, &e), 0);
	assert_int_equal(policy_check_pass(r, &e), 0);
	assert_int_equal(policy_check_port(r, 22, &e), 0);
	assert_int_equal(policy_check_configdev(r, "eth0", &e), 0);
}

static void
test_load_errors(void **state)
{
	load_fails("[]", "expected an object");
	load_fails("{}", "rules: expected a list");
	load_fails("{\"rules\":[],\"x\":1}", "unknown key 'x'");
	load_fails("{\"rules\":[1]}", "rules[0]: expected an object");
	load_fails("{\"rules\":[{\"allow\":{}}]}", "rules[0].match");
	load_fails("{\"rules\":[{\"match\":{},\"allow\":{}}]}",
	    "matches nobody");
	load_fails("{\"rules\":[{\"match\":{\"uid\":65534},\"allow\":{}}]}",
	    "overflow");
	load_fails("{\"rules\":[{\"match\":{\"gid\":65534},\"allow\":{}}]}",
	    "overflow");
	load_fails("{\"rules\":[{\"match\":{\"uid\":\"x\"},\"allow\":{}}]}",
	    "uid: expected a number");
	load_fails("{\"rules\":[{\"match\":{\"user\":\"no-such-user-x\"},"
	    "\"allow\":{}}]}", "unknown user");
	load_fails("{\"rules\":[{\"match\":{\"group\":\"no-such-group-x\"},"
	    "\"allow\":{}}]}", "unknown group");
	load_fails("{\"rules\":[{\"match\":{\"uid\":5,\"who\":1},"
	    "\"allow\":{}}]}", "unknown key 'who'");
	load_fails("{\"rules\":[{\"match\":{\"uid\":5}}]}",
	    "rules[0].allow: missing");
	load_fails("{\"rules\":[{\"match\":{\"uid\":5},\"allow\":"
	    "{\"domains\":[\"bogus\"]}}]}", "rules[0].allow.domains[0]");
	load_fails("{\"rules\":[{\"match\":{\"uid\":5},\"allow\":"
	    "{\"domains\":\"packet\"}}]}", "expected a list");
	load_fails("{\"rules\":[{\"match\":{\"uid\":5},\"allow\":"
	    "{\"protocols\":[\"nonsense-proto\"]}}]}", "unknown protocol");
	load_fails("{\"rules\":[{\"match\":{\"uid\":5},\"allow\":"
	    "{\"pass\":\"yes\"}}]}", "allow.pass: expected true or false");
	load_fails("{\"rules\":[{\"match\":{\"uid\":5},\"allow\":"
	    "{\"max_sockets\":-1}}]}", "max_sockets");
	load_fails("{\"rules\":[{\"match\":{\"uid\":5},\"allow\":"
	    "{\"privileged_ports\":[2000]}}]}", "1..1023");
	load_fails("{\"rules\":[{\"match\":{\"uid\":5},\"allow\":"
	    "{\"filter\":\"not a (filter\"}}]}", "invalid filter");
	load_fails("{\"rules\":[{\"match\":{\"uid\":5},\"allow\":"
	    "{\"interfaces\":[3]}}]}", "expected a string");
	load_fails("{\"rules\":[{\"match\":{\"uid\":5},\"allow\":"
	    "{\"frobnicate\":true}}]}", "unknown key 'frobnicate'");
	load_fails("{\"rules\":[{\"match\":{\"uid\":5},\"allow\":"
	    "{\"addresses\":[\"198.18.0.1\"]}}]}",
	    "allow.addresses[0]: expected a network");
	load_fails("{\"rules\":[{\"match\":{\"uid\":5},\"allow\":"
	    "{\"addresses\":[\"198.18.0.0/40\"]}}]}", "addresses[0]");
}

static struct rs_ifaddr
ifaddr(const char *text)
{
	struct rs_ifaddr a;
	struct rs_error e;

	assert_int_equal(rs_ifaddr_parse(text, -1, &a, &e), 0);
	return a;
}

/* An address and its whole prefix inside one of the networks; root and
 * "*" anywhere; none given, none. */
static void
test_addresses(void **state)
{
	char err[512] = "";
	struct policy *p = load("{\"rules\":["
	    "{\"match\":{\"uid\":5},\"allow\":{\"configdev\":true,"
	    "\"addresses\":[\"198.18.0.0/15\",\"2001:db8:1::/48\"]}},"
	    "{\"match\":{\"uid\":6},\"allow\":{\"configdev\":true}},"
	    "{\"match\":{\"uid\":7},\"allow\":{\"addresses\":[\"*\"]}}"
	    "]}", err, sizeof err);
	struct peer p5 = peer(5, 5, NULL, 0), p6 = peer(6, 6, NULL, 0),
	    p7 = peer(7, 7, NULL, 0), p0 = peer(0, 0, NULL, 0);
	const struct policy_rule *r5, *r6, *r7, *root;
	struct rs_ifaddr a;
	struct rs_error e;

	assert_non_null(p);
	r5 = policy_match(p, &p5);
	r6 = policy_match(p, &p6);
	r7 = policy_match(p, &p7);
	root = policy_match(p, &p0);
	a = ifaddr("198.19.255.1/24");
	assert_int_equal(policy_check_address(r5, &a, &e), 0);
	a = ifaddr("198.18.0.1/15");
	assert_int_equal(policy_check_address(r5, &a, &e), 0);
	a = ifaddr("198.18.0.1/14");
	assert_int_equal(policy_check_address(r5, &a, &e), -1);
	assert_non_null(strstr(e.message, "198.18.0.1/14"));
	a = ifaddr("198.20.0.1/24");
	assert_int_equal(policy_check_address(r5, &a, &e), -1);
	a = ifaddr("2001:db8:1:2::5/64");
	assert_int_equal(policy_check_address(r5, &a, &e), 0);
	a = ifaddr("2001:db8:2::5/64");
	assert_int_equal(policy_check_address(r5, &a, &e), -1);
	a = ifaddr("198.18.0.1/24");
	assert_int_equal(policy_check_address(r6, &a, &e), -1);
	a = ifaddr("10.0.0.1/1");
	assert_int_equal(policy_check_address(r7, &a, &e), 0);
	assert_int_equal(policy_check_address(root, &a, &e), 0);
	policy_free(p);
}

static void
test_names_resolve(void **state)
{
	char err[256];
	struct policy *p = load("{\"rules\":[{\"match\":{\"user\":\"daemon\","
	    "\"group\":\"root\"},\"allow\":{\"protocols\":[\"udp\",17,"
	    "\"ipv6-icmp\"]}}]}", err, sizeof err);

	/* getprotobyname supplies names the constants table lacks. */
	assert_non_null(p);
	assert_int_equal(p->rules[0].uid, 1);
	assert_int_equal(p->rules[0].gid, 0);
	assert_true(p->rules[0].allow.protocols.n == 3);
	assert_int_equal(p->rules[0].allow.protocols.ip_values[2], 58);
	policy_free(p);
}

static void
test_to_json(void **state)
{
	char err[256];
	struct policy *p = load(example, err, sizeof err);
	json_t *j = policy_to_json(p), *r1;

	assert_int_equal(json_array_size(json_object_get(j, "rules")), 3);
	r1 = json_array_get(json_object_get(j, "rules"), 1);
	assert_string_equal(json_string_value(json_object_get(r1, "rule")),
	    "rule 1 (uid 4242)");
	assert_int_equal(json_integer_value(json_object_get(
	    json_object_get(r1, "allow"), "max_sockets")), 2);
	assert_true(json_is_null(policy_rule_to_json(NULL)));
	json_decref(j);
	policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_decisions),
		cmocka_unit_test(test_issue4_decisions),
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_names_resolve),
		cmocka_unit_test(test_to_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
