/*
 * Unit tests: link types, pcap compilation, bpf programs from JSON, the
 * "a then b" composition checked against libpcap's own interpreter on
 * hand-built frames (and against the kernel's checker), and attaching to
 * real loopback sockets.  The raw and packet socket checks need root and
 * skip otherwise.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <cmocka.h>

#include "filter.h"

#define SNAPLEN		262144
#define NFRAMES		(sizeof specs / sizeof specs[0])

/* Frames: designated fields only, the rest is filled in by build(). */
struct spec {
	const char	*name;
	uint16_t	 ethertype;
	uint8_t		 proto;
	uint16_t	 sport, dport;
	uint8_t		 ihl;		/* IPv4 header words; 0 means 5 */
	uint16_t	 frag;		/* IPv4 flags and fragment offset */
	size_t		 payload;
	size_t		 cut;		/* truncate to this length; 0: don't */
};

enum {
	F_ARP, F_TCP22, F_TCP80, F_UDP53, F_UDP40001, F_UDP53FRAG, F_ICMP,
	F_ICMP6, F_TCP6_22, F_UDP6_53, F_CUT,
};

static const struct spec specs[] = {
	[F_ARP] = { .name = "arp", .ethertype = ETH_P_ARP },
	[F_TCP22] = { .name = "ipv4 tcp 22 syn", .ethertype = ETH_P_IP,
	    .proto = IPPROTO_TCP, .sport = 40000, .dport = 22 },
	[F_TCP80] = { .name = "ipv4 tcp 80 data", .ethertype = ETH_P_IP,
	    .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
	    .payload = 100 },
	[F_UDP53] = { .name = "ipv4 udp 53", .ethertype = ETH_P_IP,
	    .proto = IPPROTO_UDP, .sport = 5353, .dport = 53, .payload = 30 },
	[F_UDP40001] = { .name = "ipv4+options udp 40001",
	    .ethertype = ETH_P_IP, .proto = IPPROTO_UDP, .sport = 5353,
	    .dport = 40001, .ihl = 6, .payload = 200 },
	[F_UDP53FRAG] = { .name = "ipv4 udp 53 later fragment",
	    .ethertype = ETH_P_IP, .proto = IPPROTO_UDP, .sport = 5353,
	    .dport = 53, .frag = 0x00b9, .payload = 30 },
	[F_ICMP] = { .name = "ipv4 icmp", .ethertype = ETH_P_IP,
	    .proto = IPPROTO_ICMP, .payload = 56 },
	[F_ICMP6] = { .name = "ipv6 icmpv6", .ethertype = ETH_P_IPV6,
	    .proto = IPPROTO_ICMPV6, .payload = 56 },
	[F_TCP6_22] = { .name = "ipv6 tcp 22", .ethertype = ETH_P_IPV6,
	    .proto = IPPROTO_TCP, .sport = 40000, .dport = 22,
	    .payload = 50 },
	[F_UDP6_53] = { .name = "ipv6 udp 53", .ethertype = ETH_P_IPV6,
	    .proto = IPPROTO_UDP, .sport = 5353, .dport = 53, .payload = 30 },
	[F_CUT] = { .name = "ipv4 tcp 22 cut before dport",
	    .ethertype = ETH_P_IP, .proto = IPPROTO_TCP, .sport = 40000,
	    .dport = 22, .cut = 36 },
};

struct frame {
	uint8_t		 b[320];
	size_t		 len;
};

static struct frame frames[NFRAMES];

static uint8_t *
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
	return p + 2;
}

static size_t
transport(const struct spec *s, uint8_t *p)
{
	switch (s->proto) {
	case IPPROTO_TCP:
		put16(put16(p, s->sport), s->dport);
		p[12] = 0x50;				/* data offset 5 */
		p[13] = s->payload == 0 ? 0x02 : 0x18;	/* SYN : PSH|ACK */
		put16(p + 14, 65535);
		return 20 + s->payload;
	case IPPROTO_UDP:
		put16(put16(put16(p, s->sport), s->dport), 8 + s->payload);
		return 8 + s->payload;
	case IPPROTO_ICMP:
		p[0] = 8;				/* echo request */
		return 8 + s->payload;
	default:
		p[0] = 128;				/* ICMPv6 echo */
		return 8 + s->payload;
	}
}

static size_t
ipv4(const struct spec *s, uint8_t *p)
{
	size_t hl = 4 * (s->ihl ? s->ihl : 5), l4;

	memset(p + 20, 1, hl - 20);		/* NOP options */
	l4 = transport(s, p + hl);
	p[0] = 0x40 | hl / 4;
	put16(p + 2, hl + l4);
	put16(p + 6, s->frag);
	p[8] = 64;
	p[9] = s->proto;
	memcpy(p + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	return hl + l4;
}

static size_t
ipv6(const struct spec *s, uint8_t *p)
{
	size_t l4 = transport(s, p + 40);

	p[0] = 0x60;
	put16(p + 4, l4);
	p[6] = s->proto;
	p[7] = 64;
	p[8] = 0x20; p[9] = 0x01; p[10] = 0x0d; p[11] = 0xb8; p[23] = 1;
	p[24] = 0x20; p[25] = 0x01; p[26] = 0x0d; p[27] = 0xb8; p[39] = 2;
	return 40 + l4;
}

static size_t
arp(uint8_t *p)
{
	put16(put16(p, ARPHRD_ETHER), ETH_P_IP);
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, 1);				/* request */
	memcpy(p + 8, "\x02\0\0\0\0\x01\x0a\0\0\x01", 10);
	memcpy(p + 24, "\x0a\0\0\x02", 4);
	return 46;					/* padded to 60 */
}

