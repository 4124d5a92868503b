/*
 * librawsock against the real daemon: run by test_librawsock.py as an
 * unprivileged uid whose rule allows inet/unix sockets but no packet
 * sockets.  Prints "ok NAME" or "not ok NAME: why" per check and exits
 * with the number of failures.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/if_ether.h>

#include "rawsock-channel.h"
#include "rawsock.h"

static int failures;

static void
check(int ok, const char *name, struct rs_conn *c)
{
	if (ok)
		printf("ok %s\n", name);
	else {
		printf("not ok %s: %s (%s)\n", name, strerror(errno),
		    c != NULL ? rs_last_error(c) : "");
		failures++;
	}
}

/* A managed UDP socket sends 256 bytes to itself. */
static void
managed_udp(struct rs_conn *c)
{
	struct sockaddr_in sin = { .sin_family = AF_INET }, me, from;
	socklen_t len = sizeof me, flen = sizeof from;
	unsigned char out[256], in[512];
	int h, i, v = 0;
	ssize_t n;

	for (i = 0; i < 256; i++)
		out[i] = (unsigned char)i;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h = rs_open(c, AF_INET, SOCK_DGRAM, 0, NULL);
	check(h > 0, "rs_open udp", c);
	check(rs_bind(c, h, (struct sockaddr *)&sin, sizeof sin) == 0,
	    "rs_bind", c);
	check(rs_getsockname(c, h, (struct sockaddr *)&me, &len) == 0 &&
	    me.sin_family == AF_INET && me.sin_port != 0, "rs_getsockname", c);
	check(rs_recv(c, h, in, sizeof in, 0, 0) == -1 && errno == EAGAIN,
	    "rs_recv empty is EAGAIN", c);
	check(rs_sendto(c, h, out, sizeof out, 0, (struct sockaddr *)&me,
	    sizeof me) == 256, "rs_sendto", c);
	n = rs_recvfrom(c, h, in, sizeof in, 0, (struct sockaddr *)&from,
	    &flen, 1000);
	check(n == 256 && memcmp(in, out, 256) == 0 &&
	    from.sin_port == me.sin_port &&
	    from.sin_addr.s_addr == me.sin_addr.s_addr, "rs_recvfrom", c);
	check(rs_setsockopt_int(c, h, SOL_SOCKET, SO_RCVBUF, 65536) == 0 &&
	    rs_getsockopt_int(c, h, SOL_SOCKET, SO_RCVBUF, &v) == 0 &&
	    v >= 65536, "rs_setsockopt_int/rs_getsockopt_int", c);
	check(rs_setsockopt_json(c, h, "SOL_SOCKET", "SO_RCVTIMEO",
	    "{\"sec\":1,\"usec\":500000}") == 0, "rs_setsockopt_json", c);
	check(rs_close(c, h) == 0, "rs_close", c);
	check(rs_close(c, h) == -1 && errno == EBADF, "rs_close twice EBADF",
	    c);
}

/* A passed fd is the client's own socket. */
static void
passed_udp(struct rs_conn *c)
{
	struct sockaddr_in me;
	socklen_t len = sizeof me;
	char buf[16];
	int fd;

	fd = rs_socket(c, AF_INET, SOCK_DGRAM, 0, NULL);
	check(fd >= 0, "rs_socket", c);
	memset(&me, 0, sizeof me);
	me.sin_family = AF_INET;
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	check(bind(fd, (struct sockaddr *)&me, sizeof me) == 0 &&
	    getsockname(fd, (struct sockaddr *)&me, &len) == 0 &&
	    sendto(fd, "hello", 5, 0, (struct sockaddr *)&me, sizeof me) == 5 &&
	    recv(fd, buf, sizeof buf, 0) == 5 && memcmp(buf, "hello", 5) == 0,
	    "passed fd: plain bind/sendto/recv", c);
	if (fd >= 0)
		close(fd);
}

static void
pair(struct rs_conn *c)
{
	char buf[8];
	int sv[2] = { -1, -1 };

	check(rs_socketpair(c, SOCK_STREAM, sv) == 0 &&
	    write(sv[0], "ab", 2) == 2 && read(sv[1], buf, sizeof buf) == 2,
	    "rs_socketpair", c);
	close(sv[0]);
	close(sv[1]);
}

/* Read one channel message; its payload into out.  -1 on any mismatch. */
static int
channel_read(int chan, int h, const char *want, size_t wantlen)
{
	struct rs_frame_hdr hdr;
	const void *addr, *frame;
	unsigned char buf[2048];
	struct sockaddr_in from;
	size_t flen;
	ssize_t n;

	if ((n = recv(chan, buf, sizeof buf, 0)) <= 0 ||
	    rs_frame_parse(buf, (size_t)n, &hdr, &addr, &frame, &flen) == -1 ||
	    hdr.handle != (uint32_t)h || hdr.orig_len != wantlen ||
	    hdr.drops != 0 || hdr.addr_len != sizeof from || addr == NULL)
		return -1;
	memcpy(&from, addr, sizeof from);
	return from.sin_family == AF_INET && flen == wantlen &&
	    memcmp(frame, want, wantlen) == 0 ? 0 : -1;
}

