/*
 * The only place that sets up sockets for clients, in the race-free order
 * of PROTOCOL.md section 4: a receiving packet socket is created with
 * protocol 0 (it sees nothing; sockpool.c makes them ahead), the filter is
 * attached (and locked), it is bound to its interface and protocol, and an
 * IP raw socket, which received before its filter, is drained.  Only then
 * may it be handed out.
 */
#ifndef SOCK_H
#define SOCK_H

#include <sys/types.h>

#include <net/if.h>
#include <stdbool.h>
#include <jansson.h>

#include "addr.h"
#include "error.h"
#include "filter.h"

struct sock_setup {
	int			 domain;
	int			 type;
	int			 protocol;	/* host order; ETH_P_* for packet */
	int			 ifindex;	/* 0: no interface */
	const char		*ifname;	/* as asked; NULL: none */
	char			 ifreal[IF_NAMESIZE];	/* its own name */
	const struct rs_addr	*bind;		/* NULL: none */
	const struct filter	*filter;	/* NULL or empty: none */
	bool			 lock_filter;
	bool			 blocking;	/* passed as it is made */
	uid_t			 uid;		/* who asks: closes it owes */
};

/* A protocol for domain: ETH_P_* for packet, IPPROTO_* or a name
 * getprotobyname knows for inet/inet6, 0 otherwise. */
int	 sock_protocol(int domain, const json_t *v, int *out,
	     struct rs_error *e);
/* ifname -> ifindex and the interface's own name into name (the kernel
 * takes an alternative name too: the policy must see the real one);
 * ENODEV when unknown. */
int	 sock_ifindex(const char *ifname, int *ifindex, char name[IF_NAMESIZE],
	     struct rs_error *e);
/* The interface's ARPHRD_* type; 0 when unknown. */
int	 sock_arphrd(int ifindex);
/* Whether the socket receives frames (and so gets filters). */
bool	 sock_receives(int domain, int type);

/* Step 1: create or take from the pool (close-on-exec, non-blocking
 * unless asked) and attach the filter; EAGAIN while too many sockets wait
 * to be closed (closer.c). */
int	 sock_new(const struct sock_setup *s, struct rs_error *e);
/* bind(2) to an address the policy allowed (privs_bind: a privileged
 * port gets CAP_NET_BIND_SERVICE for the call, or EACCES saying why). */
int	 sock_bind(int fd, const struct rs_addr *a, struct rs_error *e);
/* Step 2, after any options: bind to interface/address; drain an IP raw
 * socket. */
int	 sock_finish(int fd, const struct sock_setup *s, struct rs_error *e);
/* Discard what fd has queued to read (bounded). */
void	 sock_drain(int fd);

#endif
