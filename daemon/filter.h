/*
 * Socket filters: pcap expressions compiled for a socket's link type, raw
 * classic-BPF instruction lists, and the composition of the policy's filter
 * with a client's so a client can narrow, never widen, what it sees.
 */
#ifndef FILTER_H
#define FILTER_H

#include <linux/filter.h>
#include <jansson.h>

#include "error.h"

struct filter {
	struct sock_filter	*insns;	/* owned */
	unsigned short		 len;
};

/*
 * The link type a socket's filter sees: DLT_EN10MB for AF_PACKET
 * SOCK_RAW on ethernet and loopback (arphrd 0, unknown, counts as
 * ethernet), DLT_RAW for AF_PACKET SOCK_RAW on ARPHRD_NONE/ARPHRD_IPGRE,
 * for AF_PACKET SOCK_DGRAM and for AF_INET SOCK_RAW (data starts at the
 * IP header), -1 when a pcap expression cannot be applied (other link
 * types; AF_INET6 SOCK_RAW, where the kernel shows the filter the
 * transport header; inet datagram and stream sockets: payload only).
 */
int	 filter_linktype(int domain, int type, int arphrd);

/*
 * Compile a pcap expression (optimized, snap length 262144) for a link
 * type from filter_linktype(); bad_request "filter: <pcap's message>" on
 * error, and for linktype -1 or code the kernel would refuse (more than
 * BPF_MAXINSNS instructions, protochain's backward jumps).  On failure
 * *out is empty.
 */
int	 filter_compile(const char *expr, int linktype, struct filter *out,
	     struct rs_error *e);
/*
 * [[code,jt,jf,k], ...] -> program; bad_request starting "bpf" (naming the
 * index when one is at fault) for anything but 1..BPF_MAXINSNS arrays of
 * four integers in range, a jump past the end, a return other than
 * `ret #k` / `ret a`, or a last instruction that does not return.  Other
 * opcodes are left to the kernel.  On failure *out is empty.
 */
int	 filter_from_json(const json_t *bpf, struct filter *out,
	     struct rs_error *e);
/*
 * out = a then b: a packet passes only if a accepts it (returns non-zero)
 * and then b accepts it from a fresh start (A = X = 0); the result returns
 * b's value, so b's snap length wins.  Either may be empty (len 0),
 * meaning "accept everything": out is then a copy of the other, empty when
 * both are.  -1, with *out empty, when the result would exceed
 * BPF_MAXINSNS, a has a return Linux does not know, or memory runs out.
 * out must not be a or b.
 */
int	 filter_combine(const struct filter *a, const struct filter *b,
	     struct filter *out);
/* *out = a copy of *f; -1 when memory runs out (*out empty). */
int	 filter_copy(const struct filter *f, struct filter *out);
/* Frees and empties *f; NULL and empty filters are fine. */
void	 filter_free(struct filter *f);

/*
 * SO_ATTACH_FILTER (+ SO_LOCK_FILTER when lock); 0 or -errno.  An empty
 * filter is -EINVAL, not a detach.  When locking fails the filter stays
 * attached, unlocked: close the socket.
 */
int	 filter_attach(int fd, const struct filter *f, int lock);

#endif
