/*
 * rawsockctl ping HOST: ICMP (ICMPv6) echo requests on a raw socket the
 * daemon makes, as ping(8) sends them but without privileges.  The socket
 * is passed when the policy lets it be (sendto and recvfrom here), else
 * kept managed (each through the daemon).  A raw ICMP socket receives
 * every ICMP message for the host: a reply counts when it comes from HOST
 * with this run's identifier, the sequence number sent and the payload
 * (a random cookie, then counting bytes) intact.
 */
#include <sys/random.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checksum.h"
#include "ctl.h"
#include "rawsock.h"

#define ECHO_HDR	8		/* type, code, sum, id, seq */
#define PAYLOAD_MAX	(65507 - ECHO_HDR)
#define REPLY_MAX	(65535 + 60)	/* an IPv4 header comes with it */
#define COUNT_MAX	1000000
#define INTERVAL_MIN_MS	10
#define COOKIE		8		/* random payload bytes */

struct pinger {
	struct rs_conn		*c;
	int			 fd;		/* passed, or -1 */
	int			 handle;	/* managed, or -1 */
	int			 family;
	struct sockaddr_storage	 to;
	socklen_t		 tolen;
	uint16_t		 id;
	uint8_t			*req, *reply;
	size_t			 len;		/* echo header and payload */
};

/* Parse a number in [lo, hi] for option opt; -1 (said) when it is not. */
static long long
num(char opt, const char *arg, long long lo, long long hi)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "rawsockctl: ping: -%c: expected %lld..%lld\n",
		    opt, lo, hi);
		return -1;
	}
	return v;
}

/* HOST, through the daemon's resolver; 0 or -1 (said). */
static int
resolve(struct pinger *p, const char *host, int family)
{
	struct addrinfo hints = { .ai_family = family,
	    .ai_socktype = SOCK_RAW }, *res;
	int eai;

	if ((eai = rs_getaddrinfo(p->c, host, NULL, &hints, &res)) != 0) {
		fprintf(stderr, "rawsockctl: ping: %s: %s\n", host,
		    eai == EAI_SYSTEM ? strerror(errno) : ctl_why(p->c));
		return -1;
	}
	p->family = res->ai_family;
	p->tolen = res->ai_addrlen;
	memcpy(&p->to, res->ai_addr, res->ai_addrlen);
	rs_freeaddrinfo(res);
	return 0;
}

/* A raw ICMP socket: passed if the policy allows, else managed. */
static int
open_socket(struct pinger *p, const char *ifname)
{
	int proto = p->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;

	p->handle = -1;
	if ((p->fd = rs_socket(p->c, p->family, SOCK_RAW, proto,
	    ifname)) != -1)
		return 0;
	if (errno == EACCES && (p->handle = rs_open(p->c, p->family,
	    SOCK_RAW, proto, ifname)) != -1)
		return 0;
	fprintf(stderr, "rawsockctl: ping: open: %s%s\n", ctl_why(p->c),
	    errno == EACCES && ifname == NULL ? " (-I IFNAME names one)" : "");
	return -1;
}

/* The request for seq: the kernel sums ICMPv6; ICMP's is summed here, over
 * an IPv4 header put in front for rs_csum_l3 to read. */
static void
build(struct pinger *p, uint16_t seq)
{
	uint8_t *icmp = p->req + sizeof(struct ip);
	struct ip *ip = (struct ip *)p->req;
	uint16_t v;
	const char *why;

	icmp[0] = p->family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	icmp[1] = 0;
	icmp[2] = icmp[3] = 0;
	v = htons(p->id);
	memcpy(icmp + 4, &v, 2);
	v = htons(seq);
	memcpy(icmp + 6, &v, 2);
	if (p->family != AF_INET)
		return;
	memset(ip, 0, sizeof *ip);
	ip->ip_v = 4;
	ip->ip_hl = sizeof *ip / 4;
	ip->ip_len = htons((uint16_t)(sizeof *ip + p->len));
	ip->ip_p = IPPROTO_ICMP;
	rs_csum_l3(p->req, sizeof *ip + p->len, ETH_P_IP, RS_CSUM_ICMP, NULL,
	    &why);
}

static int
send_echo(struct pinger *p)
{
	const uint8_t *icmp = p->req + sizeof(struct ip);
	ssize_t n;

	if (p->fd != -1)
		n = sendto(p->fd, icmp, p->len, 0, (struct sockaddr *)&p->to,
		    p->tolen);
	else
		n = rs_sendto(p->c, p->handle, icmp, p->len, 0,
		    (struct sockaddr *)&p->to, p->tolen);
	if (n == -1)
		fprintf(stderr, "rawsockctl: ping: send: %s\n", p->fd != -1 ?
		    strerror(errno) : ctl_why(p->c));
	return n == -1 ? -1 : 0;
}

