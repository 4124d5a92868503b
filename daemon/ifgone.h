/*
 * Interfaces that go away.  A socket is bound to an interface by index:
 * a packet socket is cut loose when its interface is deleted, but an IP
 * socket's SO_BINDTODEVICE keeps the index, and an interface made later
 * with the same index (one moved into the namespace keeps its own) would
 * be the socket's without the policy ever seeing it.  So every handle on
 * a deleted interface is closed (`closed` event, reason "interface
 * gone"), subscribed or not, and promiscuous holds on it are forgotten
 * (the kernel dropped them; the index may come back as another's).
 */
#ifndef IFGONE_H
#define IFGONE_H

struct daemon;

#include <stdbool.h>

/* Whether ifindex is the one deleted, or (deleted 0: an overrun hid
 * which) names no interface now. */
bool	ifgone_is(int ifindex, int deleted);
/* Watch for deleted links on d's loop; 0 or -errno. */
int	ifgone_start(struct daemon *d);
void	ifgone_stop(void);

#endif