static void
build(const struct spec *s, struct frame *f)
{
	uint8_t *p = f->b;

	memset(f, 0, sizeof *f);
	memcpy(p, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
	put16(p + 12, s->ethertype);
	if (s->ethertype == ETH_P_ARP)
		f->len = 14 + arp(p + 14);
	else if (s->ethertype == ETH_P_IP)
		f->len = 14 + ipv4(s, p + 14);
	else
		f->len = 14 + ipv6(s, p + 14);
	assert_true(f->len <= sizeof f->b);
	if (s->cut != 0)
		f->len = s->cut;
}

static int
setup_frames(void **state)
{
	size_t i;

	for (i = 0; i < NFRAMES; i++)
		build(&specs[i], &frames[i]);
	return 0;
}

/* The same program as libpcap's type, in a buffer reused by each call. */
static const struct bpf_insn *
to_bpf(const struct filter *f)
{
	static struct bpf_insn prog[BPF_MAXINSNS];
	size_t i;

	for (i = 0; i < f->len; i++) {
		prog[i].code = f->insns[i].code;
		prog[i].jt = f->insns[i].jt;
		prog[i].jf = f->insns[i].jf;
		prog[i].k = f->insns[i].k;
	}
	return prog;
}

/* libpcap's interpreter on frame bytes from off; empty accepts all. */
static unsigned int
run_at(const struct filter *f, const struct frame *fr, size_t off)
{
	if (f->len == 0)
		return UINT_MAX;
	return bpf_filter(to_bpf(f), fr->b + off, fr->len - off,
	    fr->len - off);
}

static unsigned int
run(const struct filter *f, const struct frame *fr)
{
	return run_at(f, fr, 0);
}

static int
validates(const struct filter *f)
{
	return bpf_validate(to_bpf(f), f->len);
}

/* Bit i set: frame i accepted. */
static unsigned int
verdicts_at(const struct filter *f, size_t off)
{
	unsigned int bits = 0;
	size_t i;

	for (i = 0; i < NFRAMES; i++) {
		if (frames[i].len > off && run_at(f, &frames[i], off) != 0)
			bits |= 1u << i;
	}
	return bits;
}

static struct filter
compile(const char *expr, int linktype)
{
	struct rs_error e = { 0 };
	struct filter f;

	if (filter_compile(expr, linktype, &f, &e) != 0)
		fail_msg("'%s' did not compile: %s", expr, e.message);
	return f;
}

static struct filter
from_insns(const struct sock_filter *insns, size_t len)
{
	struct filter f = { .len = len };

	f.insns = malloc(len * sizeof *insns);
	assert_non_null(f.insns);
	memcpy(f.insns, insns, len * sizeof *insns);
	return f;
}

#define BIT(f)	(1u << (f))

static void
test_linktype(void **state)
{
	assert_int_equal(filter_linktype(AF_PACKET, SOCK_RAW, ARPHRD_ETHER),
	    DLT_EN10MB);
	assert_int_equal(filter_linktype(AF_PACKET, SOCK_RAW,
	    ARPHRD_LOOPBACK), DLT_EN10MB);
	assert_int_equal(filter_linktype(AF_PACKET, SOCK_RAW, 0), DLT_EN10MB);
	assert_int_equal(filter_linktype(AF_PACKET, SOCK_RAW, ARPHRD_NONE),
	    DLT_RAW);
	assert_int_equal(filter_linktype(AF_PACKET, SOCK_RAW, ARPHRD_IPGRE),
	    DLT_RAW);
	assert_int_equal(filter_linktype(AF_PACKET, SOCK_RAW,
	    ARPHRD_IEEE80211_RADIOTAP), -1);
	assert_int_equal(filter_linktype(AF_PACKET, SOCK_DGRAM, ARPHRD_ETHER),
	    DLT_RAW);
	assert_int_equal(filter_linktype(AF_INET, SOCK_RAW, 0), DLT_RAW);
	assert_int_equal(filter_linktype(AF_INET6, SOCK_RAW, 0), -1);
	assert_int_equal(filter_linktype(AF_INET, SOCK_DGRAM, 0), -1);
	assert_int_equal(filter_linktype(AF_INET6, SOCK_DGRAM, 0), -1);
	assert_int_equal(filter_linktype(AF_INET, SOCK_STREAM, 0), -1);
}

static const struct {
	const char	*expr;
	unsigned int	 accepts;
} en10mb_cases[] = {
	{ "arp", BIT(F_ARP) },
	{ "tcp port 22", BIT(F_TCP22) | BIT(F_TCP6_22) },
	{ "udp port 53", BIT(F_UDP53) | BIT(F_UDP6_53) },
	{ "icmp6", BIT(F_ICMP6) },
	{ "ip[2:2] > 100", BIT(F_TCP80) | BIT(F_UDP40001) },
	{ "len > 60", BIT(F_TCP80) | BIT(F_UDP53) | BIT(F_UDP40001) |
	    BIT(F_UDP53FRAG) | BIT(F_ICMP) | BIT(F_ICMP6) | BIT(F_TCP6_22) |
	    BIT(F_UDP6_53) },
	{ "ip", BIT(F_TCP22) | BIT(F_TCP80) | BIT(F_UDP53) |
	    BIT(F_UDP40001) | BIT(F_UDP53FRAG) | BIT(F_ICMP) | BIT(F_CUT) },
	{ "udp dst port 40001", BIT(F_UDP40001) },
};

/* Also proves the frames are what their names say. */
static void
test_compile_en10mb(void **state)
{
	struct filter f;
	size_t i;

	for (i = 0; i < sizeof en10mb_cases / sizeof en10mb_cases[0]; i++) {
		f = compile(en10mb_cases[i].expr, DLT_EN10MB);
		assert_true(f.len > 0);
		assert_int_equal(f.insns[f.len - 1].code & 0x07, BPF_RET);
		if (verdicts_at(&f, 0) != en10mb_cases[i].accepts)
			fail_msg("'%s' accepts %#x, expected %#x",
			    en10mb_cases[i].expr, verdicts_at(&f, 0),
			    en10mb_cases[i].accepts);
		filter_free(&f);
	}
}

/* DLT_RAW programs read the frames from the IP header on. */
static void
test_compile_raw(void **state)
{
	struct filter f;

	f = compile("udp port 53", DLT_RAW);
	assert_int_equal(verdicts_at(&f, 14), BIT(F_UDP53) | BIT(F_UDP6_53));
	filter_free(&f);
	f = compile("ip6", DLT_RAW);
	assert_int_equal(verdicts_at(&f, 14),
	    BIT(F_ICMP6) | BIT(F_TCP6_22) | BIT(F_UDP6_53));
	filter_free(&f);
	f = compile("udp dst port 40001", DLT_RAW);
	assert_int_equal(verdicts_at(&f, 14), BIT(F_UDP40001));
	filter_free(&f);
}

static void
compile_fails(const char *expr, int linktype, const char *expected)
{
	struct rs_error e = { 0 };
	struct filter f = { .len = 99 };

	assert_int_equal(filter_compile(expr, linktype, &f, &e), -1);
	assert_int_equal(e.kind, RS_E_BAD_REQUEST);
	assert_null(f.insns);
	assert_int_equal(f.len, 0);
	if (strstr(e.message, expected) == NULL)
		fail_msg("'%s' not in '%s'", expected, e.message);
}

/* The message is pcap's own, as pcap gives it for the same input. */
static void
pcap_refuses(const char *expr, int linktype)
{
	struct bpf_program prog;
	char want[PCAP_ERRBUF_SIZE + 16];
	pcap_t *p;

	p = pcap_open_dead(linktype, SNAPLEN);
	assert_non_null(p);
	assert_int_equal(pcap_compile(p, &prog, expr, 1,
	    PCAP_NETMASK_UNKNOWN), -1);
	snprintf(want, sizeof want, "filter: %s", pcap_geterr(p));
	pcap_close(p);
	compile_fails(expr, linktype, want);
}

static void
test_compile_errors(void **state)
{
	pcap_refuses("tcp port", DLT_EN10MB);
	pcap_refuses("udp and", DLT_EN10MB);
	pcap_refuses("port 99999999", DLT_EN10MB);
	pcap_refuses("ether host 1:2:3", DLT_EN10MB);
	pcap_refuses("arp", DLT_RAW);
	compile_fails("tcp", -1, "filter: pcap expressions cannot be "
	    "applied to this socket type; give bpf instructions");
	/* libpcap implements protochain with backward jumps. */
	compile_fails("ip6 protochain 6", DLT_EN10MB, "filter: the kernel "
	    "cannot run this expression (instruction ");
}

static void
test_compile_too_long(void **state)
{
	char *expr;
	size_t n, i;

	expr = malloc(300 * 32);
	assert_non_null(expr);
	n = sprintf(expr, "ip6 host 1::1");
	for (i = 2; i <= 300; i++)
		n += sprintf(expr + n, " or ip6 host %zx::%zx", i, i);
	compile_fails(expr, DLT_EN10MB, "instructions, more than 4096");
	free(expr);
}

static int
from_json_text(const char *text, struct filter *f, struct rs_error *e)
{
	json_error_t jerr;
	json_t *j;
	int r;

	if ((j = json_loads(text, JSON_DECODE_ANY, &jerr)) == NULL)
		fail_msg("test JSON invalid: %s: %s", text, jerr.text);
	r = filter_from_json(j, f, e);
	json_decref(j);
	return r;
}

static void
test_from_json_good(void **state)
{
	struct rs_error e = { 0 };
	struct filter f;

	assert_int_equal(from_json_text("[[40,0,0,12],[21,0,1,2048],"
	    "[6,0,0,4294967295],[6,0,0,0]]", &f, &e), 0);
	assert_int_equal(f.len, 4);
	assert_int_equal(f.insns[0].code, BPF_LD | BPF_H | BPF_ABS);
	assert_int_equal(f.insns[0].k, 12);
	assert_int_equal(f.insns[1].code, BPF_JMP | BPF_JEQ | BPF_K);
	assert_int_equal(f.insns[1].jt, 0);
	assert_int_equal(f.insns[1].jf, 1);
	assert_int_equal(f.insns[1].k, ETH_P_IP);
	assert_int_equal(f.insns[2].k, 4294967295u);
	assert_int_equal(verdicts_at(&f, 0), BIT(F_TCP22) | BIT(F_TCP80) |
	    BIT(F_UDP53) | BIT(F_UDP40001) | BIT(F_UDP53FRAG) | BIT(F_ICMP) |
	    BIT(F_CUT));
	filter_free(&f);
	/* ret a; ja and jt landing on the last instruction */
	assert_int_equal(from_json_text("[[5,0,0,1],[0,0,0,0],[22,0,0,0]]",
	    &f, &e), 0);
	assert_int_equal(f.len, 3);
	filter_free(&f);
	assert_int_equal(from_json_text("[[21,1,0,0],[6,0,0,1],[6,0,0,0]]",
	    &f, &e), 0);
	filter_free(&f);
}

static void
test_from_json_max_len(void **state)
{
	struct rs_error e = { 0 };
	struct filter f;
	json_t *prog;
	size_t i;

	prog = json_array();
	for (i = 0; i < BPF_MAXINSNS; i++)
		json_array_append_new(prog, json_pack("[iiii]", 6, 0, 0, 1));
	assert_int_equal(filter_from_json(prog, &f, &e), 0);
	assert_int_equal(f.len, BPF_MAXINSNS);
	filter_free(&f);
	json_array_append_new(prog, json_pack("[iiii]", 6, 0, 0, 1));
	assert_int_equal(filter_from_json(prog, &f, &e), -1);
	assert_int_equal(e.kind, RS_E_BAD_REQUEST);
	assert_string_equal(e.message,
	    "bpf: expected 1 to 4096 instructions, got 4097");
	assert_null(f.insns);
	json_decref(prog);
}

static const struct {
	const char	*json;
	const char	*message;
} bad_json[] = {
	{ "{}", "bpf: expected an array of [code, jt, jf, k]" },
	{ "\"ret #0\"", "bpf: expected an array of [code, jt, jf, k]" },
	{ "[]", "bpf: expected 1 to 4096 instructions, got 0" },
	{ "[6]", "bpf[0]: expected [code, jt, jf, k]" },
	{ "[[6,0,0,0],[6,0,0]]", "bpf[1]: expected [code, jt, jf, k]" },
	{ "[[6,0,0,0,0]]", "bpf[0]: expected [code, jt, jf, k]" },
	{ "[[6,0,0,0],{}]", "bpf[1]: expected [code, jt, jf, k]" },
	{ "[[65536,0,0,0]]", "bpf[0]: code must be 0..65535" },
	{ "[[-1,0,0,0]]", "bpf[0]: code must be 0..65535" },
	{ "[[0,0,0,1],[6,256,0,0]]", "bpf[1]: jt must be 0..255" },
	{ "[[6,0,-1,0]]", "bpf[0]: jf must be 0..255" },
	{ "[[6,0,0,4294967296]]", "bpf[0]: k must be 0..4294967295" },
	{ "[[6,0,0,1.5]]", "bpf[0]: k must be an integer" },
	{ "[[6,0,0,\"1\"]]", "bpf[0]: k must be an integer" },
	{ "[[true,0,0,0]]", "bpf[0]: code must be an integer" },
	{ "[[6,null,0,0]]", "bpf[0]: jt must be an integer" },
	{ "[[6,0,0,0],[0,0,0,12]]",
	    "bpf[1]: the last instruction must be a return (BPF_RET)" },
	{ "[[21,0,2,0],[6,0,0,1],[6,0,0,0]]",
	    "bpf[0]: jump past the end of the program" },
	{ "[[0,0,0,12],[21,1,0,0],[6,0,0,0]]",
	    "bpf[1]: jump past the end of the program" },
	{ "[[5,0,0,1],[6,0,0,0]]", "bpf[0]: jump past the end of the program" },
	{ "[[5,0,0,4294967295],[6,0,0,0]]",
	    "bpf[0]: jump past the end of the program" },
	{ "[[1,0,0,7],[14,0,0,0]]",
	    "bpf[1]: Linux returns only ret #k or ret a" },
	{ "[[6,0,0,0],[21,0,0,0]]",
	    "bpf[1]: jump past the end of the program" },
};

static void
test_from_json_bad(void **state)
{
	struct rs_error e;
	struct filter f;
	size_t i;

	for (i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++) {
		memset(&e, 0, sizeof e);
		f.len = 99;
		if (from_json_text(bad_json[i].json, &f, &e) != -1)
			fail_msg("accepted: %s", bad_json[i].json);
		assert_int_equal(e.kind, RS_E_BAD_REQUEST);
		assert_null(f.insns);
		assert_int_equal(f.len, 0);
		if (strcmp(e.message, bad_json[i].message) != 0)
			fail_msg("%s: got '%s', expected '%s'",
			    bad_json[i].json, e.message, bad_json[i].message);
	}
}

/* Hand-written programs that end in (or use) ret a, X and M[]. */
static const struct sock_filter not_ipv4_a[] = {
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
	BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, ETH_P_IP),
	BPF_STMT(BPF_RET | BPF_A, 0),		/* non-zero unless IPv4 */
};
static const struct sock_filter len_a[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
	BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 7),
	BPF_STMT(BPF_RET | BPF_A, 0),		/* len / 128 */
};
static const struct sock_filter tcp4_x0[] = {	/* needs X = 0 at entry */
	BPF_STMT(BPF_LD | BPF_B | BPF_IND, 23),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 100),
	BPF_STMT(BPF_RET | BPF_K, 0),
};
static const struct sock_filter arp_a0[] = {	/* needs A = 0 at entry */
	BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 12),
	BPF_STMT(BPF_MISC | BPF_TAX, 0),
	BPF_STMT(BPF_LD | BPF_H | BPF_IND, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 64),
	BPF_STMT(BPF_RET | BPF_K, 0),
};
static const struct sock_filter mem_a[] = {	/* IPv4 and ARP via M[3] */
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
	BPF_STMT(BPF_ST, 3),
	BPF_STMT(BPF_LD | BPF_IMM, 0),
	BPF_STMT(BPF_LDX | BPF_MEM, 3),
	BPF_STMT(BPF_MISC | BPF_TXA, 0),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x0800),
	BPF_STMT(BPF_RET | BPF_A, 0),
};