/* Whether the datagram from sa is the reply to seq; its TTL (IPv4, else
 * -1) into *ttl. */
static bool
is_reply(const struct pinger *p, const struct sockaddr_storage *sa,
    size_t n, uint16_t seq, int *ttl)
{
	const struct sockaddr_in *a4 = (const void *)sa, *t4 = (void *)&p->to;
	const struct sockaddr_in6 *a6 = (const void *)sa, *t6 = (void *)&p->to;
	const uint8_t *icmp = p->reply;
	size_t hl = 0;
	uint16_t id, got;

	*ttl = -1;
	if (p->family == AF_INET) {
		if (sa->ss_family != AF_INET ||
		    a4->sin_addr.s_addr != t4->sin_addr.s_addr || n < 20)
			return false;
		if ((hl = (size_t)(p->reply[0] & 0x0f) * 4) < 20)
			return false;
		*ttl = p->reply[8];
		icmp += hl;
	} else if (sa->ss_family != AF_INET6 ||
	    memcmp(&a6->sin6_addr, &t6->sin6_addr, sizeof a6->sin6_addr) != 0)
		return false;
	if (n < hl + p->len || icmp[0] != (p->family == AF_INET ?
	    ICMP_ECHOREPLY : ICMP6_ECHO_REPLY) || icmp[1] != 0)
		return false;
	memcpy(&id, icmp + 4, 2);
	memcpy(&got, icmp + 6, 2);
	return ntohs(id) == p->id && ntohs(got) == seq &&
	    memcmp(icmp + ECHO_HDR, p->req + sizeof(struct ip) + ECHO_HDR,
	    p->len - ECHO_HDR) == 0;
}

/* One datagram within ms (n, 0 when none came, -1 on error). */
static ssize_t
receive(struct pinger *p, struct sockaddr_storage *sa, int ms)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	socklen_t salen = sizeof *sa;
	ssize_t n;

	if (p->fd == -1) {
		n = rs_recvfrom(p->c, p->handle, p->reply, REPLY_MAX, 0,
		    (struct sockaddr *)sa, &salen, ms);
		if (n == -1 && (errno == EAGAIN || errno == ETIMEDOUT))
			return 0;
		if (n == -1)
			fprintf(stderr, "rawsockctl: ping: recv: %s\n",
			    ctl_why(p->c));
		return n;
	}
	if ((n = poll(&pfd, 1, ms)) <= 0)
		return n == -1 && errno == EINTR ? 0 : n;
	n = recvfrom(p->fd, p->reply, REPLY_MAX, MSG_DONTWAIT,
	    (struct sockaddr *)sa, &salen);
	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		fprintf(stderr, "rawsockctl: ping: recv: %s\n",
		    strerror(errno));
		return -1;
	}
	return n == -1 ? 0 : n;
}

/* Wait for seq's reply until deadline (ctl_now_us()); its round trip in us,
 * -1 when none came, -2 on error. */
static long long
await(struct pinger *p, uint16_t seq, long long sent, long long deadline,
    const char *host)
{
	struct sockaddr_storage sa;
	long long now;
	ssize_t n;
	int ttl;

	while (!ctl_stop && (now = ctl_now_us()) < deadline) {
		if ((n = receive(p, &sa, (int)((deadline - now + 999) /
		    1000))) < 0)
			return -2;
		if (n == 0 || !is_reply(p, &sa, (size_t)n, seq, &ttl))
			continue;
		now = ctl_now_us();
		printf("%zu bytes from %s: icmp_seq=%u", p->len, host,
		    (unsigned)seq);
		if (ttl >= 0)
			printf(" ttl=%d", ttl);
		printf(" time=%.3f ms\n", (now - sent) / 1000.0);
		fflush(stdout);
		return now - sent;
	}
	return -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: rawsockctl ping [-4|-6] [-c COUNT] "
	    "[-i INTERVAL_MS] [-W TIMEOUT_MS] [-s SIZE] [-I IFNAME] HOST\n");
}

