/*
 * Managed sockets: the daemon keeps the fd, the client names it by a small
 * integer unique within its connection.
 */
#ifndef HANDLE_H
#define HANDLE_H

#include <stdbool.h>
#include <sys/queue.h>

#include "daemon.h"
#include "error.h"
#include "filter.h"

struct conn;
struct stream;

/* The interfaces a socket's memberships name (IP, IPv6 and packet; not
 * those left to the routes), with how many it holds on each: a reload
 * checks them against the new rule, the device-changing ones (packet
 * promiscuous, all-multicast, unicast) against its configdev. */
#define HANDLE_DEVS_MAX	8
struct handle_dev {
	int			 ifindex;
	unsigned		 joins;		/* memberships held */
	unsigned		 device;	/* of them, device-changing */
};
struct handle_devs {
	struct handle_dev	 d[HANDLE_DEVS_MAX];
	size_t			 n;
};

struct handle {
	TAILQ_ENTRY(handle)	 entry;
	struct conn		*conn;
	long long		 id;
	int			 fd;		/* always non-blocking */
	int			 domain;
	int			 type;
	int			 protocol;	/* host order; ETH_P_* for packet */
	int			 ifindex;	/* bound interface, 0: none */
	bool			 filter_locked;
	int			 linktype;	/* policy_filter's; -1: none */
	struct filter		 policy_filter;	/* attached with the client's */
	struct handle_devs	 devs;
	struct stream		*stream;	/* subscribed: NULL if not */
	int			 ring_off;	/* readable once the ring of a
						 * subscription is off; -1 */
	bool			 ring_unknown;	/* nobody can tell when */
	struct stats		 stats;
};

TAILQ_HEAD(handle_list, handle);

/* Take ownership of fd as a new handle of c; NULL on allocation failure
 * (fd is closed). */
struct handle	*handle_new(struct conn *c, int fd, int domain, int type,
		     int protocol);
/* The handle named id on c, or NULL with e set to no_such_handle. */
struct handle	*handle_find(struct conn *c, long long id, struct rs_error *e);
/* Close (off the loop thread) and free. */
void		 handle_close(struct handle *h);
/* Give the fd away (for pass) and free the handle. */
int		 handle_take_fd(struct handle *h);
/* How many managed sockets the peer's uid holds over all connections. */
unsigned	 handles_of_uid(struct daemon *d, unsigned uid);

#endif
