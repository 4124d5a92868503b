/*
 * rtnetlink for configdev: interface flags, interface addresses, and the
 * interface's state read back, through libmnl.  No external programs and
 * no ioctls.
 */
#ifndef NETLINK_H
#define NETLINK_H

#include <jansson.h>

#include "error.h"
#include "ifaddr.h"

/* One NETLINK_ROUTE socket, opened for one request and closed after it. */
struct nl;

struct nl	*nl_open(struct rs_error *e);
void		 nl_close(struct nl *n);

/* Set the IFF_* flags in mask to their values in flags (RTM_NEWLINK). */
int		 nl_set_flags(struct nl *n, int ifindex, unsigned mask,
		     unsigned flags, struct rs_error *e);
/*
 * Give the interface address a.  IPv4: a replaces every IPv4 address the
 * interface has (as SIOCSIFADDR sets "the" address); IPv6: a is added
 * next to the others (the link-local one must stay), or updated if the
 * interface already has it.
 */
int		 nl_set_address(struct nl *n, int ifindex,
		     const struct rs_ifaddr *a, struct rs_error *e);
/*
 * The interface as the kernel has it now: {"name", "index", "flags"
 * (IFF_* names), "mtu", "mac", "promiscuity" (the kernel's count),
 * "promisc" (whether the interface is promiscuous: the count or the
 * flag), "addresses": [{"family", "address", "prefix"}]}.  NULL with e
 * set.
 */
json_t		*nl_link_state(struct nl *n, int ifindex, struct rs_error *e);

#endif
