/*
 * Socket addresses on the wire (PROTOCOL.md section 3): JSON objects
 * selected by "family" (inet, inet6, unix, packet), or their canonical
 * text form, both ways.
 */
#ifndef RS_ADDR_H
#define RS_ADDR_H

#include <sys/socket.h>
#include <jansson.h>

#include "error.h"

struct rs_addr {
	struct sockaddr_storage	ss;
	socklen_t		len;	/* 0: no address */
};

/*
 * Decode an address object or its text form.  Interface names in packet
 * addresses are resolved with if_nametoindex.  On failure fills e
 * (bad_request naming `field`, or ENODEV for an unknown interface) and
 * returns -1.
 */
int	 rs_addr_from_json(const json_t *v, const char *field,
	     struct rs_addr *out, struct rs_error *e);
/* The same for an address the daemon answered with: a packet address's
 * addr may be longer than sll_addr (the sockaddr grows to hold it). */
int	 rs_addr_from_response(const json_t *v, const char *field,
	     struct rs_addr *out, struct rs_error *e);
/* Text forms: "198.18.0.1:80", "[2001:db8::1]:80", "/p", "@abstract",
 * "packet:veth0/0x0003" (interface name or index, protocol in hex). */
int	 rs_addr_from_text(const char *s, struct rs_addr *out,
	     struct rs_error *e, const char *field);

/* Full object plus "text"; NULL for an unsupported family. */
json_t	*rs_addr_to_json(const struct sockaddr *sa, socklen_t len);
/* Canonical text; returns buf, or NULL for an unsupported family. */
char	*rs_addr_text(const struct sockaddr *sa, socklen_t len, char *buf,
	     size_t size);

#endif
