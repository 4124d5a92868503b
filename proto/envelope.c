/*
 * The request/response envelope: datagram -> checked JSON object, and
 * replies -> compact text.
 */
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

static int
too_deep(const json_t *v, int depth)
{
	const char *key;
	json_t *child;
	size_t i;

	if (depth > RS_MAX_DEPTH)
		return 1;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, child) {
			if (too_deep(child, depth + 1))
				return 1;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) {
			if (too_deep(child, depth + 1))
				return 1;
		}
	}
	return 0;
}

int
rs_request_parse(const char *buf, size_t len, struct rs_request *req,
    struct rs_error *e)
{
	json_error_t jerr;
	json_t *op;

	memset(req, 0, sizeof *req);
	if (len > RS_MAX_REQUEST)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "request larger than %d bytes", RS_MAX_REQUEST);
	/* jansson refuses \u0000, invalid UTF-8 and (asked) duplicate keys. */
	req->root = json_loadb(buf, len,
	    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (req->root == NULL)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "invalid JSON at byte %d: %s", jerr.position, jerr.text);
	if (!json_is_object(req->root))
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "request is not a JSON object");
	req->id = json_object_get(req->root, "id");
	if (req->id != NULL && !json_is_integer(req->id) &&
	    !json_is_string(req->id)) {
		req->id = NULL;
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "id: expected an integer or a string");
	}
	if (too_deep(req->root, 1))
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "nesting deeper than %d", RS_MAX_DEPTH);
	op = json_object_get(req->root, "op");
	if (op == NULL)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0, "op: missing");
	if (!json_is_string(op))
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "op: expected a string");
	req->op = json_string_value(op);
	return 0;
}

void
rs_request_free(struct rs_request *req)
{
	json_decref(req->root);
	memset(req, 0, sizeof *req);
}

static json_t *
reply_new(json_t *id, int ok)
{
	return json_pack("{s:O?, s:b}", "id", id, "ok", ok);
}

json_t *
rs_reply_ok(json_t *id, json_t *result)
{
	json_t *r;

	if ((r = reply_new(id, 1)) == NULL) {
		json_decref(result);
		return NULL;
	}
	if (result != NULL) {
		json_object_update(r, result);
		json_decref(result);
	}
	return r;
}

json_t *
rs_reply_error(json_t *id, const struct rs_error *e)
{
	json_t *r;

	if ((r = reply_new(id, 0)) == NULL)
		return NULL;
	json_object_set_new(r, "error", rs_error_to_json(e));
	return r;
}

char *
rs_encode(const json_t *v, size_t max, size_t *len)
{
	char *s;

	if ((s = json_dumps(v, JSON_COMPACT)) == NULL)
		return NULL;
	*len = strlen(s);
	if (*len > max) {
		free(s);
		return NULL;
	}
	return s;
}
