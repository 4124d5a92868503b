/*
 * Internet checksums of ethernet frames and IP packets, in place.
 *
 * The headers are parsed and every length checked first (the frame's
 * real length, IHL, total / payload length, extension header lengths, the
 * TCP data offset, the UDP length); only then are checksum fields written,
 * so a malformed frame is refused whole and never read past its end.
 * Bytes after the IP total / payload length (ethernet padding) are not
 * covered, as a receiver would not cover them.
 */
#include <stdbool.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>

#include "checksum.h"

#define OPT_HOME_ADDRESS	0xc9	/* Mobile IPv6's option (RFC 6275) */
#define ETH_HEADER	14
#define TYPE_IP		0x0800
#define TYPE_IPV6	0x86dd
#define TYPE_8021Q	0x8100
#define TYPE_8021AD	0x88a8
#define MAX_VLAN_TAGS	2
#define MAX_IPV6_EXT	8

/* An IP packet as far as the checksums need it. */
struct ip_pkt {
	int		 version;
	uint8_t		*hdr;
	size_t		 hlen;		/* IPv4: IHL * 4 */
	const uint8_t	*src, *dst;	/* pseudo-header addresses */
	size_t		 alen;
	int		 proto;		/* upper-layer protocol, -1: none */
	const char	*no_l4;		/* why proto is -1 */
	uint8_t		*l4;
	size_t		 l4len;		/* by the IP lengths */
};

/* What an L4 checksum covers. */
struct l4_span {
	uint8_t		*p;
	size_t		 len;
	size_t		 off;		/* of the checksum field */
	bool		 pseudo;	/* preceded by the pseudo-header */
	bool		 udp;		/* 0 is sent as 0xffff */
};

static const struct {
	const char		*name;
	enum rs_csum_kind	 kind;
} kinds[] = {
	{ "ip", RS_CSUM_IP },
	{ "icmp", RS_CSUM_ICMP },
	{ "icmpv6", RS_CSUM_ICMPV6 },
	{ "tcp", RS_CSUM_TCP },
	{ "udp", RS_CSUM_UDP },
};

int
rs_csum_kind_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strcmp(kinds[i].name, name) == 0)
			return (int)kinds[i].kind;
	}
	return -1;
}

