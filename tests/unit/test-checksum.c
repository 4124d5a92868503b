/*
 * Unit tests: proto/checksum.c.  The CLISP seed frame, vectors computed
 * by an independent implementation (Python, RFC 1071), every malformed
 * case, and frames cut at every length and mutated at random: the ASan
 * build proves no read past the end (buffers are malloc'd to the exact
 * length).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "checksum.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static const uint8_t mac_hdr[12] = {
	0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1
};
static const uint8_t src4[4] = { 198, 18, 0, 1 }, dst4[4] = { 198, 18, 0, 2 };
static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned
get16(const uint8_t *p)
{
	return (unsigned)(p[0] << 8 | p[1]);
}

/* Ethernet header (with ntags 802.1Q tags) for type; its length. */
static size_t
ether(uint8_t *f, unsigned type, int ntags)
{
	size_t off = 12;
	int i;

	memcpy(f, mac_hdr, 12);
	for (i = 0; i < ntags; i++, off += 4) {
		put16(f + off, i == 0 && ntags == 2 ? 0x88a8 : 0x8100);
		put16(f + off + 2, 100 + (unsigned)i);
	}
	put16(f + off, type);
	return off + 2;
}

/* IPv4 header with optlen bytes of options (NOPs); its length. */
static size_t
ipv4(uint8_t *p, int proto, size_t optlen, size_t l4len)
{
	size_t hlen = 20 + optlen;

	memset(p, 0, hlen);
	p[0] = (uint8_t)(0x40 | hlen / 4);
	put16(p + 2, (unsigned)(hlen + l4len));
	put16(p + 4, 0x1c46);
	p[6] = 0x40;
	p[8] = 64;
	p[9] = (uint8_t)proto;
	memcpy(p + 12, src4, 4);
	memcpy(p + 16, dst4, 4);
	memset(p + 20, 1, optlen);
	return hlen;
}

static size_t
ipv6(uint8_t *p, int nh, size_t plen)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, (unsigned)plen);
	p[6] = (uint8_t)nh;
	p[7] = 64;
	memcpy(p + 8, src6, 16);
	memcpy(p + 24, dst6, 16);
	return 40;
}

static const uint8_t udp_hello[] = {
	0x04, 0xd2, 0x16, 0x2e, 0x00, 0x0d, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'
};
static const uint8_t tcp_syn[20] = {
	0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff
};
static const uint8_t icmp6_echo[] = { 128, 0, 0, 0, 0, 7, 0, 1, 'a', 'b', 'c' };
static const uint8_t icmp_echo[] = {
	8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g', '!'
};

/* Sum of 16-bit words, folded: 0xffff when a checksum verifies. */
static unsigned
fold(const uint8_t *p, size_t n, unsigned long acc)
{
	size_t i;

	for (i = 0; i < n; i++)
		acc += i % 2 == 0 ? (unsigned long)p[i] << 8 : p[i];
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (unsigned)acc;
}

static uint16_t
ok(uint8_t *f, size_t n, enum rs_csum_kind kind)
{
	const char *why = NULL;
	uint16_t sum = 0;

	if (rs_csum_ether(f, n, kind, &sum, &why) != 0)
		fail_msg("refused: %s", why);
	return sum;
}

static void
refused(uint8_t *f, size_t n, enum rs_csum_kind kind, const char *needle)
{
	const char *why = NULL;
	uint8_t *copy = malloc(n + 1);

	memcpy(copy, f, n);
	assert_int_equal(rs_csum_ether(f, n, kind, NULL, &why), -1);
	assert_non_null(why);
	if (strstr(why, needle) == NULL)
		fail_msg("'%s' not in '%s'", needle, why);
	assert_memory_equal(copy, f, n);	/* untouched */
	free(copy);
}

/*
 * CLISP's test.tst: 1024 bytes, zero but for an IPv4 header (total length
 * 40, TTL 64, protocol TCP, source 10.0.0.10).  The checksum written at
 * bytes 24-25 is 70 c7: 0x70c7 = 28871 read in network byte order, the
 * value we return.  CLISP returns 51056 = 0xc770: the same two bytes read
 * as a little-endian (host order on x86) short.  Bytes after the total
 * length are padding and not covered.
 */
