/*
 * The watch is polled, not registered on the loop: a cache asks for the
 * generation before it trusts itself, which drains whatever the kernel
 * queued (RTM_NEWLINK, RTM_NEWADDR, ...).  The contents do not matter,
 * only that something changed; an overrun (ENOBUFS) counts as a change.
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "ifwatch.h"

static int		watch_fd = -1;
static unsigned long	generation;

int
ifwatch_open(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
		    RTMGRP_IPV6_IFADDR,
	};
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    NETLINK_ROUTE);
	if (fd == -1)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
		close(fd);
		return -errno;
	}
	watch_fd = fd;
	return 0;
}

void
ifwatch_close(void)
{
	if (watch_fd != -1)
		close(watch_fd);
	watch_fd = -1;
}

unsigned long
ifwatch_generation(void)
{
	char buf[64];
	bool changed = watch_fd == -1;
	ssize_t n;

	while (watch_fd != -1) {
		n = recv(watch_fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
		if (n >= 0)
			changed = true;
		else if (errno == EAGAIN)
			break;
		else if (errno != EINTR)
			changed = true;	/* ENOBUFS: we missed some */
		if (n == -1 && errno != EINTR && errno != ENOBUFS)
			break;
	}
	if (changed)
		generation++;
	return generation;
}