#define HAND(p)	{ #p, p, sizeof p / sizeof p[0] }

static const struct {
	const char		*name;
	const struct sock_filter *insns;
	size_t			 len;
} hand[] = {
	HAND(not_ipv4_a), HAND(len_a), HAND(tcp4_x0), HAND(arp_a0),
	HAND(mem_a),
};

static const char *exprs[] = {
	"",
	"arp",
	"ip",
	"ip6",
	"tcp port 22",
	"udp port 53",
	"tcp port 22 or udp port 53",
	"ip[2:2] > 100",
	"len > 60",
	"icmp6",
	"not port 22",
	"ip and not udp",
	"icmp or icmp6",
	"tcp[tcpflags] & tcp-syn != 0",
	"tcp and (ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2)) != 0",
	"udp[4:2] + len > 150",
	"udp dst port 40001",
	NULL,	/* the long one, built below: a's rets > 255 from the join */
};

#define NEXPRS	(sizeof exprs / sizeof exprs[0])
#define NPROGS	(NEXPRS + sizeof hand / sizeof hand[0])

static char *
long_expr(void)
{
	char *expr = malloc(60 * 32);
	size_t n, i;

	assert_non_null(expr);
	n = sprintf(expr, "udp port 53");
	for (i = 1; i <= 60; i++)
		n += sprintf(expr + n, " or ip6 host %zx::%zx", i, i);
	return expr;
}