/* A managed UDP socket streamed on a binary channel, both ways; the
 * other end is a passed socket, made in the daemon's namespace too. */
static void
subscribed_udp(struct rs_conn *c)
{
	struct sockaddr_in sin = { .sin_family = AF_INET }, me, peer;
	socklen_t len = sizeof me, plen = sizeof peer;
	unsigned char msg[RS_FRAME_HDR_SIZE + sizeof peer + 8];
	struct timeval tv = { 2, 0 };
	char in[16];
	int h, chan, fd, ok;
	size_t off;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h = rs_open(c, AF_INET, SOCK_DGRAM, 0, NULL);
	fd = rs_socket(c, AF_INET, SOCK_DGRAM, 0, NULL);
	ok = h > 0 && fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof tv) == 0 &&
	    rs_bind(c, h, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    rs_getsockname(c, h, (struct sockaddr *)&me, &len) == 0 &&
	    bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    getsockname(fd, (struct sockaddr *)&peer, &plen) == 0;
	chan = ok ? rs_subscribe(c, h, 0, 0) : -1;
	check(chan >= 0 && setsockopt(chan, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof tv) == 0, "rs_subscribe", c);
	ok = chan >= 0 &&
	    sendto(fd, "one", 3, 0, (struct sockaddr *)&me, sizeof me) == 3 &&
	    sendto(fd, "second", 6, 0, (struct sockaddr *)&me, sizeof me) == 6 &&
	    channel_read(chan, h, "one", 3) == 0 &&
	    channel_read(chan, h, "second", 6) == 0;
	check(ok, "channel: datagrams with headers", c);
	off = rs_frame_build(msg, 0, &peer, sizeof peer, 4);
	memcpy(msg + off, "back", 4);
	ok = chan >= 0 && send(chan, msg, off + 4, 0) == (ssize_t)(off + 4) &&
	    recv(fd, in, sizeof in, 0) == 4 && memcmp(in, "back", 4) == 0;
	check(ok, "channel: a written message is sent", c);
	ok = rs_unsubscribe(c, h) == 0 && chan >= 0 &&
	    recv(chan, in, sizeof in, 0) == 0 &&
	    sendto(fd, "after", 5, 0, (struct sockaddr *)&me, sizeof me) == 5 &&
	    rs_recv(c, h, in, sizeof in, 0, 1000) == 5;
	check(ok, "rs_unsubscribe: EOF, then recv again", c);
	if (chan >= 0)
		close(chan);
	if (fd >= 0)
		close(fd);
	rs_close(c, h);
}

static void
denied(struct rs_conn *c)
{
	errno = 0;
	check(rs_open(c, AF_PACKET, SOCK_RAW, ETH_P_ALL, "lo") == -1 &&
	    errno == EACCES && strstr(rs_last_error(c), "denied") != NULL,
	    "packet socket denied (EACCES)", c);
	check(rs_open_json(c, "{\"domain\":\"inet\",\"type\":\"dgram\","
	    "\"bogus\":1}") == -1 && errno == EINVAL,
	    "bad request is EINVAL", c);
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* With a busy-poll budget calls still work, and one the daemon answers
 * after 300 ms polls only its budget: the rest of the wait sleeps. */
static void
busy_poll(struct rs_conn *c)
{
	struct timeval t0, t1;
	double cpu, waited;
	char in[16];
	int h;

	check(rs_conn_set_busy_poll(c, RS_BUSY_POLL_MAX_US + 1) == -1 &&
	    errno == EINVAL, "rs_conn_set_busy_poll over the maximum is EINVAL",
	    c);
	check(rs_conn_set_busy_poll(c, 200) == 0, "rs_conn_set_busy_poll", c);
	h = rs_open(c, AF_INET, SOCK_DGRAM, 0, NULL);
	check(h > 0, "busy poll: a quick answer", c);
	gettimeofday(&t0, NULL);
	cpu = cpu_seconds();
	check(rs_recv(c, h, in, sizeof in, 0, 300) == -1,
	    "busy poll: an answer after 300 ms", c);
	cpu = cpu_seconds() - cpu;
	gettimeofday(&t1, NULL);
	waited = (t1.tv_sec - t0.tv_sec) + (t1.tv_usec - t0.tv_usec) / 1e6;
	if (waited < 0.25 || cpu > 0.05)
		fprintf(stderr, "waited %.3f s, %.3f s of CPU\n", waited, cpu);
	check(waited >= 0.25 && cpu <= 0.05,
	    "busy poll: a slow answer is waited for asleep", c);
	check(rs_close(c, h) == 0 && rs_conn_set_busy_poll(c, 0) == 0,
	    "busy poll: off again", c);
}

int
main(int argc, char **argv)
{
	struct rs_conn *c;

	if (argc != 2) {
		fprintf(stderr, "usage: librawsock-check SOCKET\n");
		return 100;
	}
	if ((c = rs_conn_open(argv[1])) == NULL) {
		perror("rs_conn_open");
		return 100;
	}
	managed_udp(c);
	passed_udp(c);
	pair(c);
	subscribed_udp(c);
	denied(c);
	busy_poll(c);
	rs_conn_close(c);
	return failures;
}
