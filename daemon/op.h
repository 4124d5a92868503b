/*
 * What the op-*.c files share: handle look-up, address checks, applying a
 * socket option, returning addresses.
 */
#ifndef OP_H
#define OP_H

#include <stdint.h>
#include <jansson.h>

#include "addr.h"
#include "dispatch.h"
#include "handle.h"

/* The handle named by the request's "handle", or NULL with req->err set. */
struct handle	*op_handle(struct request *req, long long id);
/*
 * Policy checks for an address a socket of domain will bind, connect or
 * send to: a packet address's interface, an inet address's privileged
 * port (bind only: `binding`).
 */
int		 op_check_address(struct request *req, int domain,
		     int bound_ifindex, const struct rs_addr *a, bool binding);
/* The same for a rule outside a request (frames sent on a channel). */
int		 op_check_address_rule(const struct policy_rule *r,
		     int domain, int bound_ifindex, const struct rs_addr *a,
		     bool binding, struct rs_error *e);
/*
 * spoof: false: a frame sent on h (to `to`, which may be empty) must
 * carry the interface's own source addresses.  Call spoof_refresh()
 * before a batch of these.
 */
int		 op_check_spoof(const struct policy_rule *r,
		     const struct handle *h, const struct rs_addr *to,
		     const uint8_t *p, size_t n, struct rs_error *e);
/* {"level","option","value"} or separate values: check and setsockopt. */
int		 op_set_option(struct request *req, int fd, int domain,
		     const json_t *level, const json_t *option,
		     const json_t *value);
/* getsockname/getpeername as a JSON address (null if none). */
json_t		*op_sockname(int fd, bool peer);
/* An errno failure on a handle: "<what> on handle N: strerror". */
int		 op_errno(struct request *req, const struct handle *h,
		     const char *what, int err);

#endif
