/*
 * Promiscuous mode held on behalf of clients: each connection's holds, one
 * per interface, released when it asks or when it goes (conn_close).
 */
#ifndef PROMISC_H
#define PROMISC_H

#include <stdbool.h>

#include "error.h"

struct conn;
struct policy_rule;

/* Whether c holds ifindex promiscuous. */
bool	 promisc_held(const struct conn *c, int ifindex);
/* Hold ifindex promiscuous for c; holding it again changes nothing. */
int	 promisc_hold(struct conn *c, int ifindex, struct rs_error *e);
/* Release c's hold on ifindex, if it has one. */
void	 promisc_release(struct conn *c, int ifindex);
/* Release all of c's holds (the connection is closing). */
void	 promisc_release_all(struct conn *c);
/* Forget c's holds on a deleted interface (ifgone_is): the kernel dropped
 * them, and the index may be given to another interface. */
void	 promisc_gone(struct conn *c, int deleted);
/* Give back the holds on interfaces where r does not allow configdev. */
void	 promisc_recheck(struct conn *c, const struct policy_rule *r);

#endif
