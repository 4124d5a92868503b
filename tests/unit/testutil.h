/*
 * Helpers the cmocka unit tests share: jansson allocating through cmocka
 * (so a leak fails the test), JSON literals and comparison.  Include after
 * <cmocka.h> and <jansson.h>.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* json_set_alloc_funcs(json_test_malloc, json_test_free) in a setup. */
static inline void *
json_test_malloc(size_t n)
{
	return test_malloc(n);
}

static inline void
json_test_free(void *p)
{
	test_free(p);
}

static inline json_t *
load(const char *s)
{
	json_error_t err;
	json_t *v;

	if ((v = json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err)) == NULL)
		fail_msg("bad test JSON %s: %s", s, err.text);
	return v;
}

static inline void
assert_json_equal(json_t *got, json_t *want)
{
	char *g, *w;

	if (json_equal(got, want))
		return;
	g = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY);
	w = json_dumps(want, JSON_SORT_KEYS | JSON_ENCODE_ANY);
	fail_msg("got %s, want %s", g, w);
}

#endif
