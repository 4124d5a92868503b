/*
 * Promiscuous mode through the kernel's own counter.  A connection's holds
 * are PACKET_MR_PROMISC memberships on one AF_PACKET socket of protocol 0
 * (it receives nothing) that the daemon keeps for that connection.  Each
 * membership counts once in the interface's promiscuity (`ip -d link`:
 * "promiscuity N"); IFF_PROMISC shows while the count is above zero.
 *
 * Why not IFF_PROMISC set with RTM_NEWLINK and a table of counts: the
 * kernel reverts a membership whenever the socket closes, so the holds go
 * when the connection closes (conn_close closes the socket), and also when
 * the daemon itself is killed or crashes, which no table of ours could
 * undo.  Nobody else's promiscuity is touched: an interface made
 * promiscuous by `ip link set promisc on` (or tcpdump) before the first
 * hold stays so after the last, because it counts separately.  An
 * interface that vanishes takes its memberships with it (the kernel drops
 * them on unregister); releasing one then fails harmlessly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/if_packet.h>

#include "closer.h"
#include "conn.h"
#include "ifctl.h"
#include "ifgone.h"
#include "log.h"
#include "policy.h"
#include "promisc.h"

/* Interfaces one connection may hold: bounds its kernel memberships. */
#define PROMISC_MAX	16

struct promisc {
	int	fd;
	size_t	n;
	int	ifindex[PROMISC_MAX];
};

static int
find(const struct promisc *p, int ifindex)
{
	size_t i;

	for (i = 0; p != NULL && i < p->n; i++) {
		if (p->ifindex[i] == ifindex)
			return (int)i;
	}
	return -1;
}

bool
promisc_held(const struct conn *c, int ifindex)
{
	return find(c->promisc, ifindex) != -1;
}

static int
membership(int fd, int ifindex, int opt)
{
	struct packet_mreq mr = {
		.mr_ifindex = ifindex,
		.mr_type = PACKET_MR_PROMISC,
	};

	return setsockopt(fd, SOL_PACKET, opt, &mr, sizeof mr);
}

int
promisc_hold(struct conn *c, int ifindex, struct rs_error *e)
{
	struct promisc *p = c->promisc;

	if (find(p, ifindex) != -1)
		return 0;
	if (p == NULL) {
		if ((p = calloc(1, sizeof *p)) == NULL)
			return rs_error_errno(e, ENOMEM, "promisc");
		p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		if (p->fd == -1) {
			free(p);
			return rs_error_errno(e, errno, "promisc: socket");
		}
		c->promisc = p;
	}
	if (p->n >= PROMISC_MAX)
		return rs_error_set(e, RS_E_QUOTA, 0, "promisc: a connection "
		    "holds at most %d interfaces promiscuous", PROMISC_MAX);
	if (membership(p->fd, ifindex, PACKET_ADD_MEMBERSHIP) == -1)
		return rs_error_errno(e, errno, "promisc");
	p->ifindex[p->n++] = ifindex;
	return 0;
}

void
promisc_release(struct conn *c, int ifindex)
{
	struct promisc *p = c->promisc;
	int i;

	if ((i = find(p, ifindex)) == -1)
		return;
	/* EADDRNOTAVAIL when the interface went: nothing left to undo. */
	membership(p->fd, ifindex, PACKET_DROP_MEMBERSHIP);
	p->ifindex[i] = p->ifindex[--p->n];
}

void
promisc_gone(struct conn *c, int deleted)
{
	struct promisc *p = c->promisc;
	size_t i = 0;

	while (p != NULL && i < p->n) {
		if (ifgone_is(p->ifindex[i], deleted))
			promisc_release(c, p->ifindex[i]); /* the last to i */
		else
			i++;
	}
}

void
promisc_recheck(struct conn *c, const struct policy_rule *r)
{
	struct promisc *p = c->promisc;
	char name[IF_NAMESIZE];
	struct rs_error e;
	size_t i = 0;
	int ifindex;

	while (p != NULL && i < p->n) {
		ifindex = p->ifindex[i];
		if (ifctl_name((unsigned)ifindex, name) == NULL ||
		    policy_check_configdev(r, name, &e) == 0) {
			i++;
			continue;
		}
		log_notice("conn %llu: uid %u: promisc on %s given back: %s",
		    (unsigned long long)c->id, (unsigned)c->peer.uid, name,
		    e.message);
		promisc_release(c, ifindex);	/* the last one moves to i */
	}
}

void
promisc_release_all(struct conn *c)
{
	if (c->promisc == NULL)
		return;
	/* Closing drops every membership; a packet socket's close waits for
	 * RCU, so not on the loop thread. */
	closer_close(c->promisc->fd);
	free(c->promisc);
	c->promisc = NULL;
}
