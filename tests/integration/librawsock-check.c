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
#include <unistd.h>
#include <linux/if_ether.h>

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
	denied(c);
	rs_conn_close(c);
	return failures;
}