static size_t
load_programs(struct filter *progs, const char **names, char **longp)
{
	size_t i, n = 0;

	*longp = long_expr();
	for (i = 0; i < NEXPRS; i++) {
		names[n] = exprs[i] != NULL ? exprs[i] : "(60 ip6 hosts)";
		progs[n++] = compile(exprs[i] != NULL ? exprs[i] : *longp,
		    DLT_EN10MB);
	}
	for (i = 0; i < sizeof hand / sizeof hand[0]; i++) {
		names[n] = hand[i].name;
		progs[n++] = from_insns(hand[i].insns, hand[i].len);
	}
	return n;
}

/* Neither accepts all nor rejects all frames, or the pairs prove little. */
static void
assert_discriminates(const struct filter *f, const char *name)
{
	unsigned int v = verdicts_at(f, 0);

	if (*name != '\0' && (v == 0 || v == (1u << NFRAMES) - 1))
		fail_msg("'%s' does not tell the frames apart (%#x)", name, v);
}

static void
check_pair(const struct filter *a, const struct filter *b,
    const struct filter *c, const char *an, const char *bn)
{
	unsigned int va, vb, vc;
	size_t i;

	for (i = 0; i < NFRAMES; i++) {
		va = run(a, &frames[i]);
		vb = run(b, &frames[i]);
		vc = run(c, &frames[i]);
		if ((vc != 0) != (va != 0 && vb != 0))
			fail_msg("'%s' then '%s' on %s: %u, %u -> %u", an, bn,
			    specs[i].name, va, vb, vc);
		if (vc != 0 && vc != vb)
			fail_msg("'%s' then '%s' on %s returns %u, not b's %u",
			    an, bn, specs[i].name, vc, vb);
	}
}