static int
fail(const char **why, const char *msg)
{
	*why = msg;
	return -1;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071: big-endian 16-bit words, an odd last byte padded with 0. */
static uint64_t
sum_words(uint64_t acc, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n % 2 == 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

/* Zero the field, sum, write the complement; the value as written. */
static uint16_t
put_sum(uint8_t *field, uint64_t acc, const uint8_t *p, size_t n,
    bool udp)
{
	uint16_t sum;

	field[0] = field[1] = 0;
	acc = sum_words(acc, p, n);
	while (acc >> 16 != 0)
		acc = (acc & 0xffff) + (acc >> 16);
	sum = (uint16_t)~acc;
	/* RFC 768 / RFC 8200: a computed 0 is sent as all ones (0 means
	 * "no checksum" over IPv4 and is invalid over IPv6). */
	if (sum == 0 && udp)
		sum = 0xffff;
	field[0] = (uint8_t)(sum >> 8);
	field[1] = (uint8_t)sum;
	return sum;
}

/*
 * A loose or strict source route with hops left (its pointer within the
 * option): the L4 pseudo-header takes the route's last address, not the
 * header's destination (the next hop).  A malformed option list ends the
 * scan; the kernel drops such a packet anyway.
 */
static bool
ipv4_source_routed(const uint8_t *p, size_t hlen)
{
	size_t off = 20, len;

	while (off < hlen && p[off] != IPOPT_EOL) {
		if (p[off] == IPOPT_NOP) {
			off++;
			continue;
		}
		if (hlen - off < 2 || (len = p[off + 1]) < 2 ||
		    len > hlen - off)
			return false;
		if ((p[off] == IPOPT_LSRR || p[off] == IPOPT_SSRR) &&
		    len >= 3 && p[off + 2] <= len)
			return true;
		off += len;
	}
	return false;
}

static int
parse_ipv4(uint8_t *p, size_t n, struct ip_pkt *ip, const char **why)
{
	size_t total;

	if (n < 20)
		return fail(why, "too short for an IPv4 header");
	if (p[0] >> 4 != 4)
		return fail(why, "the IPv4 header's version is not 4");
	ip->hlen = (size_t)(p[0] & 0x0f) * 4;
	if (ip->hlen < 20)
		return fail(why, "IPv4 header length (IHL) below 5 words");
	if (ip->hlen > n)
		return fail(why, "IPv4 header length (IHL) beyond the end of "
		    "the frame");
	total = get16(p + 2);
	if (total < ip->hlen)
		return fail(why, "IPv4 total length below the header length");
	if (total > n)
		return fail(why, "IPv4 total length beyond the end of the "
		    "frame");
	ip->version = 4;
	ip->hdr = p;
	ip->src = p + 12;
	ip->dst = p + 16;
	ip->alen = 4;
	ip->l4 = p + ip->hlen;
	ip->l4len = total - ip->hlen;
	/* More fragments, or an offset: not the whole datagram. */
	if ((p[6] & 0x3f) != 0 || p[7] != 0) {
		ip->proto = -1;
		ip->no_l4 = "IPv4 fragment: the L4 checksum covers the whole "
		    "datagram";
	} else if (ipv4_source_routed(p, ip->hlen)) {
		ip->proto = -1;
		ip->no_l4 = "IPv4 source route with hops left: the "
		    "pseudo-header's destination is not the IPv4 header's";
	} else
		ip->proto = p[9];
	return 0;
}

static bool
ipv6_ext(int nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	    nh == IPPROTO_FRAGMENT || nh == IPPROTO_DSTOPTS ||
	    nh == IPPROTO_AH || nh == IPPROTO_ESP || nh == IPPROTO_NONE;
}

bool
rs_ipv6_home_address(const uint8_t *h, size_t n)
{
	size_t i;

	for (i = 2; i < n; i += h[i] == IP6OPT_PAD1 ? 1 :
	    2 + (size_t)h[i + 1]) {
		if (h[i] == OPT_HOME_ADDRESS)
			return true;
		if (h[i] != IP6OPT_PAD1 && i + 1 >= n)
			break;
	}
	return false;
}

/*
 * Walk the extension headers to the upper-layer one.  A routing header
 * with segments left is refused: the pseudo-header would need the final
 * destination, which is not the IPv6 header's; so is a home address
 * option, which stands for the source.
 */
static int
walk_ipv6(struct ip_pkt *ip, uint8_t *p, size_t end, const char **why)
{
	size_t off = 40, hlen;
	int nh = p[6], i;

	for (i = 0; ipv6_ext(nh); i++) {
		if (i == MAX_IPV6_EXT)
			return fail(why, "more than 8 IPv6 extension headers");
		if (nh == IPPROTO_ESP || nh == IPPROTO_NONE) {
			ip->no_l4 = nh == IPPROTO_ESP ? "IPv6 ESP: the payload "
			    "is encrypted" : "IPv6 next header is 'none'";
			nh = -1;
			break;
		}
		if (end - off < 8)
			return fail(why, "IPv6 extension header truncated");
		if (nh == IPPROTO_AH)
			hlen = ((size_t)p[off + 1] + 2) * 4;
		else if (nh == IPPROTO_FRAGMENT)
			hlen = 8;
		else
			hlen = ((size_t)p[off + 1] + 1) * 8;
		if (hlen > end - off)
			return fail(why, "IPv6 extension header truncated");
		if (nh == IPPROTO_ROUTING && p[off + 3] != 0)
			return fail(why, "IPv6 routing header with segments "
			    "left: the pseudo-header's destination is not the "
			    "IPv6 header's");
		if (nh == IPPROTO_DSTOPTS && rs_ipv6_home_address(p + off, hlen))
			return fail(why, "IPv6 home address option: the "
			    "pseudo-header's source is not the IPv6 header's");
		/* An atomic fragment (offset 0, no more) is the whole
		 * datagram. */
		if (nh == IPPROTO_FRAGMENT && (get16(p + off + 2) & 0xfff9)) {
			ip->no_l4 = "IPv6 fragment: the L4 checksum covers the "
			    "whole datagram";
			nh = -1;
			break;
		}
		nh = p[off];
		off += hlen;
	}
	ip->proto = nh;
	ip->l4 = p + off;
	ip->l4len = end - off;
	return 0;
}

static int
parse_ipv6(uint8_t *p, size_t n, struct ip_pkt *ip, const char **why)
{
	size_t plen;

	if (n < 40)
		return fail(why, "too short for an IPv6 header");
	if (p[0] >> 4 != 6)
		return fail(why, "the IPv6 header's version is not 6");
	plen = get16(p + 4);
	if (plen == 0)
		return fail(why, "IPv6 payload length 0 (jumbogram) is not "
		    "supported");
	if (plen > n - 40)
		return fail(why, "IPv6 payload length beyond the end of the "
		    "frame");
	ip->version = 6;
	ip->hdr = p;
	ip->src = p + 8;
	ip->dst = p + 24;
	ip->alen = 16;
	return walk_ipv6(ip, p, 40 + plen, why);
}

/* Check the L4 header the IP packet carries and what its sum covers. */
static int
l4_span(const struct ip_pkt *ip, struct l4_span *s, const char **why)
{
	const uint8_t *p = ip->l4;
	size_t n = ip->l4len, doff, ulen;

	*s = (struct l4_span){ .p = ip->l4, .len = n, .pseudo = true };
	switch (ip->proto) {
	case IPPROTO_ICMP:
		s->pseudo = false;
		/* FALLTHROUGH */
	case IPPROTO_ICMPV6:
		if (n < 8)
			return fail(why, "ICMP header truncated");
		s->off = 2;
		return 0;
	case IPPROTO_TCP:
		if (n < 20)
			return fail(why, "TCP header truncated");
		doff = (size_t)(p[12] >> 4) * 4;
		if (doff < 20)
			return fail(why, "TCP data offset below 5 words");
		if (doff > n)
			return fail(why, "TCP data offset beyond the IP payload");
		s->off = 16;
		return 0;
	case IPPROTO_UDP:
		if (n < 8)
			return fail(why, "UDP header truncated");
		ulen = get16(p + 4);
		if (ulen < 8)
			return fail(why, "UDP length below 8");
		if (ulen > n)
			return fail(why, "UDP length beyond the IP payload");
		s->len = ulen;
		s->off = 6;
		s->udp = true;
		return 0;
	}
	return fail(why, "no checksum for this protocol");
}

static uint16_t
l4_write(const struct ip_pkt *ip, const struct l4_span *s)
{
	uint64_t acc = 0;

	/* The pseudo-header: addresses, protocol, upper-layer length (16
	 * bits for IPv4, 32 for IPv6: the same sum below 64 KiB). */
	if (s->pseudo) {
		acc = sum_words(acc, ip->src, ip->alen);
		acc = sum_words(acc, ip->dst, ip->alen);
		acc += (unsigned)ip->proto + s->len;
	}
	return put_sum(s->p + s->off, acc, s->p, s->len, s->udp);
}

static uint16_t
ipv4_write(const struct ip_pkt *ip)
{
	return put_sum(ip->hdr + 10, 0, ip->hdr, ip->hlen, false);
}

/* The protocol an explicit kind needs, or -1 with *why. */
static int
kind_proto(const struct ip_pkt *ip, enum rs_csum_kind kind,
    const char **why)
{
	bool v4 = ip->version == 4;
	int want;

	switch (kind) {
	case RS_CSUM_ICMP:
		want = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
		break;
	case RS_CSUM_ICMPV6:
		if (v4)
			return fail(why, "ICMPv6 needs an IPv6 packet");
		want = IPPROTO_ICMPV6;
		break;
	case RS_CSUM_TCP:
		want = IPPROTO_TCP;
		break;
	default:
		want = IPPROTO_UDP;
		break;
	}
	if (ip->proto == -1)
		return fail(why, ip->no_l4);
	if (ip->proto == want)
		return want;
	switch (want) {
	case IPPROTO_ICMP:
		return fail(why, "the IPv4 protocol is not ICMP");
	case IPPROTO_ICMPV6:
		return fail(why, "the IPv6 next header is not ICMPv6");
	case IPPROTO_TCP:
		return fail(why, v4 ? "the IPv4 protocol is not TCP" :
		    "the IPv6 next header is not TCP");
	}
	return fail(why, v4 ? "the IPv4 protocol is not UDP" :
	    "the IPv6 next header is not UDP");
}

/* Whether RS_CSUM_ALL fixes an L4 checksum for this packet. */
static bool
all_has_l4(const struct ip_pkt *ip)
{
	switch (ip->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		return true;
	case IPPROTO_ICMP:
		return ip->version == 4;
	case IPPROTO_ICMPV6:
		return ip->version == 6;
	}
	return false;
}

static int
csum_packet(struct ip_pkt *ip, enum rs_csum_kind kind, uint16_t *sum,
    const char **why)
{
	struct l4_span s;
	uint16_t v = 0;
	bool l4;

	if (kind == RS_CSUM_IP) {
		if (ip->version != 4)
			return fail(why, "IPv6 has no header checksum");
		v = ipv4_write(ip);
	} else {
		l4 = kind == RS_CSUM_ALL ? all_has_l4(ip) :
		    kind_proto(ip, kind, why) != -1;
		if (kind != RS_CSUM_ALL && !l4)
			return -1;
		if (l4 && l4_span(ip, &s, why) == -1)
			return -1;
		if (kind == RS_CSUM_ALL && ip->version == 4)
			v = ipv4_write(ip);
		if (l4)
			v = l4_write(ip, &s);
	}
	if (sum != NULL)
		*sum = v;
	return 0;
}

int
rs_csum_l3(uint8_t *pkt, size_t len, uint16_t ethertype,
    enum rs_csum_kind kind, uint16_t *sum, const char **why)
{
	struct ip_pkt ip = { 0 };

	if (ethertype == 0) {
		if (len == 0)
			return fail(why, "empty packet");
		if (pkt[0] >> 4 == 4)
			ethertype = TYPE_IP;
		else if (pkt[0] >> 4 == 6)
			ethertype = TYPE_IPV6;
		else
			return fail(why, "the IP version is not 4 or 6");
	}
	if (ethertype == TYPE_IP) {
		if (parse_ipv4(pkt, len, &ip, why) == -1)
			return -1;
	} else if (ethertype == TYPE_IPV6) {
		if (parse_ipv6(pkt, len, &ip, why) == -1)
			return -1;
	} else
		return fail(why, "the ethertype is not IPv4 or IPv6");
	return csum_packet(&ip, kind, sum, why);
}

int
rs_csum_ether(uint8_t *frame, size_t len, enum rs_csum_kind kind,
    uint16_t *sum, const char **why)
{
	size_t off = ETH_HEADER;
	uint16_t type;
	int tags = 0;

	if (len < ETH_HEADER)
		return fail(why, "too short for an ethernet header");
	type = get16(frame + 12);
	while (type == TYPE_8021Q || type == TYPE_8021AD) {
		if (tags++ == MAX_VLAN_TAGS)
			return fail(why, "more than two VLAN tags");
		if (len - off < 4)
			return fail(why, "VLAN tag truncated");
		type = get16(frame + off + 2);
		off += 4;
	}
	if (type != TYPE_IP && type != TYPE_IPV6)
		return fail(why, "the ethertype is not IPv4 or IPv6");
	return rs_csum_l3(frame + off, len - off, type, kind, sum, why);
}
