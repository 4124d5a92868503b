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
/* The interface a packet address names, for the request's audit line. */
void		 op_audit_address(struct request *req, const struct rs_addr *a);
/* An IP socket's interface follows SO_BINDTODEVICE (spoof checks of
 * IP_HDRINCL headers use it): read it back after options are set. */
void		 op_follow_device(struct handle *h);
/* An interface a request names by index (a pktinfo's) must be allowed. */
int		 op_check_ifindex(struct request *req, int ifindex);
/* op_check_address for a rule outside a request (frames on a channel). */
int		 op_check_address_rule(const struct policy_rule *r,
		     const struct conn *c, int domain, int bound_ifindex,
		     const struct rs_addr *a, bool binding,
		     struct rs_error *e);
/* A raw inet socket whose data starts at the IP header (IP_HDRINCL,
 * IPV6_HDRINCL or IPPROTO_RAW). */
bool		 op_ip_hdrincl(const struct handle *h);
/*
 * spoof: false: a frame sent on h (to `to`, which may be empty) must
 * carry the interface's own source addresses.  Call spoof_refresh()
 * before a batch of these.
 */
int		 op_check_spoof(const struct policy_rule *r,
		     const struct handle *h, const struct rs_addr *to,
		     const uint8_t *p, size_t n, struct rs_error *e);
/*
 * Everything a frame a client sends must pass, by op or on a channel: an
 * address of the socket's family (the kernel reads any as its own) on an
 * allowed interface; on a packet socket an ethertype the rule allows (a
 * raw frame's, past one VLAN tag; else the address's or the socket's
 * protocol); the spoof checks.  -1 with e set.
 */
int		 op_check_frame(const struct policy_rule *r,
		     const struct handle *h, const struct rs_addr *to,
		     const uint8_t *p, size_t n, struct rs_error *e);
/* {"level","option","value"} or separate values: check and setsockopt. */
int		 op_set_option(struct request *req, int fd, int domain,
		     const json_t *level, const json_t *option,
		     const json_t *value, struct handle_devs *devs);
/* Under a rule without spoof, a raw IP socket may be bound only to an
 * address of its interface (0: of the host), as its packets' sources are
 * checked; 0 or -1 with req->err set. */
int		 op_check_bind_source(struct request *req, int domain, int type,
		     int ifindex, const struct rs_addr *a);
/* getsockname/getpeername as a JSON address (null if none). */
json_t		*op_sockname(int fd, bool peer);
/* An errno failure on a handle: "<what> on handle N: strerror". */
int		 op_errno(struct request *req, const struct handle *h,
		     const char *what, int err);
/*
 * Append entry (stolen) to a result list while the response stays under
 * RS_MAX_RESPONSE (*used counts the bytes so far); past it the entry is
 * dropped, "truncated": true is set and false returned.
 */
bool		 op_list_add(struct request *req, json_t *list, json_t *entry,
		     size_t *used);
/*
 * Set an interface's name in o: "name", or when the name is not UTF-8
 * (the kernel takes any bytes but '/', ':' and blanks) "name": null and
 * "name_hex".  -1 when o is NULL or out of memory.
 */
int		 op_set_name(json_t *o, const char *name);

#endif