/* The overhead: ld #0, ldx #0, and a two-instruction tail for ret a. */
static size_t
combined_len(const struct filter *a, const struct filter *b)
{
	size_t i, n = a->len + 2 + b->len;

	for (i = 0; i < a->len; i++) {
		if (a->insns[i].code == (BPF_RET | BPF_A))
			return n + 2;
	}
	return n;
}

/*
 * Every pair, every frame: the combination accepts iff both do and then
 * returns b's value; libpcap's validator and the kernel's checker (via
 * SO_ATTACH_FILTER on a fresh UDP socket: replacing a filter charges the
 * old and the new one against optmem_max at once) accept the result.
 */
static void
test_combine_pairs(void **state)
{
	struct filter progs[NPROGS], c;
	const char *names[NPROGS];
	size_t n, i, j, pairs = 0;
	char *longp;
	int fd;

	n = load_programs(progs, names, &longp);
	for (i = 0; i < n; i++)
		assert_discriminates(&progs[i], names[i]);
	assert_true(progs[NEXPRS - 1].len > 600);
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			assert_int_equal(filter_combine(&progs[i], &progs[j],
			    &c), 0);
			assert_int_equal(c.len, combined_len(&progs[i],
			    &progs[j]));
			check_pair(&progs[i], &progs[j], &c, names[i],
			    names[j]);
			if (!validates(&c))
				fail_msg("'%s' then '%s': bpf_validate fails",
				    names[i], names[j]);
			fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			assert_true(fd >= 0);
			assert_int_equal(filter_attach(fd, &c, 0), 0);
			close(fd);
			filter_free(&c);
			pairs++;
		}
	}
	print_message("combine: %zu pairs x %zu frames\n", pairs, NFRAMES);
	for (i = 0; i < n; i++)
		filter_free(&progs[i]);
	free(longp);
}

