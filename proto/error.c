/*
 * Wire error codes: internal failures -> the stable "code" strings.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "error.h"

static const struct {
	int		 value;
	const char	*name;
} eai_names[] = {
	{ EAI_BADFLAGS, "EAI_BADFLAGS" },
	{ EAI_NONAME, "EAI_NONAME" },
	{ EAI_AGAIN, "EAI_AGAIN" },
	{ EAI_FAIL, "EAI_FAIL" },
	{ EAI_FAMILY, "EAI_FAMILY" },
	{ EAI_SOCKTYPE, "EAI_SOCKTYPE" },
	{ EAI_SERVICE, "EAI_SERVICE" },
	{ EAI_MEMORY, "EAI_MEMORY" },
	{ EAI_SYSTEM, "EAI_SYSTEM" },
	{ EAI_OVERFLOW, "EAI_OVERFLOW" },
	{ EAI_NODATA, "EAI_NODATA" },
	{ EAI_ADDRFAMILY, "EAI_ADDRFAMILY" },
	{ EAI_INPROGRESS, "EAI_INPROGRESS" },
	{ EAI_CANCELED, "EAI_CANCELED" },
	{ EAI_NOTCANCELED, "EAI_NOTCANCELED" },
	{ EAI_ALLDONE, "EAI_ALLDONE" },
	{ EAI_INTR, "EAI_INTR" },
	{ EAI_IDN_ENCODE, "EAI_IDN_ENCODE" },
};

static const char *kind_names[] = {
	[RS_E_NONE] = "ok",
	[RS_E_BAD_REQUEST] = "bad_request",
	[RS_E_UNKNOWN_OP] = "unknown_op",
	[RS_E_DENIED] = "denied",
	[RS_E_QUOTA] = "quota",
	[RS_E_NO_SUCH_HANDLE] = "no_such_handle",
};

int
rs_error_vset(struct rs_error *e, enum rs_err_kind kind, int num,
    const char *fmt, va_list ap)
{
	size_t n;

	e->kind = kind;
	e->num = num;
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	/* A cut message must stay valid UTF-8: drop a split character. */
	n = strlen(e->message);
	if (n == sizeof e->message - 1) {
		while (n > 0 && (e->message[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0 && (e->message[n - 1] & 0x80))
			n--;
		e->message[n] = '\0';
	}
	return -1;
}

int
rs_error_set(struct rs_error *e, enum rs_err_kind kind, int num,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rs_error_vset(e, kind, num, fmt, ap);
	va_end(ap);
	return -1;
}

int
rs_error_errno(struct rs_error *e, int err, const char *what)
{
	if (what != NULL)
		return rs_error_set(e, RS_E_ERRNO, err, "%s: %s", what,
		    strerror(err));
	return rs_error_set(e, RS_E_ERRNO, err, "%s", strerror(err));
}

const char *
rs_errno_name(int err)
{
	return strerrorname_np(err);
}

int
rs_errno_by_name(const char *name)
{
	const char *n;
	int err;

	for (err = 1; err < 256; err++) {
		if ((n = strerrorname_np(err)) != NULL && strcmp(n, name) == 0)
			return err;
	}
	return 0;
}

const char *
rs_eai_name(int eai)
{
	size_t i;

	for (i = 0; i < sizeof eai_names / sizeof eai_names[0]; i++) {
		if (eai_names[i].value == eai)
			return eai_names[i].name;
	}
	return NULL;
}

int
rs_eai_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof eai_names / sizeof eai_names[0]; i++) {
		if (strcasecmp(eai_names[i].name, name) == 0)
			return eai_names[i].value;
	}
	return 0;
}

const char *
rs_error_code(const struct rs_error *e)
{
	const char *n = NULL;

	switch (e->kind) {
	case RS_E_ERRNO:
		n = rs_errno_name(e->num);
		return n != NULL ? n : "EIO";
	case RS_E_EAI:
		n = rs_eai_name(e->num);
		return n != NULL ? n : "EAI_FAIL";
	default:
		if ((size_t)e->kind < sizeof kind_names / sizeof kind_names[0])
			return kind_names[e->kind];
		return "bad_request";
	}
}

json_t *
rs_error_to_json(const struct rs_error *e)
{
	json_t *o;

	o = json_pack("{s:s, s:s}", "code", rs_error_code(e), "message",
	    e->message);
	if (o != NULL && e->kind == RS_E_ERRNO)
		json_object_set_new(o, "errno", json_integer(e->num));
	return o;
}