int
ctl_ping(const char *path, int argc, char **argv)
{
	struct pinger p = { .fd = -1, .handle = -1 };
	long long count = 0, interval = 1000, timeout = 1000, size = 56;
	long long rtt, sent_at, sum = 0, min = LLONG_MAX, max = 0;
	const char *ifname = NULL, *host;
	unsigned long long sent = 0, got = 0;
	int ch, family = AF_UNSPEC, r = 1;
	bool failed = false;
	char addr[INET6_ADDRSTRLEN];
	size_t i, cookie;

	optind = 1;
	while ((ch = getopt(argc, argv, "46c:i:W:s:I:")) != -1) {
		switch (ch) {
		case '4': family = AF_INET; break;
		case '6': family = AF_INET6; break;
		case 'c': count = num('c', optarg, 1, COUNT_MAX); break;
		case 'i': interval = num('i', optarg, INTERVAL_MIN_MS,
		    3600000); break;
		case 'W': timeout = num('W', optarg, 1, 3600000); break;
		case 's': size = num('s', optarg, 0, PAYLOAD_MAX); break;
		case 'I': ifname = optarg; break;
		default: usage(); return 2;
		}
		if (count < 0 || interval < 0 || timeout < 0 || size < 0)
			return 2;
	}
	if (argc - optind != 1) {
		usage();
		return 2;
	}
	host = argv[optind];
	p.len = ECHO_HDR + (size_t)size;
	if ((p.req = calloc(1, sizeof(struct ip) + p.len)) == NULL ||
	    (p.reply = malloc(REPLY_MAX)) == NULL) {
		fprintf(stderr, "rawsockctl: ping: out of memory\n");
		goto out;
	}
	/* Every raw ICMP socket sees every echo reply: a random identifier
	 * and cookie (a pid may be another namespace's too) keep another
	 * ping's replies from counting as this one's. */
	for (i = 0; i < (size_t)size; i++)
		p.req[sizeof(struct ip) + ECHO_HDR + i] = (uint8_t)i;
	cookie = size < COOKIE ? (size_t)size : COOKIE;
	if (getrandom(&p.id, sizeof p.id, 0) != sizeof p.id ||
	    getrandom(p.req + sizeof(struct ip) + ECHO_HDR, cookie, 0) !=
	    (ssize_t)cookie) {
		fprintf(stderr, "rawsockctl: ping: getrandom: %s\n",
		    strerror(errno));
		goto out;
	}
	if ((p.c = ctl_connect(path)) == NULL || resolve(&p, host,
	    family) == -1 || open_socket(&p, ifname) == -1)
		goto out;
	inet_ntop(p.family, p.family == AF_INET ?
	    (void *)&((struct sockaddr_in *)&p.to)->sin_addr :
	    (void *)&((struct sockaddr_in6 *)&p.to)->sin6_addr, addr,
	    sizeof addr);
	printf("PING %s (%s): %lld data bytes, socket %s, id %u\n", host, addr,
	    size, p.fd != -1 ? "passed" : "managed", (unsigned)p.id);
	ctl_catch_signals();
	while (!ctl_stop && (count == 0 || (long long)sent < count)) {
		build(&p, (uint16_t)(sent + 1));
		sent_at = ctl_now_us();
		if (send_echo(&p) == -1) {
			failed = true;
			break;
		}
		sent++;
		if ((rtt = await(&p, (uint16_t)sent, sent_at, sent_at +
		    timeout * 1000, addr)) == -2) {
			failed = true;
			break;
		}
		if (rtt >= 0) {
			got++;
			sum += rtt;
			min = rtt < min ? rtt : min;
			max = rtt > max ? rtt : max;
		}
		/* The rest of the interval, if there is a next one. */
		if (count == 0 || (long long)sent < count)
			while (!ctl_stop && ctl_now_us() < sent_at + interval *
			    1000)
				poll(NULL, 0, (int)((sent_at + interval * 1000 -
				    ctl_now_us() + 999) / 1000));
	}
	printf("--- %s ping statistics ---\n%llu packets transmitted, %llu "
	    "received, %.0f%% packet loss\n", host, sent, got, sent == 0 ? 0.0 :
	    100.0 * (double)(sent - got) / (double)sent);
	if (got > 0)
		printf("rtt min/avg/max = %.3f/%.3f/%.3f ms\n", min / 1000.0,
		    (double)sum / (double)got / 1000.0, max / 1000.0);
	/* As ping(8): 2 on an error, else 0 when a reply came. */
	r = failed ? 2 : got > 0 ? 0 : 1;
out:
	if (p.fd != -1)
		close(p.fd);
	rs_conn_close(p.c);
	free(p.req);
	free(p.reply);
	return r;
}