static void
test_seed_frame(void **state)
{
	uint8_t *f = calloc(1, 1024);

	f[12] = 8;
	f[14] = 0x45;
	f[17] = 40;
	f[22] = 0x40;
	f[23] = 6;
	f[26] = 10;
	f[29] = 10;
	assert_int_equal(ok(f, 1024, RS_CSUM_IP), 28871);
	assert_int_equal(f[24], 0x70);
	assert_int_equal(f[25], 0xc7);
	assert_int_equal(f[24] | f[25] << 8, 51056);
	/* Idempotent: the field is zeroed before summing. */
	assert_int_equal(ok(f, 1024, RS_CSUM_IP), 28871);
	free(f);
}

static void
test_vectors(void **state)
{
	static const uint8_t wiki[20] = {	/* Wikipedia's IPv4 example */
		0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0xb8, 0x61,
		0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7
	};
	uint8_t f[256];
	size_t o, h;

	o = ether(f, 0x0800, 0);
	memcpy(f + o, wiki, 20);
	f[o + 10] = f[o + 11] = 0;
	memset(f + o + 20, 0, 0x73 - 20);
	assert_int_equal(ok(f, o + 0x73, RS_CSUM_IP), 0xb861);

	/* UDP over IPv4, odd payload: udp 0x14da, ip 0x925e. */
	h = ipv4(f + o, 17, 0, sizeof udp_hello);
	memcpy(f + o + h, udp_hello, sizeof udp_hello);
	assert_int_equal(ok(f, o + h + sizeof udp_hello, RS_CSUM_UDP), 0x14da);
	assert_int_equal(get16(f + o + h + 6), 0x14da);
	assert_int_equal(get16(f + o + 10), 0);	/* only what was asked */
	assert_int_equal(ok(f, o + h + sizeof udp_hello, RS_CSUM_IP), 0x925e);

	/* ICMP echo over IPv4: 0xe5f9, no pseudo-header. */
	h = ipv4(f + o, 1, 0, sizeof icmp_echo);
	memcpy(f + o + h, icmp_echo, sizeof icmp_echo);
	assert_int_equal(ok(f, o + h + sizeof icmp_echo, RS_CSUM_ICMP), 0xe5f9);

	/* TCP SYN over IPv6 (0xb7dc), ICMPv6 echo (0x5fda), "icmp" on IPv6
	 * meaning ICMPv6 as PROTOCOL.md's kind list says. */
	o = ether(f, 0x86dd, 0);
	h = ipv6(f + o, 6, sizeof tcp_syn);
	memcpy(f + o + h, tcp_syn, sizeof tcp_syn);
	assert_int_equal(ok(f, o + h + sizeof tcp_syn, RS_CSUM_TCP), 0xb7dc);
	h = ipv6(f + o, 58, sizeof icmp6_echo);
	memcpy(f + o + h, icmp6_echo, sizeof icmp6_echo);
	assert_int_equal(ok(f, o + h + sizeof icmp6_echo, RS_CSUM_ICMPV6),
	    0x5fda);
	f[o + h + 2] = 0xaa;
	assert_int_equal(ok(f, o + h + sizeof icmp6_echo, RS_CSUM_ICMP),
	    0x5fda);
}

/* A computed 0 is written as 0xffff (RFC 768), over IPv4 and IPv6. */
static void
test_udp_zero(void **state)
{
	uint8_t f[128];
	size_t o, h, n;
	uint16_t c;
	int v6;

	for (v6 = 0; v6 <= 1; v6++) {
		o = ether(f, v6 ? 0x86dd : 0x0800, 0);
		h = v6 ? ipv6(f + o, 17, 10) : ipv4(f + o, 17, 0, 10);
		memcpy(f + o + h, udp_hello, 8);
		put16(f + o + h + 4, 10);
		put16(f + o + h + 8, 0);
		n = o + h + 10;
		/* A payload word equal to the checksum without it makes the
		 * sum 0xffff, the checksum 0. */
		c = ok(f, n, RS_CSUM_UDP);
		put16(f + o + h + 8, c);
		assert_int_equal(ok(f, n, RS_CSUM_UDP), 0xffff);
		assert_int_equal(get16(f + o + h + 6), 0xffff);
	}
}

