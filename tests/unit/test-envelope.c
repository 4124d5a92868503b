/*
 * Unit tests: the envelope (parse, reply), typed parameters, bytes and
 * error codes.
 */
#include <errno.h>
#include <netdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "const.h"
#include "envelope.h"
#include "params.h"

static void
parse_fails(const char *text, size_t len, const char *needle)
{
	struct rs_request req;
	struct rs_error e;

	assert_int_equal(rs_request_parse(text, len, &req, &e), -1);
	assert_int_equal(e.kind, RS_E_BAD_REQUEST);
	assert_string_equal(rs_error_code(&e), "bad_request");
	if (needle != NULL && strstr(e.message, needle) == NULL)
		fail_msg("'%s' not in '%s'", needle, e.message);
	rs_request_free(&req);
}

static void
test_parse_ok(void **state)
{
	const char *text = "{\"id\":7,\"op\":\"ping\"}";
	struct rs_request req;
	struct rs_error e;

	assert_int_equal(rs_request_parse(text, strlen(text), &req, &e), 0);
	assert_string_equal(req.op, "ping");
	assert_int_equal(json_integer_value(req.id), 7);
	rs_request_free(&req);

	text = "{\"id\":\"abc\",\"op\":\"hello\"}";
	assert_int_equal(rs_request_parse(text, strlen(text), &req, &e), 0);
	assert_string_equal(json_string_value(req.id), "abc");
	rs_request_free(&req);
}