static void
test_combine_empty(void **state)
{
	struct filter a = compile("tcp port 22", DLT_EN10MB);
	struct filter none = { NULL, 0 }, c;

	assert_int_equal(filter_combine(&none, &none, &c), 0);
	assert_null(c.insns);
	assert_int_equal(c.len, 0);
	assert_int_equal(filter_combine(&a, &none, &c), 0);
	assert_int_equal(c.len, a.len);
	assert_ptr_not_equal(c.insns, a.insns);
	assert_memory_equal(c.insns, a.insns, a.len * sizeof *a.insns);
	filter_free(&c);
	assert_int_equal(filter_combine(&none, &a, &c), 0);
	assert_int_equal(c.len, a.len);
	assert_ptr_not_equal(c.insns, a.insns);
	assert_memory_equal(c.insns, a.insns, a.len * sizeof *a.insns);
	filter_free(&c);
	filter_free(&a);
}

static struct filter
filled(size_t len)
{
	struct filter f = { .len = len };
	size_t i;

	f.insns = calloc(len, sizeof *f.insns);
	assert_non_null(f.insns);
	for (i = 0; i + 1 < len; i++)
		f.insns[i].code = BPF_LD | BPF_IMM;
	f.insns[len - 1].code = BPF_RET | BPF_K;
	f.insns[len - 1].k = 1;
	return f;
}

static void
test_combine_limits(void **state)
{
	struct filter a = filled(4000), b = filled(94), big = filled(95), c;
	struct sock_filter retx[] = {
		BPF_STMT(BPF_LDX | BPF_IMM, 1),
		BPF_STMT(BPF_RET | BPF_X, 0),
	};
	struct filter x = from_insns(retx, 2);

	assert_int_equal(filter_combine(&a, &b, &c), 0);
	assert_int_equal(c.len, BPF_MAXINSNS);
	assert_int_equal(c.insns[3999].code, BPF_JMP | BPF_JA);
	assert_int_equal(c.insns[3999].k, 0);
	filter_free(&c);
	c.len = 7;
	assert_int_equal(filter_combine(&a, &big, &c), -1);
	assert_null(c.insns);
	assert_int_equal(c.len, 0);
	assert_int_equal(filter_combine(&x, &b, &c), -1);
	assert_null(c.insns);
	filter_free(&a);
	filter_free(&b);
	filter_free(&big);
	filter_free(&x);
}

static void
test_filter_free(void **state)
{
	struct filter f = { NULL, 0 }, g = filled(3);

	filter_free(NULL);
	filter_free(&f);
	filter_free(&g);
	assert_null(g.insns);
	assert_int_equal(g.len, 0);
	filter_free(&g);
}

/* Real sockets, loopback only, every wait bounded. */

