/*
 * Typed request parameters.  Each op declares a table of its parameters;
 * rs_params_decode checks every field of the request object against it and
 * fills a plain struct, so a handler only ever sees validated values.
 * Absent optional parameters keep their default (ints) or stay zero.
 */
#ifndef RS_PARAMS_H
#define RS_PARAMS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "addr.h"
#include "bytes.h"
#include "error.h"

enum rs_ptype {
	RS_P_INT,	/* long long, within [min, max] (both 0: any) */
	RS_P_BOOL,	/* bool; true/false or 0/1 */
	RS_P_TRIBOOL,	/* int; like RS_P_BOOL, but -1 when absent */
	RS_P_STR,	/* const char *, borrowed from the request */
	RS_P_CONST,	/* long; integer or name within groups */
	RS_P_FLAGS,	/* long; integer, name or list of names within groups */
	RS_P_BYTES,	/* struct rs_bytes; base64, or hex under "<name>_hex" */
	RS_P_ADDR,	/* struct rs_addr; object or text */
	RS_P_OBJECT,	/* const json_t *, borrowed: a JSON object */
	RS_P_ARRAY,	/* const json_t *, borrowed: a JSON array */
	RS_P_ANY,	/* const json_t *, borrowed: any JSON value */
};

#define RS_PF_REQUIRED	0x1

struct rs_param {
	const char	*name;
	enum rs_ptype	 type;
	size_t		 offset;
	unsigned	 flags;
	unsigned	 groups;	/* RS_P_CONST / RS_P_FLAGS */
	long long	 def;		/* RS_P_INT / RS_P_CONST / RS_P_BOOL
					 * default */
	long long	 min, max;	/* RS_P_INT bounds */
};

#define RS_PARAM_END { NULL, 0, 0, 0, 0, 0, 0, 0 }

/*
 * Decode obj (the whole request; "id" and "op" are skipped) into args by
 * table.  Unknown fields are bad_request.  On failure fills e and returns
 * -1; rs_params_free must be called either way.
 */
int	 rs_params_decode(const json_t *obj, const struct rs_param *table,
	     void *args, struct rs_error *e);
/* Free what decoding allocated (bytes). */
void	 rs_params_free(const struct rs_param *table, void *args);

#endif
