/*
 * Conversions for the name and interface ops (PROTOCOL.md section 5):
 * convert_address's two forms, the ifaddrs flag filter, and addrinfo
 * lists as JSON both ways (the daemon writes them, librawsock reads
 * them back into struct addrinfo).
 */
#ifndef RS_NETCONV_H
#define RS_NETCONV_H

#include <stdbool.h>
#include <netdb.h>
#include <jansson.h>

#include "error.h"

/*
 * convert_address: for AF_INET a dotted quad <-> its integer (the first
 * octet most significant, as inet_addr then ntohl); for AF_INET6 the text
 * form <-> base64 of the 16 bytes.  Returns the other form, or NULL with
 * e set (bad_request naming "address" or "family").
 */
json_t	*rs_convert_address(int family, const json_t *in, struct rs_error *e);

/*
 * The ifaddrs filter (CLISP's :flags-or / :flags-and): every bit of
 * flags_and set, and at least one of flags_or when flags_or is not 0.
 */
bool	 rs_iff_match(unsigned flags, unsigned flags_or, unsigned flags_and);

/*
 * An addrinfo list as a JSON array of {family, type, protocol (names,
 * or integers when unknown), address, [canonname]}.  NULL when out of
 * memory; an entry whose address cannot be shown is skipped.
 */
json_t	*rs_addrinfo_to_json(const struct addrinfo *ai);
/*
 * Back into a list (NULL for an empty array) that rs_addrinfo_free
 * frees.  -1 with e set on a malformed entry.
 */
int	 rs_addrinfo_from_json(const json_t *list, struct addrinfo **res,
	     struct rs_error *e);
void	 rs_addrinfo_free(struct addrinfo *ai);

#endif