static ssize_t
recv_within(int fd, void *buf, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	return recv(fd, buf, len, MSG_DONTWAIT);
}

static void
send_udp(int family, uint16_t port, const char *payload)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
	    .sin6_port = htons(port), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
	    .sin_port = htons(port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ssize_t n;
	int fd;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (family == AF_INET)
		n = sendto(fd, payload, strlen(payload), 0,
		    (struct sockaddr *)&s4, sizeof s4);
	else
		n = sendto(fd, payload, strlen(payload), 0,
		    (struct sockaddr *)&s6, sizeof s6);
	assert_int_equal(n, strlen(payload));
	close(fd);
}

static struct filter
returning(unsigned int k)
{
	struct sock_filter ret[] = { BPF_STMT(BPF_RET | BPF_K, k) };

	return from_insns(ret, 1);
}

static void
test_attach_udp(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t slen = sizeof sin;
	struct filter none = returning(0), all = returning(0xffffffff);
	struct filter empty = { NULL, 0 };
	char buf[64];
	int fd, dummy = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);

	assert_int_equal(filter_attach(fd, &none, 0), 0);
	send_udp(AF_INET, ntohs(sin.sin_port), "dropped");
	assert_int_equal(recv_within(fd, buf, sizeof buf, 200), -1);

	assert_int_equal(filter_attach(fd, &all, 0), 0);
	send_udp(AF_INET, ntohs(sin.sin_port), "kept");
	assert_int_equal(recv_within(fd, buf, sizeof buf, 200), 4);
	assert_memory_equal(buf, "kept", 4);

	assert_int_equal(filter_attach(fd, &all, 1), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &dummy,
	    sizeof dummy), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(filter_attach(fd, &none, 0), -EPERM);
	send_udp(AF_INET, ntohs(sin.sin_port), "still");
	assert_int_equal(recv_within(fd, buf, sizeof buf, 200), 5);

	assert_int_equal(filter_attach(fd, &empty, 0), -EINVAL);
	assert_int_equal(filter_attach(fd, NULL, 0), -EINVAL);
	assert_int_equal(filter_attach(-1, &all, 0), -EBADF);
	close(fd);
	filter_free(&none);
	filter_free(&all);
}

/* A raw socket with the compiled filter; whatever sneaked in is drained. */
static int
filtered_socket(int domain, int type, int protocol, const struct filter *f)
{
	char buf[2048];
	int fd;

	fd = socket(domain, type | SOCK_CLOEXEC, protocol);
	assert_true(fd >= 0);
	assert_int_equal(filter_attach(fd, f, 0), 0);
	while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
		;
	return fd;
}

static uint16_t
get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

/*
 * Read what a raw IPv4 socket got: every datagram must be for port;
 * returns how many carried marker.
 */
static int
raw4_collect(int fd, uint16_t port, const char *marker)
{
	uint8_t buf[2048];
	size_t hl, mlen = strlen(marker);
	ssize_t n;
	int i, seen = 0;

	for (i = 0; i < 50; i++) {
		if ((n = recv_within(fd, buf, sizeof buf, 200)) < 0)
			break;
		hl = 4 * (buf[0] & 0xf);
		assert_true((size_t)n >= hl + 8);
		assert_int_equal(buf[9], IPPROTO_UDP);
		assert_int_equal(get16(buf + hl + 2), port);
		if ((size_t)n == hl + 8 + mlen &&
		    memcmp(buf + hl + 8, marker, mlen) == 0)
			seen++;
	}
	return seen;
}

/*
 * The kernel shows an AF_INET SOCK_RAW socket's filter the packet from
 * its IPv4 header: a DLT_RAW program picks one port out of two.
 */
static void
test_raw_inet_sees_ip_header(void **state)
{
	struct filter f1, f2;
	char m1[64], m2[64];
	int fd1, fd2, lt;

	if (geteuid() != 0)
		skip();
	lt = filter_linktype(AF_INET, SOCK_RAW, 0);
	assert_int_equal(lt, DLT_RAW);
	f1 = compile("udp dst port 40001", lt);
	f2 = compile("udp dst port 40002", lt);
	fd1 = filtered_socket(AF_INET, SOCK_RAW, IPPROTO_UDP, &f1);
	fd2 = filtered_socket(AF_INET, SOCK_RAW, IPPROTO_UDP, &f2);
	snprintf(m1, sizeof m1, "rawsockd-test-%d-40001", (int)getpid());
	snprintf(m2, sizeof m2, "rawsockd-test-%d-40002", (int)getpid());
	send_udp(AF_INET, 40002, m2);
	send_udp(AF_INET, 40001, m1);
	assert_int_equal(raw4_collect(fd1, 40001, m1), 1);
	assert_int_equal(raw4_collect(fd2, 40002, m2), 1);
	close(fd1);
	close(fd2);
	filter_free(&f1);
	filter_free(&f2);
}

/*
 * And an AF_INET6 SOCK_RAW socket's filter sees the transport header,
 * which is why filter_linktype() gives -1 there: `ldh [2]` is the UDP
 * destination port.
 */
