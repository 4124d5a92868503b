/*
 * The benchmark frame, the receive counter and small helpers shared by
 * every program in bench/ (see bench.h).
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <linux/if_packet.h>
#include <net/if.h>

#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

void
bench_frame_fill(unsigned char *buf, size_t len, const unsigned char src[6],
    const unsigned char dst[6], uint32_t run, uint32_t seq)
{
	uint16_t type = htons(BENCH_ETHERTYPE);
	uint32_t nrun = htonl(run);
	size_t i;

	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	memcpy(buf + 12, &type, 2);
	memcpy(buf + 14, BENCH_MAGIC, 8);
	memcpy(buf + 22, &nrun, 4);
	bench_frame_set_seq(buf, seq);
	/* A recognisable padding, so a truncated copy is easy to spot. */
	for (i = BENCH_HDR_LEN; i < len; i++)
		buf[i] = (unsigned char)i;
}

void
bench_frame_set_seq(unsigned char *buf, uint32_t seq)
{
	uint32_t nseq = htonl(seq);

	memcpy(buf + 26, &nseq, 4);
}

int64_t
bench_frame_seq(const unsigned char *buf, size_t len, uint32_t run)
{
	uint32_t nrun, nseq;
	uint16_t type;

	if (len < BENCH_HDR_LEN)
		return -1;
	memcpy(&type, buf + 12, 2);
	memcpy(&nrun, buf + 22, 4);
	if (type != htons(BENCH_ETHERTYPE) || ntohl(nrun) != run ||
	    memcmp(buf + 14, BENCH_MAGIC, 8) != 0)
		return -1;
	memcpy(&nseq, buf + 26, 4);
	return ntohl(nseq);
}

int
bench_rx_init(struct bench_rx *rx, uint32_t run, uint32_t expected,
    size_t size)
{
	memset(rx, 0, sizeof *rx);
	rx->run = run;
	rx->expected = expected;
	rx->size = size;
	if ((rx->seen = calloc(expected / 8 + 1, 1)) == NULL)
		return -1;
	rx->cpu_ready_ns = bench_cpu_ns();
	return 0;
}

void
bench_rx_free(struct bench_rx *rx)
{
	free(rx->seen);
	rx->seen = NULL;
}

int
bench_rx_frame(struct bench_rx *rx, const void *buf, size_t len,
    uint64_t now_ns)
{
	int64_t seq = bench_frame_seq(buf, len, rx->run);
	unsigned char bit, last;

	if (seq < 0 || seq >= rx->expected) {
		rx->others++;
		return bench_rx_done(rx);
	}
	/* The last byte is bench_frame_fill's padding: a frame cut short
	 * or run together with another does not count. */
	last = len > 0 ? ((const unsigned char *)buf)[len - 1] : 0;
	if (rx->size != 0 && (len != rx->size ||
	    last != (unsigned char)(len - 1))) {
		rx->bad++;
		return bench_rx_done(rx);
	}
	bit = (unsigned char)(1u << (seq & 7));
	if (rx->seen[seq >> 3] & bit) {
		rx->dups++;
		return bench_rx_done(rx);
	}
	rx->seen[seq >> 3] |= bit;
	if (rx->received++ == 0)
		rx->first_ns = now_ns;
	rx->last_ns = now_ns;
	return bench_rx_done(rx);
}

int
bench_rx_done(const struct bench_rx *rx)
{
	return rx->received >= rx->expected;
}

void
bench_rx_loop(struct bench_rx *rx, int fd, int (*drain)(void *), void *arg,
    unsigned long seconds, unsigned long idle_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t deadline = bench_now_ns() + seconds * 1000000000u, now;

	rx->deadline_ns = deadline;
	bench_ready();
	while (!drain(arg) && (now = bench_now_ns()) < deadline) {
		if (rx->received && now - rx->last_ns > idle_ms * 1000000u)
			break;
		if (poll(&pfd, 1, 10) == -1 && errno != EINTR)
			err(1, "poll");
	}
}

