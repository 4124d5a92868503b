/*
 * Socket filters: which link type a socket's filter sees, pcap expressions
 * compiled with libpcap, classic-BPF programs taken from JSON, and the
 * composition "a then b" that lets the policy's filter and a client's
 * both have their say.  Nothing here logs; errors go to an rs_error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <net/if_arp.h>
#include <pcap/pcap.h>

#include "filter.h"

/* What pcap's `ret` accepts with: more than any frame the kernel hands up. */
#define FILTER_SNAPLEN	262144

/* The four fields of a JSON instruction, in wire order. */
static const struct {
	const char	*name;
	json_int_t	 max;
} insn_fields[] = {
	{ "code", 0xffff },
	{ "jt", 0xff },
	{ "jf", 0xff },
	{ "k", 0xffffffff },
};

static int
packet_linktype(int arphrd)
{
	switch (arphrd) {
	case 0:			/* not known: assume ethernet */
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK:	/* lo frames carry a zeroed ethernet header */
		return DLT_EN10MB;
	case ARPHRD_NONE:	/* tun, wireguard: frames start at the IP header */
	case ARPHRD_IPGRE:	/* the inner IP header, or the outer one when
				 * the device has header_ops (NBMA mode) */
		return DLT_RAW;
	default:
		return -1;
	}
}

int
filter_linktype(int domain, int type, int arphrd)
{
	if (domain == AF_PACKET && type == SOCK_RAW)
		return packet_linktype(arphrd);
	if (domain == AF_PACKET && type == SOCK_DGRAM)
		return DLT_RAW;
	/* raw_rcv() pushes the skb back to the IPv4 header before filtering. */
	if (domain == AF_INET && type == SOCK_RAW)
		return DLT_RAW;
	return -1;
}

/*
 * The checks of the kernel's bpf_check_classic() that clients trip over
 * most, so a request gets a message naming the instruction rather than a
 * bare EINVAL: jumps land inside the program (which also rules out the
 * backward jumps libpcap uses for "protochain"), Linux knows only
 * `ret #k` and `ret a`, and the last instruction returns.  On failure
 * *bad is the index of the culprit.
 */
static const char *
check_program(const struct sock_filter *insns, size_t len, size_t *bad)
{
	const struct sock_filter *in;
	size_t i, left;

	for (i = 0; i < len; i++) {
		in = &insns[i];
		left = len - i - 1;
		*bad = i;
		if (in->code == (BPF_JMP | BPF_JA)) {
			if (in->k >= left)
				return "jump past the end of the program";
		} else if (BPF_CLASS(in->code) == BPF_JMP) {
			if (in->jt >= left || in->jf >= left)
				return "jump past the end of the program";
		} else if (BPF_CLASS(in->code) == BPF_RET) {
			if (in->code != (BPF_RET | BPF_K) &&
			    in->code != (BPF_RET | BPF_A))
				return "Linux returns only ret #k or ret a";
		}
	}
	*bad = len - 1;
	if (BPF_CLASS(insns[len - 1].code) != BPF_RET)
		return "the last instruction must be a return (BPF_RET)";
	return NULL;
}

/* struct bpf_insn and struct sock_filter share a layout, not a type. */
static int
from_pcap(const struct bpf_program *prog, struct filter *out,
    struct rs_error *e)
{
	struct sock_filter *insns;
	const char *why;
	size_t i, bad;

	if (prog->bf_len > BPF_MAXINSNS)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0, "filter: the "
		    "expression compiles to %u instructions, more than %d",
		    prog->bf_len, BPF_MAXINSNS);
	if ((insns = calloc(prog->bf_len, sizeof *insns)) == NULL)
		return rs_error_errno(e, ENOMEM, "filter");
	for (i = 0; i < prog->bf_len; i++) {
		insns[i].code = prog->bf_insns[i].code;
		insns[i].jt = prog->bf_insns[i].jt;
		insns[i].jf = prog->bf_insns[i].jf;
		insns[i].k = prog->bf_insns[i].k;
	}
	if ((why = check_program(insns, prog->bf_len, &bad)) != NULL) {
		free(insns);
		return rs_error_set(e, RS_E_BAD_REQUEST, 0, "filter: the "
		    "kernel cannot run this expression (instruction %zu: %s)",
		    bad, why);
	}
	out->insns = insns;
	out->len = prog->bf_len;
	return 0;
}

int
filter_compile(const char *expr, int linktype, struct filter *out,
    struct rs_error *e)
{
	struct bpf_program prog;
	pcap_t *p;
	int r;

	out->insns = NULL;
	out->len = 0;
	if (linktype == -1)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0, "filter: pcap "
		    "expressions cannot be applied to this socket type; give "
		    "bpf instructions");
	if ((p = pcap_open_dead(linktype, FILTER_SNAPLEN)) == NULL)
		return rs_error_errno(e, ENOMEM, "filter");
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) == -1)
		r = rs_error_set(e, RS_E_BAD_REQUEST, 0, "filter: %s",
		    pcap_geterr(p));
	else {
		r = from_pcap(&prog, out, e);
		pcap_freecode(&prog);
	}
	pcap_close(p);
	return r;
}

static int
insn_from_json(const json_t *j, size_t i, struct sock_filter *insn,
    struct rs_error *e)
{
	json_int_t v[4];
	const json_t *x;
	size_t f;