/* Options, VLAN tags, IPv6 extension headers, padding: verify by sums. */
static void
test_shapes(void **state)
{
	uint8_t f[256];
	size_t o, h, n, x;
	unsigned long ph;
	int tags;

	for (tags = 0; tags <= 2; tags++) {
		o = ether(f, 0x0800, tags);
		h = ipv4(f + o, 6, 40, sizeof tcp_syn + 3);
		memcpy(f + o + h, tcp_syn, sizeof tcp_syn);
		memcpy(f + o + h + sizeof tcp_syn, "xyz", 3);
		n = o + h + sizeof tcp_syn + 3;
		memset(f + n, 0xee, 10);	/* padding, not covered */
		ok(f, n + 10, RS_CSUM_TCP);
		ok(f, n + 10, RS_CSUM_IP);
		assert_int_equal(h, 60);
		assert_int_equal(fold(f + o, h, 0), 0xffff);
		ph = fold(src4, 4, 0) + fold(dst4, 4, 0) + 6 + 23;
		assert_int_equal(fold(f + o + h, 23, ph), 0xffff);
	}
	/* IPv6: hop-by-hop (8), destination options (16), routing with no
	 * segments left (8), atomic fragment (8), then UDP. */
	o = ether(f, 0x86dd, 1);
	x = 40;
	h = ipv6(f + o, 0, x + sizeof udp_hello);
	memset(f + o + h, 0, x);
	f[o + h] = 60;
	f[o + h + 8] = 43;
	f[o + h + 9] = 1;
	f[o + h + 24] = 44;
	f[o + h + 32] = 17;
	memcpy(f + o + h + x, udp_hello, sizeof udp_hello);
	n = o + h + x + sizeof udp_hello;
	ok(f, n, RS_CSUM_UDP);
	ph = fold(src6, 16, 0) + fold(dst6, 16, 0) + 17 + 13;
	assert_int_equal(fold(f + o + h + x, 13, ph), 0xffff);
	/* AH (length in 4-byte units + 2): 12 bytes, then TCP. */
	h = ipv6(f + o, 51, 12 + sizeof tcp_syn);
	memset(f + o + h, 0, 12);
	f[o + h] = 6;
	f[o + h + 1] = 1;
	memcpy(f + o + h + 12, tcp_syn, sizeof tcp_syn);
	ok(f, o + h + 12 + sizeof tcp_syn, RS_CSUM_TCP);
	ph = fold(src6, 16, 0) + fold(dst6, 16, 0) + 6 + 20;
	assert_int_equal(fold(f + o + h + 12, 20, ph), 0xffff);
}

/* fix_checksums: IPv4 header and L4; L3 entry; fragments keep L4. */
static void
test_all(void **state)
{
	const char *why;
	uint8_t f[128], *p;
	size_t o, h;
	uint16_t sum;

	o = ether(f, 0x0800, 0);
	p = f + o;
	h = ipv4(p, 17, 4, sizeof udp_hello);
	memcpy(p + h, udp_hello, sizeof udp_hello);
	sum = ok(f, o + h + sizeof udp_hello, RS_CSUM_ALL);
	assert_int_equal(sum, get16(p + h + 6));
	assert_int_equal(fold(p, h, 0), 0xffff);
	assert_int_not_equal(get16(p + h + 6), 0);

	put16(p + 10, 0);
	put16(p + h + 6, 0);
	assert_int_equal(rs_csum_l3(p, h + sizeof udp_hello, 0, RS_CSUM_ALL,
	    &sum, &why), 0);
	assert_int_equal(fold(p, h, 0), 0xffff);
	assert_int_equal(get16(p + h + 6), sum);
	assert_int_equal(rs_csum_l3(p, 60, 0x86dd,
	    RS_CSUM_ALL, &sum, &why), -1);
	assert_string_equal(why, "the IPv6 header's version is not 6");

	/* A fragment: the header is fixed, the L4 bytes are not touched. */
	put16(p + h + 6, 0x1234);
	p[6] = 0x20;	/* more fragments */
	assert_int_equal(rs_csum_l3(p, h + sizeof udp_hello, 0x0800,
	    RS_CSUM_ALL, &sum, &why), 0);
	assert_int_equal(fold(p, h, 0), 0xffff);
	assert_int_equal(get16(p + h + 6), 0x1234);
	refused(f, o + h + sizeof udp_hello, RS_CSUM_UDP, "IPv4 fragment");

	/* An unknown protocol: only the header. */
	p[6] = 0x40;
	p[9] = 99;
	sum = ok(f, o + h + sizeof udp_hello, RS_CSUM_ALL);
	assert_int_equal(sum, get16(p + 10));
	assert_int_equal(get16(p + h + 6), 0x1234);
}