void
bench_rx_report(const struct bench_rx *rx, const char *extra)
{
	double span = (double)(rx->last_ns - rx->first_ns) / 1e9;
	double rate = 0;

	/* frames / (last - first): the first frame opens the interval. */
	if (rx->received > 1 && span > 0)
		rate = (rx->received - 1) / span;
	printf("{\"received\":%u,\"expected\":%u,\"lost\":%u,"
	    "\"dups\":%llu,\"others\":%llu,\"bad\":%llu,\"span_s\":%.6f,"
	    "\"rate\":%.0f,\"cpu_s\":%.6f%s}\n", rx->received, rx->expected,
	    rx->expected - rx->received, (unsigned long long)rx->dups,
	    (unsigned long long)rx->others, (unsigned long long)rx->bad, span,
	    rate,
	    (double)(bench_cpu_ns() - rx->cpu_ready_ns) / 1e9, extra);
	fflush(stdout);
}

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
bench_cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return 0;
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
	    1000000000u + ((uint64_t)ru.ru_utime.tv_usec +
	    (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

int
bench_parse_mac(const char *s, unsigned char mac[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
	    &b[4], &b[5], &tail) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = (unsigned char)b[i];
	}
	return 0;
}

unsigned long
bench_arg_num(const char *opt, const char *s, unsigned long min,
    unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || v < min ||
	    v > max)
		errx(2, "%s: expected a number from %lu to %lu, not '%s'", opt,
		    min, max, s);
	return v;
}

void
bench_ready(void)
{
	fprintf(stderr, "ready\n");
	fflush(stderr);
}

/* -r run, -n count: the same for senders and receivers. */
static int
run_count_opt(uint32_t *run, uint32_t *count, int ch, const char *arg)
{
	if (ch == 'r')
		*run = (uint32_t)bench_arg_num("-r", arg, 0, UINT32_MAX);
	else
		*count = (uint32_t)bench_arg_num("-n", arg, 1,
		    BENCH_MAX_COUNT);
	return 1;
}

int
bench_rx_opt(struct bench_rx_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case 'r':
	case 'n':
		return run_count_opt(&o->run, &o->count, ch, arg);
	case 't':
		o->seconds = bench_arg_num("-t", arg, 1, 600);
		return 1;
	case 'T':
		o->idle_ms = bench_arg_num("-T", arg, 1, 60000);
		return 1;
	case 'z':
		o->size = bench_arg_num("-z", arg, BENCH_MIN_FRAME,
		    BENCH_MAX_FRAME);
		return 1;
	}
	return 0;
}

int
bench_tx_opt(struct bench_tx_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case 'S':
	case 'D':
		if (bench_parse_mac(arg, ch == 'S' ? o->src : o->dst) == -1)
			errx(2, "-%c: not a MAC address: %s", ch, arg);
		*(ch == 'S' ? &o->have_src : &o->have_dst) = 1;
		return 1;
	case 'r':
	case 'n':
		return run_count_opt(&o->run, &o->count, ch, arg);
	case 's':
		o->size = bench_arg_num("-s", arg, BENCH_MIN_FRAME,
		    BENCH_MAX_FRAME);
		return 1;
	case 'b':
		o->batch = (unsigned int)bench_arg_num("-b", arg, 1,
		    BENCH_TX_MAX_BATCH);
		return 1;
	case 't':
		o->seconds = bench_arg_num("-t", arg, 1, 600);
		return 1;
	}
	return 0;
}

int
bench_tx_opts_complete(const struct bench_tx_opts *o)
{
	return o->have_src && o->have_dst && o->count > 0 && o->size > 0;
}

int
bench_send_socket(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int fd;

	/* Protocol 0: the socket only sends, the kernel queues it nothing. */
	if ((fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket(AF_PACKET)");
	if ((sll.sll_ifindex = (int)if_nametoindex(ifname)) == 0)
		err(1, "%s", ifname);
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) == -1)
		err(1, "bind %s", ifname);
	return fd;
}
