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
/* Forget c's hold on a deleted interface, or (ifindex 0) on every index
 * that names none now: the kernel dropped it, and the index may be given
 * to another interface. */
void	 promisc_gone(struct conn *c, int ifindex);
/* Give back the holds on interfaces where r does not allow configdev. */
void	 promisc_recheck(struct conn *c, const struct policy_rule *r);

#endif
