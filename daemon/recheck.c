/*
 * A reload changes what open handles may do, not only what new requests
 * may.  Ops look the rule up as they run, but a handle also carries what
 * its rule allowed when it was made: its interface, its policy filter (a
 * pass locks that one in for good), its memberships.  So each connection's
 * rule is looked up again, and a handle the new rule would not have made
 * as it is now is closed, with a `closed` event (reason "policy"): another
 * socket type or protocol, an interface no longer allowed (or none, where
 * unbound is not), another policy filter, a membership on an interface
 * no longer allowed, a promiscuous or all-multicast one on an interface
 * without configdev.  Promiscuous holds on
 * such interfaces are given back.
 */
#include <string.h>
#include <net/if.h>

#include "conn.h"
#include "daemon.h"
#include "filter.h"
#include "handle.h"
#include "ifctl.h"
#include "log.h"
#include "policy.h"
#include "promisc.h"
#include "recheck.h"
#include "sock.h"
#include "stream.h"

static int
interface_allowed(const struct policy_rule *r, const struct handle *h,
    struct rs_error *e)
{
	char name[IF_NAMESIZE];

	if (h->ifindex == 0)
		return sock_receives(h->domain, h->type) ?
		    policy_check_unbound(r, e) : 0;
	/* Gone: ifgone.c closes it. */
	if (ifctl_name((unsigned)h->ifindex, name) == NULL)
		return 0;
	return policy_check_interface(r, name, e);
}

/* The rule's filter for h must be the one h carries, byte for byte. */
static int
filter_kept(const struct policy_rule *r, const struct handle *h,
    struct rs_error *e)
{
	struct filter pf;
	int linktype = h->linktype;
	bool same;

	if (!sock_receives(h->domain, h->type))
		return 0;
	if (linktype == -1 && r != NULL && r->allow.filter != NULL)
		linktype = filter_linktype(h->domain, h->type,
		    sock_arphrd(h->ifindex));
	if (policy_filter(r, linktype, &pf, e) == -1)
		return -1;
	same = pf.len == h->policy_filter.len && (pf.len == 0 ||
	    memcmp(pf.insns, h->policy_filter.insns,
	    pf.len * sizeof *pf.insns) == 0);
	filter_free(&pf);
	if (!same)
		return rs_error_set(e, RS_E_DENIED, 0,
		    "its policy filter changed");
	return 0;
}

/* Every interface its memberships name, still allowed; configdev where
 * they change the device. */
static int
memberships_allowed(const struct policy_rule *r, const struct handle *h,
    struct rs_error *e)
{
	const struct handle_dev *d;
	char name[IF_NAMESIZE];
	size_t i;

	for (i = 0; i < h->devs.n; i++) {
		d = &h->devs.d[i];
		if (ifctl_name((unsigned)d->ifindex, name) == NULL)
			continue;
		if (policy_check_interface(r, name, e) == -1 ||
		    (d->device > 0 && policy_check_configdev(r, name,
		    e) == -1))
			return -1;
	}
	return 0;
}

static int
handle_allowed(const struct policy_rule *r, const struct handle *h,
    struct rs_error *e)
{
	if (policy_check_socket(r, h->domain, h->type,
	    policy_protocol(h->domain, h->type, h->protocol), e) == -1 ||
	    interface_allowed(r, h, e) == -1 || filter_kept(r, h, e) == -1 ||
	    memberships_allowed(r, h, e) == -1)
		return -1;
	return 0;
}

size_t
recheck_conns(struct daemon *d)
{
	const struct policy_rule *r;
	struct handle *h, *next;
	struct rs_error e;
	struct conn *c;
	size_t closed = 0;

	TAILQ_FOREACH(c, &d->conns, entry) {
		if (c->dead)
			continue;
		r = policy_match(d->policy, &c->peer);
		for (h = TAILQ_FIRST(&c->handles); h != NULL; h = next) {
			next = TAILQ_NEXT(h, entry);
			memset(&e, 0, sizeof e);
			if (handle_allowed(r, h, &e) == 0)
				continue;
			log_notice("conn %llu: uid %u: handle %lld: the "
			    "reloaded policy takes it away: %s",
			    (unsigned long long)c->id, (unsigned)c->peer.uid,
			    h->id, e.message);
			stream_close_handle(h, "policy");
			closed++;
		}
		promisc_recheck(c, r);
	}
	return closed;
}