static void
test_malformed(void **state)
{
	uint8_t f[256];
	size_t o, h, n;

	memset(f, 0, sizeof f);
	refused(f, 13, RS_CSUM_IP, "too short for an ethernet header");
	o = ether(f, 0x0806, 0);
	refused(f, 60, RS_CSUM_IP, "ethertype is not IPv4 or IPv6");
	o = ether(f, 0x0800, 0);
	refused(f, o + 19, RS_CSUM_IP, "too short for an IPv4 header");
	o = ether(f, 0x8100, 0);
	put16(f + 14, 1);
	refused(f, 17, RS_CSUM_IP, "VLAN tag truncated");
	put16(f + 16, 0x8100);
	put16(f + 20, 0x8100);
	put16(f + 24, 0x0800);
	refused(f, 100, RS_CSUM_IP, "more than two VLAN tags");

	o = ether(f, 0x0800, 0);
	h = ipv4(f + o, 6, 0, sizeof tcp_syn);
	memcpy(f + o + h, tcp_syn, sizeof tcp_syn);
	n = o + h + sizeof tcp_syn;
	f[o] = 0x44;
	refused(f, n, RS_CSUM_IP, "IHL) below 5");
	f[o] = 0x4f;
	refused(f, n, RS_CSUM_IP, "IHL) beyond the end");
	f[o] = 0x65;
	refused(f, n, RS_CSUM_IP, "version is not 4");
	f[o] = 0x45;
	put16(f + o + 2, 19);
	refused(f, n, RS_CSUM_IP, "total length below the header length");
	put16(f + o + 2, 41);
	refused(f, n, RS_CSUM_IP, "total length beyond the end");
	put16(f + o + 2, 39);
	refused(f, n, RS_CSUM_TCP, "TCP header truncated");
	put16(f + o + 2, 40);
	f[o + h + 12] = 0x40;
	refused(f, n, RS_CSUM_TCP, "TCP data offset below 5");
	f[o + h + 12] = 0x60;
	refused(f, n, RS_CSUM_TCP, "TCP data offset beyond the IP payload");
	refused(f, n, RS_CSUM_ALL, "TCP data offset beyond");
	f[o + h + 12] = 0x50;
	refused(f, n, RS_CSUM_UDP, "IPv4 protocol is not UDP");
	refused(f, n, RS_CSUM_ICMP, "IPv4 protocol is not ICMP");
	refused(f, n, RS_CSUM_ICMPV6, "ICMPv6 needs an IPv6 packet");
	f[o + 9] = 17;
	put16(f + o + h + 4, 7);
	refused(f, n, RS_CSUM_UDP, "UDP length below 8");
	put16(f + o + h + 4, 21);
	refused(f, n, RS_CSUM_UDP, "UDP length beyond the IP payload");
	put16(f + o + 2, 27);
	refused(f, n, RS_CSUM_UDP, "UDP header truncated");
	f[o + 9] = 1;
	refused(f, n, RS_CSUM_ICMP, "ICMP header truncated");
	refused(f, n, RS_CSUM_TCP, "IPv4 protocol is not TCP");

	o = ether(f, 0x86dd, 0);
	h = ipv6(f + o, 6, sizeof tcp_syn);
	memcpy(f + o + h, tcp_syn, sizeof tcp_syn);
	n = o + h + sizeof tcp_syn;
	refused(f, n, RS_CSUM_IP, "IPv6 has no header checksum");
	refused(f, n - 21, RS_CSUM_TCP, "too short for an IPv6 header");
	refused(f, n - 1, RS_CSUM_TCP, "payload length beyond the end");
	refused(f, n, RS_CSUM_UDP, "IPv6 next header is not UDP");
	refused(f, n, RS_CSUM_ICMPV6, "IPv6 next header is not ICMPv6");
	f[o] = 0x40;
	refused(f, n, RS_CSUM_TCP, "version is not 6");
	f[o] = 0x60;
	put16(f + o + 4, 0);
	refused(f, n, RS_CSUM_TCP, "jumbogram");
	put16(f + o + 4, 19);
	refused(f, n, RS_CSUM_TCP, "TCP header truncated");
	put16(f + o + 4, 20);
	f[o + 6] = 0;		/* hop-by-hop of 24 bytes in 20 */
	f[o + h + 1] = 2;
	refused(f, n, RS_CSUM_TCP, "extension header truncated");
	put16(f + o + 4, 4);
	refused(f, o + h + 4, RS_CSUM_TCP, "extension header truncated");
	f[o + 6] = 43;		/* routing, 1 segment left */
	f[o + h + 1] = 0;
	f[o + h + 3] = 1;
	put16(f + o + 4, 20);
	refused(f, n, RS_CSUM_TCP, "segments left");
	f[o + 6] = 60;		/* destination options: a home address */
	memset(f + o + h, 0, 8);
	f[o + h] = 6;
	f[o + h + 2] = 0;	/* Pad1, then option 0xc9 of length 4 */
	f[o + h + 3] = 0xc9;
	f[o + h + 4] = 4;
	refused(f, n, RS_CSUM_TCP, "home address option");
	f[o + h + 3] = 1;	/* PadN instead: walked */
	put16(f + o + 4, 8 + sizeof tcp_syn);
	memcpy(f + o + h + 8, tcp_syn, sizeof tcp_syn);
	ok(f, o + h + 8 + sizeof tcp_syn, RS_CSUM_TCP);
	put16(f + o + 4, 20);
	f[o + 6] = 44;		/* a real fragment */
	put16(f + o + h + 2, 1);
	refused(f, n, RS_CSUM_TCP, "IPv6 fragment");
	f[o + 6] = 50;
	refused(f, n, RS_CSUM_TCP, "ESP");
	f[o + 6] = 59;
	refused(f, n, RS_CSUM_TCP, "'none'");
	memset(f + o + h, 0, 72);	/* nine hop-by-hop headers */
	f[o + 6] = 0;
	put16(f + o + 4, 72);
	refused(f, o + h + 72, RS_CSUM_TCP, "more than 8 IPv6 extension");
}