	if (!json_is_array(j) || json_array_size(j) != 4)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "bpf[%zu]: expected [code, jt, jf, k]", i);
	for (f = 0; f < 4; f++) {
		x = json_array_get(j, f);
		if (!json_is_integer(x))
			return rs_error_set(e, RS_E_BAD_REQUEST, 0,
			    "bpf[%zu]: %s must be an integer", i,
			    insn_fields[f].name);
		v[f] = json_integer_value(x);
		if (v[f] < 0 || v[f] > insn_fields[f].max)
			return rs_error_set(e, RS_E_BAD_REQUEST, 0,
			    "bpf[%zu]: %s must be 0..%" JSON_INTEGER_FORMAT, i,
			    insn_fields[f].name, insn_fields[f].max);
	}
	insn->code = v[0];
	insn->jt = v[1];
	insn->jf = v[2];
	insn->k = v[3];
	return 0;
}

int
filter_from_json(const json_t *bpf, struct filter *out, struct rs_error *e)
{
	struct sock_filter *insns;
	const char *why;
	size_t n, i, bad;

	out->insns = NULL;
	out->len = 0;
	if (!json_is_array(bpf))
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "bpf: expected an array of [code, jt, jf, k]");
	n = json_array_size(bpf);
	if (n == 0 || n > BPF_MAXINSNS)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "bpf: expected 1 to %d instructions, got %zu",
		    BPF_MAXINSNS, n);
	if ((insns = calloc(n, sizeof *insns)) == NULL)
		return rs_error_errno(e, ENOMEM, "bpf");
	for (i = 0; i < n; i++) {
		if (insn_from_json(json_array_get(bpf, i), i, &insns[i],
		    e) == -1)
			goto fail;
	}
	if ((why = check_program(insns, n, &bad)) != NULL) {
		rs_error_set(e, RS_E_BAD_REQUEST, 0, "bpf[%zu]: %s", bad, why);
		goto fail;
	}
	out->insns = insns;
	out->len = n;
	return 0;

fail:
	free(insns);
	return -1;
}

static int
copy_filter(const struct filter *f, struct filter *out)
{
	if (f->len == 0)
		return 0;
	if ((out->insns = calloc(f->len, sizeof *out->insns)) == NULL)
		return -1;
	memcpy(out->insns, f->insns, f->len * sizeof *f->insns);
	out->len = f->len;
	return 0;
}

/* Does a return A anywhere?  -1 for a return Linux does not know. */
static int
returns_a(const struct filter *a)
{
	int found = 0;
	size_t i;

	for (i = 0; i < a->len; i++) {
		if (BPF_CLASS(a->insns[i].code) != BPF_RET)
			continue;
		if (a->insns[i].code == (BPF_RET | BPF_A))
			found = 1;
		else if (a->insns[i].code != (BPF_RET | BPF_K))
			return -1;
	}
	return found;
}

static struct sock_filter
insn(unsigned short code, unsigned char jt, unsigned char jf, unsigned int k)
{
	struct sock_filter in = { code, jt, jf, k };

	return in;
}

/*
 * The layout, which keeps every instruction of a at its own index so a's
 * jumps (conditional ones have 8-bit offsets) never need rewriting:
 *
 *	a		ret #0 stays; ret #k>0 becomes ja join; ret a
 *			becomes ja tail (k is 32 bits: always in reach)
 *	tail:		jeq #0, jt 0, jf 1	(only when a returns A)
 *			ret #0
 *	join:		ld #0			b starts with A = X = 0, as
 *			ldx #0			the kernel starts a program
 *	b		unchanged, so b's return value is the result's
 *
 * b's loads from M[] follow its own stores, so a's leftovers there are
 * never seen.
 */
int
filter_combine(const struct filter *a, const struct filter *b,
    struct filter *out)
{
	struct sock_filter *r, *in;
	size_t tail, join, len, i;
	int ra;

	out->insns = NULL;
	out->len = 0;
	if (a->len == 0)
		return copy_filter(b, out);
	if (b->len == 0)
		return copy_filter(a, out);
	if ((ra = returns_a(a)) == -1)
		return -1;
	tail = a->len;
	join = tail + (ra ? 2 : 0);
	len = join + 2 + b->len;
	if (len > BPF_MAXINSNS || (r = calloc(len, sizeof *r)) == NULL)
		return -1;
	memcpy(r, a->insns, a->len * sizeof *r);
	for (i = 0; i < a->len; i++) {
		in = &r[i];
		if (in->code == (BPF_RET | BPF_A))
			*in = insn(BPF_JMP | BPF_JA, 0, 0, tail - i - 1);
		else if (in->code == (BPF_RET | BPF_K) && in->k != 0)
			*in = insn(BPF_JMP | BPF_JA, 0, 0, join - i - 1);
	}
	if (ra) {
		r[tail] = insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
		r[tail + 1] = insn(BPF_RET | BPF_K, 0, 0, 0);
	}
	r[join] = insn(BPF_LD | BPF_IMM, 0, 0, 0);
	r[join + 1] = insn(BPF_LDX | BPF_IMM, 0, 0, 0);
	memcpy(&r[join + 2], b->insns, b->len * sizeof *r);
	out->insns = r;
	out->len = len;
	return 0;
}

int
filter_copy(const struct filter *f, struct filter *out)
{
	out->len = 0;
	if ((out->insns = calloc(f->len ? f->len : 1, sizeof *f->insns)) ==
	    NULL)
		return -1;
	if (f->len > 0)
		memcpy(out->insns, f->insns, f->len * sizeof *f->insns);
	out->len = f->len;
	return 0;
}

void
filter_free(struct filter *f)
{
	if (f == NULL)
		return;
	free(f->insns);
	f->insns = NULL;
	f->len = 0;
}

int
filter_attach(int fd, const struct filter *f, int lock)
{
	struct sock_fprog prog;
	int one = 1;

	if (f == NULL || f->len == 0)
		return -EINVAL;
	prog.len = f->len;
	prog.filter = f->insns;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof prog) == -1)
		return -errno;
	if (lock && setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &one,
	    sizeof one) == -1)
		return -errno;
	return 0;
}
