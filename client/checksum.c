/*
 * librawsock's local checksums: proto/checksum.c behind the public API.
 */
#include <errno.h>

#include "checksum.h"
#include "rawsock.h"

_Static_assert(RS_CHECKSUM_IP == (int)RS_CSUM_IP &&
    RS_CHECKSUM_ICMP == (int)RS_CSUM_ICMP &&
    RS_CHECKSUM_ICMPV6 == (int)RS_CSUM_ICMPV6 &&
    RS_CHECKSUM_TCP == (int)RS_CSUM_TCP &&
    RS_CHECKSUM_UDP == (int)RS_CSUM_UDP &&
    RS_CHECKSUM_ALL == (int)RS_CSUM_ALL, "rs_checksum_kind != rs_csum_kind");

int
rs_checksum(void *frame, size_t len, int kind, uint16_t *sum,
    const char **why)
{
	const char *msg;

	if (kind < RS_CHECKSUM_IP || kind > RS_CHECKSUM_ALL)
		msg = "unknown checksum kind";
	else if (frame == NULL && len > 0)
		msg = "no frame";
	else if (rs_csum_ether(frame, len, kind, sum, &msg) == 0)
		return 0;
	if (why != NULL)
		*why = msg;
	errno = EINVAL;
	return -1;
}
