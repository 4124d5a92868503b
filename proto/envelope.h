/*
 * The request/response envelope (PROTOCOL.md sections 1-2): one datagram
 * is one JSON object {"id", "op", ...params}.
 */
#ifndef RS_ENVELOPE_H
#define RS_ENVELOPE_H

#include <stddef.h>
#include <jansson.h>

#include "error.h"

#define RS_MAX_REQUEST	(128 * 1024)
#define RS_MAX_RESPONSE	(1024 * 1024)
#define RS_MAX_DEPTH	32
#define RS_PROTOCOL_VERSION 1

struct rs_request {
	json_t		*root;	/* owned */
	json_t		*id;	/* borrowed from root; NULL when absent */
	const char	*op;	/* borrowed from root */
};

/*
 * Parse one datagram.  On failure fills e (bad_request), leaves req->id set
 * if it could be read, and returns -1.  rs_request_free either way.
 */
int	 rs_request_parse(const char *buf, size_t len, struct rs_request *req,
	     struct rs_error *e);
void	 rs_request_free(struct rs_request *req);

/* {"id":id, "ok":true, ...result}: steals result (may be NULL). */
json_t	*rs_reply_ok(json_t *id, json_t *result);
/* {"id":id, "ok":false, "error":{...}} */
json_t	*rs_reply_error(json_t *id, const struct rs_error *e);
/* Compact UTF-8 text, malloc'd; NULL when it would exceed max. */
char	*rs_encode(const json_t *v, size_t max, size_t *len);

#endif
