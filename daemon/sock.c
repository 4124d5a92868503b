/*
 * Socket creation and set-up for clients.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_packet.h>

#include "closer.h"
#include "const.h"
#include "ifctl.h"
#include "privs.h"
#include "sock.h"
#include "sockpool.h"

/* Enough to empty any receive queue set up before the filter. */
#define DRAIN_MAX 100000
/* Sockets waiting to be closed (closer.c) beyond which opens are refused,
 * in all and of the asking uid: each may hold a client's last reference,
 * and its close a grace period. */
#define CLOSE_BACKLOG_MAX 1024
#define CLOSE_BACKLOG_UID 256

int
sock_protocol(int domain, const json_t *v, int *out, struct rs_error *e)
{
	struct protoent pe, *res = NULL;
	const char *why = NULL;
	char buf[1024];
	long x;

	*out = 0;
	if (v == NULL)
		return 0;
	if (domain == AF_PACKET) {
		if (rs_const_parse(v, RS_CG_ETH_P, &x, &why) == -1)
			return rs_error_set(e, RS_E_BAD_REQUEST, 0,
			    "protocol: %s", why);
		if (x < 0 || x > 0xffff)
			return rs_error_set(e, RS_E_BAD_REQUEST, 0,
			    "protocol: an ethertype is 0..0xffff");
	} else if (rs_const_parse(v, RS_CG_IPPROTO, &x, &why) == -1) {
		if (!json_is_string(v) || getprotobyname_r(json_string_value(v),
		    &pe, buf, sizeof buf, &res) != 0 || res == NULL)
			return rs_error_set(e, RS_E_BAD_REQUEST, 0,
			    "protocol: %s", why);
		x = res->p_proto;
	}
	if (x < 0 || x > 0xffff)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "protocol: out of range");
	*out = (int)x;
	return 0;
}

int
sock_ifindex(const char *ifname, int *ifindex, char name[IF_NAMESIZE],
    struct rs_error *e)
{
	unsigned idx;

	if ((idx = ifctl_index(ifname)) == 0 || ifctl_name(idx, name) == NULL)
		return rs_error_set(e, RS_E_ERRNO, ENODEV,
		    "ifname: no such interface '%.32s'", ifname);
	*ifindex = (int)idx;
	return 0;
}

int
sock_arphrd(int ifindex)
{
	char name[IF_NAMESIZE];

	if (ifindex <= 0 || ifctl_name((unsigned)ifindex, name) == NULL)
		return 0;
	return ifctl_arphrd(name);
}

bool
sock_receives(int domain, int type)
{
	return domain == AF_PACKET ||
	    ((domain == AF_INET || domain == AF_INET6) && type == SOCK_RAW);
}

int
sock_new(const struct sock_setup *s, struct rs_error *e)
{
	size_t closing = closer_pending_made();
	size_t mine = closer_pending_for(s->uid);
	int fd, protocol = s->protocol, r;

	if (mine > CLOSE_BACKLOG_UID || closing > CLOSE_BACKLOG_MAX)
		return rs_error_set(e, RS_E_ERRNO, EAGAIN, "busy: %zu sockets "
		    "(%zu of this uid's) are waiting to be closed; try again",
		    closing, mine);
	/* A packet socket of protocol 0 receives nothing until bound. */
	if (s->domain == AF_PACKET) {
		protocol = 0;
		fd = sockpool_take(s->type);
		if (fd != -1 && s->blocking && fcntl(fd, F_SETFL, 0) == -1) {
			r = errno;
			closer_close_for(fd, s->uid);
			return rs_error_errno(e, r, "fcntl");
		}
	} else
		fd = -1;
	if (fd == -1 && (fd = socket(s->domain, s->type | SOCK_CLOEXEC |
	    (s->blocking ? 0 : SOCK_NONBLOCK), protocol)) == -1)
		return rs_error_errno(e, errno, "socket");
	if (s->filter != NULL && s->filter->len > 0 &&
	    (r = filter_attach(fd, s->filter, s->lock_filter)) < 0) {
		closer_close_for(fd, s->uid);
		return rs_error_errno(e, -r, "filter");
	}
	return fd;
}

static int
bind_packet(int fd, const struct sock_setup *s, struct rs_error *e)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };

	if (s->bind != NULL) {
		if (s->bind->ss.ss_family != AF_PACKET)
			return rs_error_set(e, RS_E_BAD_REQUEST, 0,
			    "bind: a packet socket binds a packet address");
		memcpy(&sll, &s->bind->ss, sizeof sll);
		if (sll.sll_ifindex != 0 && s->ifindex != 0 &&
		    sll.sll_ifindex != s->ifindex)
			return rs_error_set(e, RS_E_BAD_REQUEST, 0,
			    "bind: names another interface than ifname");
	}
	if (sll.sll_ifindex == 0)
		sll.sll_ifindex = s->ifindex;
	if (sll.sll_protocol == 0)
		sll.sll_protocol = htons((uint16_t)s->protocol);
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) == -1)
		return rs_error_errno(e, errno, "bind");
	return 0;
}

int
sock_bind(int fd, const struct rs_addr *a, struct rs_error *e)
{
	const struct sockaddr *sa = (const struct sockaddr *)&a->ss;

	if (privs_bind(fd, sa, a->len) == 0)
		return 0;
	if (errno == EACCES && privs_port(sa) != 0)
		return rs_error_set(e, RS_E_ERRNO, EACCES, "bind: port %d "
		    "needs CAP_NET_BIND_SERVICE, which rawsockd has only "
		    "when started as root with --user (not under systemd)",
		    privs_port(sa));
	return rs_error_errno(e, errno, "bind");
}

void
sock_drain(int fd)
{
	char byte;
	int i;

	for (i = 0; i < DRAIN_MAX; i++) {
		if (recv(fd, &byte, 1, MSG_DONTWAIT | MSG_TRUNC) == -1 &&
		    errno != EINTR)
			break;
	}
}

int
sock_finish(int fd, const struct sock_setup *s, struct rs_error *e)
{
	if (s->domain == AF_PACKET) {
		if (bind_packet(fd, s, e) == -1)
			return -1;
	} else {
		if (s->ifname != NULL && setsockopt(fd, SOL_SOCKET,
		    SO_BINDTODEVICE, s->ifname, (socklen_t)strlen(s->ifname)) ==
		    -1)
			return rs_error_errno(e, errno, "SO_BINDTODEVICE");
		if (s->bind != NULL && sock_bind(fd, s->bind, e) == -1)
			return -1;
	}
	/* An IP raw socket received from its socket() on, before its
	 * filter; a packet socket had no protocol until the bind above, and
	 * every frame since then passed its filter. */
	if (s->domain != AF_PACKET && sock_receives(s->domain, s->type))
		sock_drain(fd);
	return 0;
}
