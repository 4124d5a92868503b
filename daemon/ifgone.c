/*
 * Deleted interfaces (ifgone.h): an rtnetlink socket in the link group,
 * read on the loop.  An overrun (ENOBUFS) may have hidden a deletion:
 * then every handle whose interface index names none now is closed.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <event2/event.h>
#include <libmnl/libmnl.h>

#include "conn.h"
#include "daemon.h"
#include "handle.h"
#include "ifctl.h"
#include "ifgone.h"
#include "log.h"
#include "promisc.h"
#include "stream.h"

#define IFGONE_BUF	16384
#define IFGONE_READS	16		/* datagrams a wake-up */

static struct event	*ev;

bool
ifgone_is(int ifindex, int deleted)
{
	char name[IF_NAMESIZE];

	if (ifindex <= 0)
		return false;
	return deleted != 0 ? ifindex == deleted :
	    ifctl_name((unsigned)ifindex, name) == NULL;
}

/* Close d's handles on the deleted interface (ifgone_is) and forget
 * promiscuous holds there. */
static void
close_handles(struct daemon *d, int deleted)
{
	struct handle *h, *next;
	struct conn *c;

	TAILQ_FOREACH(c, &d->conns, entry) {
		if (c->dead)
			continue;
		promisc_gone(c, deleted);
		for (h = TAILQ_FIRST(&c->handles); h != NULL; h = next) {
			next = TAILQ_NEXT(h, entry);
			if (ifgone_is(h->ifindex, deleted))
				stream_close_handle(h, "interface gone");
		}
	}
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	static char buf[IFGONE_BUF];
	struct daemon *d = arg;
	const struct nlmsghdr *nh;
	const struct ifinfomsg *ifi;
	ssize_t n;
	int i, len;

	for (i = 0; i < IFGONE_READS; i++) {
		if ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) == -1) {
			if (errno == ENOBUFS) {
				log_warn("link watch overrun: looking at "
				    "every handle's interface");
				close_handles(d, 0);
				continue;
			}
			return;
		}
		len = (int)n;
		for (nh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nh, len);
		    nh = mnl_nlmsg_next(nh, &len)) {
			if (nh->nlmsg_type != RTM_DELLINK ||
			    mnl_nlmsg_get_payload_len(nh) < sizeof *ifi)
				continue;
			ifi = mnl_nlmsg_get_payload(nh);
			if (ifi->ifi_index > 0)
				close_handles(d, ifi->ifi_index);
		}
	}
}

int
ifgone_start(struct daemon *d)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
	    .nl_groups = RTMGRP_LINK };
	int fd, saved;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    NETLINK_ROUTE);
	if (fd == -1)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    (ev = event_new(d->base, fd, EV_READ | EV_PERSIST, read_cb,
	    d)) == NULL || event_add(ev, NULL) == -1) {
		saved = errno != 0 ? errno : ENOMEM;
		if (ev != NULL)
			event_free(ev);
		ev = NULL;
		close(fd);
		return -saved;
	}
	return 0;
}

void
ifgone_stop(void)
{
	if (ev == NULL)
		return;
	close(event_get_fd(ev));
	event_free(ev);
	ev = NULL;
}