/*
 * An IPv4 loose or strict source route with hops left: the L4 checksum is
 * the final destination's, so L4 kinds are refused; the header checksum
 * is still made, and a route already followed (pointer past it) is fine.
 */
static void
test_ipv4_source_route(void **state)
{
	static const uint8_t types[] = { 131, 137 };	/* LSRR, SSRR */
	uint8_t f[128];
	size_t o, h, n, i;

	for (i = 0; i < sizeof types; i++) {
		o = ether(f, 0x0800, 0);
		h = ipv4(f + o, 17, 8, sizeof udp_hello);
		/* NOP, then the route: type, length 7, pointer 4, one
		 * address. */
		f[o + 21] = types[i];
		f[o + 22] = 7;
		f[o + 23] = 4;
		memcpy(f + o + 24, dst4, 4);
		memcpy(f + o + h, udp_hello, sizeof udp_hello);
		n = o + h + sizeof udp_hello;
		refused(f, n, RS_CSUM_UDP, "source route with hops left");
		ok(f, n, RS_CSUM_IP);
		assert_int_equal(fold(f + o, h, 0), 0xffff);
		f[o + 23] = 8;		/* followed: the pointer is past it */
		ok(f, n, RS_CSUM_UDP);
	}
	(void)state;
}

/* Valid frames of every shape, cut at every length and mutated. */
static size_t
build(uint8_t *f, int shape)
{
	size_t o, h;

	switch (shape) {
	case 0:
		o = ether(f, 0x0800, 2);
		h = ipv4(f + o, 6, 12, sizeof tcp_syn + 1);
		memcpy(f + o + h, tcp_syn, sizeof tcp_syn);
		return o + h + sizeof tcp_syn + 1;
	case 1:
		o = ether(f, 0x0800, 0);
		h = ipv4(f + o, 17, 0, sizeof udp_hello);
		memcpy(f + o + h, udp_hello, sizeof udp_hello);
		return o + h + sizeof udp_hello;
	case 2:
		o = ether(f, 0x0800, 1);
		h = ipv4(f + o, 1, 4, sizeof icmp_echo);
		memcpy(f + o + h, icmp_echo, sizeof icmp_echo);
		return o + h + sizeof icmp_echo;
	case 3:
		o = ether(f, 0x86dd, 0);
		h = ipv6(f + o, 60, 16 + sizeof icmp6_echo);
		memset(f + o + h, 0, 16);
		f[o + h] = 58;
		f[o + h + 1] = 1;
		memcpy(f + o + h + 16, icmp6_echo, sizeof icmp6_echo);
		return o + h + 16 + sizeof icmp6_echo;
	default:
		o = ether(f, 0x86dd, 1);
		h = ipv6(f + o, 17, sizeof udp_hello);
		memcpy(f + o + h, udp_hello, sizeof udp_hello);
		return o + h + sizeof udp_hello;
	}
}