static void
test_parse_bad(void **state)
{
	char deep[200], *big;
	size_t i;

	parse_fails("{nope", 5, "invalid JSON");
	parse_fails("[1,2]", 5, "not a JSON object");
	parse_fails("42", 2, "not a JSON object");
	parse_fails("{\"id\":1}", 8, "op: missing");
	parse_fails("{\"id\":1,\"op\":5}", 15, "op: expected a string");
	parse_fails("{\"id\":{},\"op\":\"ping\"}", 21, "id:");
	parse_fails("{\"id\":1,\"id\":2,\"op\":\"ping\"}", 27, NULL);
	parse_fails("{\"id\":1,\"op\":\"a\\u0000b\"}", 24, NULL);
	parse_fails("{\"id\":1,\"op\":\"\xff\"}", 17, NULL);
	parse_fails("{\"id\":1,\0\"op\":\"x\"}", 18, NULL);
	/* 33 levels: the object itself plus 32 nested arrays. */
	strcpy(deep, "{\"op\":\"x\",\"a\":");
	for (i = 0; i < 32; i++)
		strcat(deep, "[");
	for (i = 0; i < 32; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	parse_fails(deep, strlen(deep), "nesting");
	big = calloc(1, RS_MAX_REQUEST + 2);
	memset(big, ' ', RS_MAX_REQUEST + 1);
	parse_fails(big, RS_MAX_REQUEST + 1, "larger");
	free(big);
}

static void
test_parse_depth_limit_ok(void **state)
{
	char deep[200];
	struct rs_request req;
	struct rs_error e;
	size_t i;

	/* Exactly 32 levels is fine. */
	strcpy(deep, "{\"op\":\"x\",\"a\":");
	for (i = 0; i < 31; i++)
		strcat(deep, "[");
	for (i = 0; i < 31; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	assert_int_equal(rs_request_parse(deep, strlen(deep), &req, &e), 0);
	rs_request_free(&req);
}

static void
test_bad_id_keeps_no_id(void **state)
{
	const char *text = "{\"id\":[1],\"op\":\"ping\"}";
	struct rs_request req;
	struct rs_error e;

	assert_int_equal(rs_request_parse(text, strlen(text), &req, &e), -1);
	assert_null(req.id);
	rs_request_free(&req);
}

static void
test_replies(void **state)
{
	json_t *id = json_integer(3), *r;
	struct rs_error e;
	size_t len;
	char *s;

	r = rs_reply_ok(id, json_pack("{s:i}", "x", 1));
	s = rs_encode(r, RS_MAX_RESPONSE, &len);
	assert_string_equal(s, "{\"id\":3,\"ok\":true,\"x\":1}");
	free(s);
	json_decref(r);

	rs_error_errno(&e, ENODEV, "ifname");
	r = rs_reply_error(id, &e);
	s = rs_encode(r, RS_MAX_RESPONSE, &len);
	assert_non_null(strstr(s, "\"code\":\"ENODEV\""));
	assert_non_null(strstr(s, "\"errno\":19"));
	assert_non_null(strstr(s, "\"ok\":false"));
	free(s);
	/* Too large for the limit: refused. */
	assert_null(rs_encode(r, 10, &len));
	json_decref(r);

	r = rs_reply_ok(NULL, NULL);
	s = rs_encode(r, RS_MAX_RESPONSE, &len);
	assert_string_equal(s, "{\"id\":null,\"ok\":true}");
	free(s);
	json_decref(r);
	json_decref(id);
}

static void
test_error_names(void **state)
{
	struct rs_error e;

	assert_string_equal(rs_errno_name(EADDRINUSE), "EADDRINUSE");
	assert_int_equal(rs_errno_by_name("ENODEV"), ENODEV);
	assert_int_equal(rs_errno_by_name("ENOTANERROR"), 0);
	assert_string_equal(rs_eai_name(EAI_NONAME), "EAI_NONAME");
	assert_int_equal(rs_eai_by_name("EAI_AGAIN"), EAI_AGAIN);
	rs_error_set(&e, RS_E_EAI, EAI_NONAME, "x");
	assert_string_equal(rs_error_code(&e), "EAI_NONAME");
	rs_error_set(&e, RS_E_DENIED, 0, "x");
	assert_string_equal(rs_error_code(&e), "denied");
	rs_error_set(&e, RS_E_QUOTA, 0, "x");
	assert_string_equal(rs_error_code(&e), "quota");
	rs_error_set(&e, RS_E_NO_SUCH_HANDLE, 0, "x");
	assert_string_equal(rs_error_code(&e), "no_such_handle");
	rs_error_set(&e, RS_E_UNKNOWN_OP, 0, "x");
	assert_string_equal(rs_error_code(&e), "unknown_op");
}

static void
test_bytes(void **state)
{
	struct rs_bytes b;
	json_t *j;

	assert_int_equal(rs_base64_decode("aGVsbG8=", 8, &b), 0);
	assert_int_equal(b.n, 5);
	assert_memory_equal(b.p, "hello", 5);
	j = rs_base64_json(b.p, b.n);
	assert_string_equal(json_string_value(j), "aGVsbG8=");
	json_decref(j);
	rs_bytes_free(&b);
	assert_int_equal(rs_base64_decode("", 0, &b), 0);
	assert_int_equal(b.n, 0);
	rs_bytes_free(&b);
	assert_int_equal(rs_base64_decode("a$==", 4, &b), -1);
	assert_null(b.p);
	assert_int_equal(rs_hex_decode("00ffA0", 6, &b), 0);
	assert_int_equal(b.n, 3);
	assert_int_equal(b.p[1], 0xff);
	assert_int_equal(b.p[2], 0xa0);
	rs_bytes_free(&b);
	assert_int_equal(rs_hex_decode("abc", 3, &b), -1);
	assert_int_equal(rs_hex_decode("zz", 2, &b), -1);
	rs_bytes_free(NULL);
}

struct args {
	long long	 n;
	bool		 flag;
	const char	*s;
	long		 type;
	long		 flags;
	struct rs_bytes	 data;
	const json_t	*list;
	int		 tri;
};

static const struct rs_param table[] = {
	{ "n", RS_P_INT, offsetof(struct args, n), 0, 0, 10, 1, 100 },
	{ "flag", RS_P_BOOL, offsetof(struct args, flag), 0, 0, 0, 0, 0 },
	{ "s", RS_P_STR, offsetof(struct args, s), RS_PF_REQUIRED, 0, 0, 0,
	    0 },
	{ "type", RS_P_CONST, offsetof(struct args, type), 0, RS_CG_SOCK, -1,
	    0, 0 },
	{ "flags", RS_P_FLAGS, offsetof(struct args, flags), 0, RS_CG_MSG, 0,
	    0, 0 },
	{ "data", RS_P_BYTES, offsetof(struct args, data), 0, 0, 0, 0, 0 },
	{ "list", RS_P_ARRAY, offsetof(struct args, list), 0, 0, 0, 0, 0 },
	{ "tri", RS_P_TRIBOOL, offsetof(struct args, tri), 0, 0, 0, 0, 0 },
	RS_PARAM_END
};

static int
decode(const char *text, struct args *a, struct rs_error *e)
{
	json_t *obj = json_loads(text, 0, NULL);
	int r;

	assert_non_null(obj);
	memset(a, 0, sizeof *a);
	r = rs_params_decode(obj, table, a, e);
	rs_params_free(table, a);
	json_decref(obj);
	return r;
}

static void
decode_fails(const char *text, const char *needle)
{
	struct rs_error e;
	struct args a;

	assert_int_equal(decode(text, &a, &e), -1);
	assert_int_equal(e.kind, RS_E_BAD_REQUEST);
	if (strstr(e.message, needle) == NULL)
		fail_msg("'%s' not in '%s'", needle, e.message);
}

static void
test_params_ok(void **state)
{
	json_t *obj = json_loads("{\"id\":1,\"op\":\"x\",\"s\":\"hi\","
	    "\"type\":\"raw\",\"flags\":[\"MSG_PEEK\",\"dontwait\"],"
	    "\"data_hex\":\"0102\",\"flag\":1,\"list\":[],\"tri\":false}", 0,
	    NULL);
	struct rs_error e;
	struct args a;

	memset(&a, 0, sizeof a);
	assert_int_equal(rs_params_decode(obj, table, &a, &e), 0);
	assert_int_equal(a.n, 10);	/* default */
	assert_true(a.flag);
	assert_string_equal(a.s, "hi");
	assert_int_equal(a.type, 3);
	assert_int_equal(a.flags, 0x42);
	assert_int_equal(a.data.n, 2);
	assert_int_equal(a.data.p[1], 2);
	assert_int_equal(json_array_size(a.list), 0);
	assert_int_equal(a.tri, 0);
	rs_params_free(table, &a);
	json_decref(obj);
}

static void
test_params_defaults(void **state)
{
	struct rs_error e;
	struct args a;

	assert_int_equal(decode("{\"s\":\"x\"}", &a, &e), 0);
	assert_int_equal(a.n, 10);
	assert_int_equal(a.type, -1);
	assert_false(a.flag);
	assert_null(a.list);
	assert_int_equal(a.tri, -1);
	assert_int_equal(decode("{\"s\":\"x\",\"tri\":true}", &a, &e), 0);
	assert_int_equal(a.tri, 1);
}

static void
test_params_bad(void **state)
{
	decode_fails("{}", "s: missing");
	decode_fails("{\"s\":1}", "s: expected a string");
	decode_fails("{\"s\":\"x\",\"n\":\"5\"}", "n: expected an integer");
	decode_fails("{\"s\":\"x\",\"n\":0}", "n: out of range");
	decode_fails("{\"s\":\"x\",\"n\":101}", "n: out of range");
	decode_fails("{\"s\":\"x\",\"flag\":2}", "flag: expected a boolean");
	decode_fails("{\"s\":\"x\",\"tri\":null}", "tri: expected a boolean");
	decode_fails("{\"s\":\"x\",\"type\":\"SOCK_BOGUS\"}", "type:");
	decode_fails("{\"s\":\"x\",\"type\":1.5}", "type:");
	decode_fails("{\"s\":\"x\",\"flags\":[\"MSG_PEEK\",{}]}", "flags:");
	decode_fails("{\"s\":\"x\",\"data\":\"***\"}", "data: invalid base64");
	decode_fails("{\"s\":\"x\",\"data_hex\":\"0\"}", "data_hex: invalid hex");
	decode_fails("{\"s\":\"x\",\"data\":\"AA==\",\"data_hex\":\"00\"}",
	    "not both");
	decode_fails("{\"s\":\"x\",\"list\":{}}", "list: expected a list");
	decode_fails("{\"s\":\"x\",\"bogus\":1}", "bogus: unknown field");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_depth_limit_ok),
		cmocka_unit_test(test_bad_id_keeps_no_id),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_params_ok),
		cmocka_unit_test(test_params_defaults),
		cmocka_unit_test(test_params_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
