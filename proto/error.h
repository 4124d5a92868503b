/*
 * Wire error codes: the one place that maps an internal failure to the
 * stable machine-readable "code" of PROTOCOL.md section 2.
 */
#ifndef RS_ERROR_H
#define RS_ERROR_H

#include <stdarg.h>
#include <jansson.h>

enum rs_err_kind {
	RS_E_NONE = 0,
	RS_E_BAD_REQUEST,
	RS_E_UNKNOWN_OP,
	RS_E_DENIED,
	RS_E_QUOTA,
	RS_E_NO_SUCH_HANDLE,
	RS_E_ERRNO,	/* num holds a positive errno */
	RS_E_EAI,	/* num holds a (negative) EAI_* value */
};

struct rs_error {
	enum rs_err_kind kind;
	int		 num;
	char		 message[256];
};

/* Fill *e; returns -1 so callers can `return rs_error_set(...)`. */
int	 rs_error_set(struct rs_error *e, enum rs_err_kind kind, int num,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int	 rs_error_vset(struct rs_error *e, enum rs_err_kind kind, int num,
	     const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
/* An errno failure with strerror text, optionally prefixed by what. */
int	 rs_error_errno(struct rs_error *e, int err, const char *what);

/* "bad_request", "ENODEV", "EAI_NONAME", ... */
const char *rs_error_code(const struct rs_error *e);
/* {"code":..., "message":..., ["errno":N]} */
json_t	*rs_error_to_json(const struct rs_error *e);

/* Wire name of an errno / EAI value, NULL when unknown. */
const char *rs_errno_name(int err);
const char *rs_eai_name(int eai);
/* Reverse look-ups for clients: 0 when the name is unknown. */
int	 rs_errno_by_name(const char *name);
int	 rs_eai_by_name(const char *name);

#endif