static void
try_all(const uint8_t *f, size_t n, size_t full, bool must_fail)
{
	enum rs_csum_kind k;
	const char *why;
	uint8_t *copy;

	for (k = RS_CSUM_IP; k <= RS_CSUM_ALL; k++) {
		/* Exactly n bytes: ASan sees any read past the end. */
		copy = malloc(n > 0 ? n : 1);
		memcpy(copy, f, n);
		if (rs_csum_ether(copy, n, k, NULL, &why) == 0 && must_fail)
			fail_msg("kind %d accepted %zu of %zu bytes", k, n,
			    full);
		free(copy);
	}
}

static void
test_truncated_and_mutated(void **state)
{
	uint8_t f[256], m[256];
	size_t n, len, i;
	unsigned seed = 1;
	int shape, round;

	for (shape = 0; shape < 5; shape++) {
		n = build(f, shape);
		ok(f, n, RS_CSUM_ALL);
		for (len = 0; len < n; len++)
			try_all(f, len, n, true);
		for (round = 0; round < 2000; round++) {
			memcpy(m, f, n);
			for (i = 0; i < 1 + (size_t)round % 4; i++) {
				seed = seed * 1103515245 + 12345;
				m[(seed >> 8) % n] = (uint8_t)(seed >> 20);
			}
			seed = seed * 1103515245 + 12345;
			try_all(m, n - (seed >> 8) % 8, n, false);
		}
	}
}

static void
test_kind_names(void **state)
{
	assert_int_equal(rs_csum_kind_parse("ip"), RS_CSUM_IP);
	assert_int_equal(rs_csum_kind_parse("icmp"), RS_CSUM_ICMP);
	assert_int_equal(rs_csum_kind_parse("icmpv6"), RS_CSUM_ICMPV6);
	assert_int_equal(rs_csum_kind_parse("tcp"), RS_CSUM_TCP);
	assert_int_equal(rs_csum_kind_parse("udp"), RS_CSUM_UDP);
	assert_int_equal(rs_csum_kind_parse("all"), -1);
	assert_int_equal(rs_csum_kind_parse("TCP"), -1);
	assert_int_equal(rs_csum_kind_parse(""), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_frame),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_udp_zero),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_ipv4_source_route),
		cmocka_unit_test(test_truncated_and_mutated),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
