/*
 * The interface ioctl socket.  One datagram socket, close-on-exec, opened
 * at start-up so it is part of the daemon's fd baseline and never counted
 * against a request: a lookup is then one ioctl instead of socket, ioctl
 * and close, which on the open path was most of the daemon's own time.
 * The socket only reads; it is bound to nothing and never receives.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ifctl.h"

static int	ctl_fd = -1;

int
ifctl_open(void)
{
	if (ctl_fd != -1)
		return 0;
	ctl_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return ctl_fd == -1 ? -errno : 0;
}

void
ifctl_close(void)
{
	if (ctl_fd != -1)
		close(ctl_fd);
	ctl_fd = -1;
}

/* An ioctl by interface name; -1 (errno ENODEV) for an impossible one. */
static int
name_ioctl(unsigned long req, const char *name, struct ifreq *ifr)
{
	size_t len = strlen(name);

	if (len >= IFNAMSIZ) {
		errno = ENODEV;
		return -1;
	}
	if (ifctl_open() < 0)
		return -1;
	memset(ifr, 0, sizeof *ifr);
	memcpy(ifr->ifr_name, name, len);
	return ioctl(ctl_fd, req, ifr);
}

unsigned
ifctl_index(const char *name)
{
	struct ifreq ifr;

	if (name_ioctl(SIOCGIFINDEX, name, &ifr) == -1)
		return 0;
	return (unsigned)ifr.ifr_ifindex;
}

char *
ifctl_name(unsigned index, char name[IF_NAMESIZE])
{
	struct ifreq ifr = { .ifr_ifindex = (int)index };

	if (ifctl_open() < 0 || ioctl(ctl_fd, SIOCGIFNAME, &ifr) == -1) {
		if (errno == ENODEV)
			errno = ENXIO;
		return NULL;
	}
	memcpy(name, ifr.ifr_name, IF_NAMESIZE);
	name[IF_NAMESIZE - 1] = '\0';
	return name;
}

int
ifctl_arphrd(const char *name)
{
	struct ifreq ifr;

	if (name_ioctl(SIOCGIFHWADDR, name, &ifr) == -1)
		return 0;
	return ifr.ifr_hwaddr.sa_family;
}