static void
test_raw_inet6_sees_transport(void **state)
{
	struct sock_filter dport[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 2),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 40004, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct filter f = from_insns(dport, 4);
	uint8_t buf[2048];
	char m[64];
	int fd, i, seen = 0;
	ssize_t n;

	if (geteuid() != 0)
		skip();
	assert_int_equal(filter_linktype(AF_INET6, SOCK_RAW, 0), -1);
	fd = filtered_socket(AF_INET6, SOCK_RAW, IPPROTO_UDP, &f);
	snprintf(m, sizeof m, "rawsockd-test-%d-40004", (int)getpid());
	send_udp(AF_INET6, 40005, "rawsockd-test-40005");
	send_udp(AF_INET6, 40004, m);
	for (i = 0; i < 50; i++) {
		if ((n = recv_within(fd, buf, sizeof buf, 200)) < 0)
			break;
		assert_true(n >= 8);
		assert_int_equal(get16(buf + 2), 40004);
		if ((size_t)n == 8 + strlen(m) && memcmp(buf + 8, m, n - 8) == 0)
			seen++;
	}
	assert_int_equal(seen, 1);
	close(fd);
	filter_free(&f);
}

static int
lo_arphrd(void)
{
	struct ifreq ifr = { 0 };
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	strcpy(ifr.ifr_name, "lo");
	assert_int_equal(ioctl(fd, SIOCGIFHWADDR, &ifr), 0);
	close(fd);
	return ifr.ifr_hwaddr.sa_family;
}

/* At most 200 reads of 100 ms; frames must all be IPv4 UDP to port. */
static int
packet_collect(int fd, uint16_t port, const char *marker)
{
	uint8_t buf[2048];
	size_t mlen = strlen(marker), hl;
	ssize_t n;
	int i, seen = 0;

	for (i = 0; i < 200; i++) {
		if ((n = recv_within(fd, buf, sizeof buf, 100)) < 0)
			break;
		assert_true(n >= 14 + 20 + 8);
		assert_int_equal(get16(buf + 12), ETH_P_IP);
		hl = 4 * (buf[14] & 0xf);
		assert_int_equal(buf[14 + 9], IPPROTO_UDP);
		assert_int_equal(get16(buf + 14 + hl + 2), port);
		if ((size_t)n == 14 + hl + 8 + mlen &&
		    memcmp(buf + 14 + hl + 8, marker, mlen) == 0)
			seen++;
	}
	return seen;
}

static int
packet_socket_on_lo(const struct filter *f)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
	    .sll_protocol = htons(ETH_P_ALL) };
	int fd;

	/* Protocol 0 receives nothing until bound, after the filter. */
	fd = filtered_socket(AF_PACKET, SOCK_RAW, 0, f);
	sll.sll_ifindex = if_nametoindex("lo");
	assert_true(sll.sll_ifindex > 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof sll), 0);
	return fd;
}

/* Loopback frames carry an ethernet header: DLT_EN10MB programs fit. */
static void
test_packet_lo(void **state)
{
	struct filter f3, f2;
	char m3[64], m2[64];
	int fd3, fd2, lt;

	if (geteuid() != 0)
		skip();
	lt = filter_linktype(AF_PACKET, SOCK_RAW, lo_arphrd());
	assert_int_equal(lt, DLT_EN10MB);
	f3 = compile("udp dst port 40003", lt);
	f2 = compile("ip and udp dst port 40002", lt);
	fd3 = packet_socket_on_lo(&f3);
	fd2 = packet_socket_on_lo(&f2);
	snprintf(m3, sizeof m3, "rawsockd-test-%d-40003", (int)getpid());
	snprintf(m2, sizeof m2, "rawsockd-test-%d-40002", (int)getpid());
	send_udp(AF_INET, 40002, m2);
	send_udp(AF_INET, 40003, m3);
	/* lo usually shows a frame twice: going out and coming in. */
	assert_true(packet_collect(fd3, 40003, m3) >= 1);
	assert_true(packet_collect(fd2, 40002, m2) >= 1);
	close(fd3);
	close(fd2);
	filter_free(&f3);
	filter_free(&f2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linktype),
		cmocka_unit_test(test_compile_en10mb),
		cmocka_unit_test(test_compile_raw),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_compile_too_long),
		cmocka_unit_test(test_from_json_good),
		cmocka_unit_test(test_from_json_max_len),
		cmocka_unit_test(test_from_json_bad),
		cmocka_unit_test(test_combine_pairs),
		cmocka_unit_test(test_combine_empty),
		cmocka_unit_test(test_combine_limits),
		cmocka_unit_test(test_filter_free),
		cmocka_unit_test(test_attach_udp),
		cmocka_unit_test(test_raw_inet_sees_ip_header),
		cmocka_unit_test(test_raw_inet6_sees_transport),
		cmocka_unit_test(test_packet_lo),
	};

	return cmocka_run_group_tests(tests, setup_frames, NULL);
}
