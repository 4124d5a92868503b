/*
 * Requests: decode, find the op, decode its parameters, run it, answer.
 */
#ifndef DISPATCH_H
#define DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "conn.h"
#include "error.h"
#include "params.h"

struct policy_rule;

struct request {
	struct conn		 *conn;
	json_t			 *id;		/* borrowed from the request */
	const struct policy_rule *rule;		/* NULL: default deny */
	json_t			 *result;	/* the op fills it */
	struct rs_error		  err;		/* the op fills it on failure */
	int			  fds[CONN_MAX_PASS_FDS];
	size_t			  nfds;
};

struct op_entry {
	const char		*name;
	const struct rs_param	*params;	/* NULL: takes none */
	size_t			 args_size;
	/* 0 with req->result set, or -1 with req->err set */
	int			(*fn)(struct request *req, void *args);
};

void	 dispatch_datagram(struct conn *c, const char *buf, size_t len,
	     bool truncated, bool had_fds);

/* Pass fd on the response, listed as `what` in "fds"; takes ownership. */
int	 request_pass_fd(struct request *req, int fd, const char *what);
/* Result object helper: set key in req->result (created on demand). */
void	 request_set(struct request *req, const char *key, json_t *value);

/* The ops, one table entry each (op-*.c). */
extern const struct op_entry op_hello, op_ping, op_constants, op_stats;

#endif
