/*
 * Typed request parameters: the only place a request's fields are read.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "const.h"
#include "params.h"

#define FIELD(args, p)	((char *)(args) + (p)->offset)

static const struct rs_param *
find_param(const struct rs_param *table, const char *key)
{
	const struct rs_param *p;
	size_t n;

	for (p = table; p->name != NULL; p++) {
		if (strcmp(p->name, key) == 0)
			return p;
		n = strlen(p->name);
		if (p->type == RS_P_BYTES && strncmp(key, p->name, n) == 0 &&
		    strcmp(key + n, "_hex") == 0)
			return p;
	}
	return NULL;
}

static int
decode_int(const struct rs_param *p, const json_t *v, void *args,
    struct rs_error *e)
{
	long long x;

	if (!json_is_integer(v))
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "%s: expected an integer", p->name);
	x = json_integer_value(v);
	if ((p->min != 0 || p->max != 0) && (x < p->min || x > p->max))
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "%s: out of range %lld..%lld", p->name, p->min, p->max);
	*(long long *)FIELD(args, p) = x;
	return 0;
}

static int
decode_bool(const struct rs_param *p, const json_t *v, void *args,
    struct rs_error *e)
{
	bool b;

	if (json_is_boolean(v))
		b = json_is_true(v);
	else if (json_is_integer(v) && (json_integer_value(v) == 0 ||
	    json_integer_value(v) == 1))
		b = json_integer_value(v) == 1;
	else
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "%s: expected a boolean", p->name);
	if (p->type == RS_P_TRIBOOL)
		*(int *)FIELD(args, p) = b;
	else
		*(bool *)FIELD(args, p) = b;
	return 0;
}

static int
decode_const(const struct rs_param *p, const json_t *v, void *args,
    struct rs_error *e)
{
	const char *why = NULL;
	int r;

	if (p->type == RS_P_FLAGS)
		r = rs_flags_parse(v, p->groups, (long *)FIELD(args, p), &why);
	else
		r = rs_const_parse(v, p->groups, (long *)FIELD(args, p), &why);
	if (r == -1)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0, "%s: %s", p->name,
		    why != NULL ? why : "invalid constant");
	return 0;
}

static int
decode_bytes(const struct rs_param *p, const char *key, const json_t *v,
    void *args, struct rs_error *e)
{
	struct rs_bytes *b = (struct rs_bytes *)FIELD(args, p);
	bool hex = strcmp(key, p->name) != 0;
	int r;

	if (b->p != NULL)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "%s: give %s or %s_hex, not both", p->name, p->name,
		    p->name);
	if (!json_is_string(v))
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "%s: expected a %s string", key, hex ? "hex" : "base64");
	if (hex)
		r = rs_hex_decode(json_string_value(v), json_string_length(v),
		    b);
	else
		r = rs_base64_decode(json_string_value(v),
		    json_string_length(v), b);
	if (r == -1)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0, "%s: invalid %s",
		    key, hex ? "hex" : "base64");
	return 0;
}

static int
decode_json(const struct rs_param *p, const json_t *v, void *args,
    struct rs_error *e)
{
	if (p->type == RS_P_OBJECT && !json_is_object(v))
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "%s: expected an object", p->name);
	if (p->type == RS_P_ARRAY && !json_is_array(v))
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "%s: expected a list", p->name);
	*(const json_t **)FIELD(args, p) = v;
	return 0;
}

static int
decode_one(const struct rs_param *p, const char *key, const json_t *v,
    void *args, struct rs_error *e)
{
	switch (p->type) {
	case RS_P_INT:
		return decode_int(p, v, args, e);
	case RS_P_BOOL:
	case RS_P_TRIBOOL:
		return decode_bool(p, v, args, e);
	case RS_P_STR:
		if (!json_is_string(v))
			return rs_error_set(e, RS_E_BAD_REQUEST, 0,
			    "%s: expected a string", p->name);
		*(const char **)FIELD(args, p) = json_string_value(v);
		return 0;
	case RS_P_CONST:
	case RS_P_FLAGS:
		return decode_const(p, v, args, e);
	case RS_P_BYTES:
		return decode_bytes(p, key, v, args, e);
	case RS_P_ADDR:
		return rs_addr_from_json(v, p->name,
		    (struct rs_addr *)FIELD(args, p), e);
	case RS_P_OBJECT:
	case RS_P_ARRAY:
	case RS_P_ANY:
		return decode_json(p, v, args, e);
	}
	return rs_error_set(e, RS_E_BAD_REQUEST, 0, "%s: bad type", p->name);
}

static bool
is_present(const struct rs_param *p, const json_t *obj)
{
	char key[64];

	if (json_object_get(obj, p->name) != NULL)
		return true;
	if (p->type != RS_P_BYTES)
		return false;
	snprintf(key, sizeof key, "%s_hex", p->name);
	return json_object_get(obj, key) != NULL;
}

int
rs_params_decode(const json_t *obj, const struct rs_param *table, void *args,
    struct rs_error *e)
{
	const struct rs_param *p;
	const char *key;
	json_t *v;

	for (p = table; p->name != NULL; p++) {
		if (p->type == RS_P_INT)
			*(long long *)FIELD(args, p) = p->def;
		else if (p->type == RS_P_CONST || p->type == RS_P_FLAGS)
			*(long *)FIELD(args, p) = (long)p->def;
		else if (p->type == RS_P_BOOL)
			*(bool *)FIELD(args, p) = p->def != 0;
		else if (p->type == RS_P_TRIBOOL)
			*(int *)FIELD(args, p) = -1;
		if ((p->flags & RS_PF_REQUIRED) && !is_present(p, obj))
			return rs_error_set(e, RS_E_BAD_REQUEST, 0,
			    "%s: missing", p->name);
	}
	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "id") == 0 || strcmp(key, "op") == 0)
			continue;
		if ((p = find_param(table, key)) == NULL)
			return rs_error_set(e, RS_E_BAD_REQUEST, 0,
			    "%s: unknown field", key);
		if (decode_one(p, key, v, args, e) == -1)
			return -1;
	}
	return 0;
}

void
rs_params_free(const struct rs_param *table, void *args)
{
	const struct rs_param *p;

	for (p = table; p->name != NULL; p++) {
		if (p->type == RS_P_BYTES)
			rs_bytes_free((struct rs_bytes *)FIELD(args, p));
	}
}
