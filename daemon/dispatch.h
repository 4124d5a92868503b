/*
 * Requests: decode, find the op, decode its parameters, run it, answer.
 * An op that must wait for a socket (a recv with a timeout, an accept, a
 * connect in progress) parks the request; the connection reads nothing
 * more until it is answered, so responses stay in request order.
 */
#ifndef DISPATCH_H
#define DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "audit.h"
#include "conn.h"
#include "error.h"
#include "params.h"

struct event;
struct handle;
struct policy_rule;
struct op_entry;

/* An op's return value: done, failed (err set), or parked. */
#define OP_OK		0
#define OP_FAIL		(-1)
#define OP_WAIT		1

struct request {
	struct conn		 *conn;
	const struct op_entry	 *op;
	json_t			 *root;		/* the request, owned */
	json_t			 *id;		/* borrowed from root */
	void			 *args;		/* decoded parameters, owned */
	const struct policy_rule *rule;		/* NULL: default deny */
	json_t			 *result;	/* the op fills it */
	struct rs_error		  err;		/* the op fills it on failure */
	int			  fds[CONN_MAX_PASS_FDS];
	size_t			  nfds;
	/* waiting */
	struct event		 *wait;
	bool			  timed_out;	/* the op runs again after this */
	long long		  deadline_ms;	/* CLOCK_MONOTONIC; 0: none */
	/* What a parked op keeps between runs, freed with the request. */
	void			 *state;
	void			(*state_free)(void *);
	struct audit_fields	  audit;	/* request_audit_*() */
};

struct op_entry {
	const char		*name;
	const struct rs_param	*params;	/* NULL: takes none */
	size_t			 args_size;
	/* OP_OK with req->result, OP_FAIL with req->err, or OP_WAIT after
	 * request_wait(); a waiting op is called again when the fd is ready
	 * or the time is up (req->timed_out). */
	int			(*fn)(struct request *req, void *args);
};

void	 dispatch_datagram(struct conn *c, const char *buf, size_t len,
	     bool truncated, bool had_fds);
/* Drop a connection's parked request (the connection is closing). */
void	 dispatch_cancel(struct conn *c);
/* fd (a handle's) is about to close: a request waiting on it runs again
 * at once, no longer on it. */
void	 dispatch_fd_closing(struct conn *c, int fd);

/* Pass fd on the response, listed as `what` in "fds"; takes ownership. */
int	 request_pass_fd(struct request *req, int fd, const char *what);
/* Result object helper: set key in req->result (created on demand). */
void	 request_set(struct request *req, const char *key, json_t *value);
/*
 * Park the request until fd is ready for `what` (EV_READ/EV_WRITE) or
 * timeout_ms pass (measured from the first wait; < 0: no limit).  Returns
 * OP_WAIT, or OP_FAIL with err set.
 */
int	 request_wait(struct request *req, int fd, short what,
	     long long timeout_ms);

/*
 * What a privileged op acted on, for its audit record: the socket it
 * makes, the interface asked for, the handle named (op_handle() records
 * that one), a socket option.  Call before the policy check so a denied
 * record says what was refused.
 */
void	 request_audit_socket(struct request *req, int domain, int type,
	     int protocol);
void	 request_audit_interface(struct request *req, const char *ifname,
	     int ifindex);
void	 request_audit_handle(struct request *req, const struct handle *h);
void	 request_audit_option(struct request *req, const char *name);
/* accept's new handle (the listening one is the handle named). */
void	 request_audit_accepted(struct request *req, const struct handle *h);

/* The ops, one table entry each (op-*.c). */
extern const struct op_entry op_hello, op_ping, op_constants, op_stats;
extern const struct op_entry op_open, op_server_socket, op_socketpair,
	     op_close, op_pass, op_bind, op_connect, op_listen, op_accept,
	     op_shutdown, op_getsockname, op_getpeername;
extern const struct op_entry op_send, op_sendto, op_sendmsg, op_recv,
	     op_recvfrom, op_recvmsg;
extern const struct op_entry op_getsockopt, op_setsockopt;
extern const struct op_entry op_attach_filter, op_detach_filter;
extern const struct op_entry op_subscribe, op_unsubscribe;
extern const struct op_entry op_checksum;
extern const struct op_entry op_configdev;
extern const struct op_entry op_getaddrinfo, op_getnameinfo, op_protocol,
	     op_network, op_if_nameindex, op_ifaddrs, op_convert_address;

#endif
