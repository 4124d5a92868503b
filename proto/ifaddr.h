/*
 * Interface addresses as configdev takes them: an IPv4 or IPv6 address
 * with a prefix length, "198.18.0.5/24" or "2001:db8::5" plus a separate
 * prefix.  Pure parsing, no I/O.
 */
#ifndef RS_IFADDR_H
#define RS_IFADDR_H

#include <netinet/in.h>

#include "error.h"

struct rs_ifaddr {
	int		family;		/* AF_INET or AF_INET6 */
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	} addr;
	int		prefix;		/* 0..32 or 0..128 */
};

/*
 * Parse text ("ADDR" or "ADDR/PREFIX") with prefix given separately
 * (< 0: not given; both given must agree).  Without any prefix a host
 * address is meant: /32 or /128.  The unspecified, multicast and limited
 * broadcast addresses are refused: an interface cannot hold them.  On
 * failure fills e with bad_request naming "address" or "prefix".
 */
int	 rs_ifaddr_parse(const char *text, long long prefix,
	     struct rs_ifaddr *out, struct rs_error *e);

#endif
