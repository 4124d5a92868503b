/*
 * Internet checksums (RFC 1071) of IPv4 headers and of ICMP, ICMPv6, TCP
 * and UDP over IPv4 and IPv6, computed and written in place.  Pure: no
 * I/O, no allocation.  Every length is checked against the buffer and
 * against the headers' own lengths before a byte is read.
 */
#ifndef RS_CHECKSUM_H
#define RS_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rs_csum_kind {
	RS_CSUM_IP,	/* the IPv4 header checksum */
	RS_CSUM_ICMP,	/* ICMP over IPv4 (ICMPv6 over IPv6) */
	RS_CSUM_ICMPV6,
	RS_CSUM_TCP,
	RS_CSUM_UDP,
	/* fix_checksums: the IPv4 header's, then the L4 one its protocol
	 * names (TCP, UDP, ICMP, ICMPv6).  Other protocols and fragments
	 * keep their L4 bytes; *sum is the last checksum written. */
	RS_CSUM_ALL,
};

/* "ip", "icmp", "icmpv6", "tcp", "udp"; -1 for any other name. */
int	rs_csum_kind_parse(const char *name);

/*
 * frame[0..len) is an ethernet frame, with up to two 802.1Q / 802.1ad
 * tags.  Writes the checksum of kind, stores the value written (read in
 * network byte order) in *sum (may be NULL) and returns 0; or returns -1
 * with *why a static message saying what is malformed, frame untouched.
 */
int	rs_csum_ether(uint8_t *frame, size_t len, enum rs_csum_kind kind,
	    uint16_t *sum, const char **why);
/*
 * The same for a packet starting at the IP header.  ethertype ETH_P_IP or
 * ETH_P_IPV6 says which it must be; 0 takes the header's version field.
 */
int	rs_csum_l3(uint8_t *pkt, size_t len, uint16_t ethertype,
	    enum rs_csum_kind kind, uint16_t *sum, const char **why);

/* Whether an IPv6 hop-by-hop or destination options header h[0..n)
 * holds a home address option (Mobile IPv6: it stands for the source the
 * receiver takes); Pad1 is one byte, the others TLVs. */
bool	rs_ipv6_home_address(const uint8_t *h, size_t n);

#endif
