/*
 * configdev: an interface's address, promiscuous mode, ARP and up/down
 * (the seed's RAWSOCK:CONFIGDEV, whose address argument this one honours),
 * through rtnetlink; the answer is the interface's state as the kernel
 * has it afterwards.  Everything is checked before anything changes, and
 * the promiscuous hold, the one change a later failure can undo, is taken
 * first.  Promiscuous mode is held per connection (promisc.c) and reverts
 * when the connection goes, however it goes.
 */
#include <net/if.h>
#include <stdbool.h>

#include "dispatch.h"
#include "ifaddr.h"
#include "log.h"
#include "netlink.h"
#include "policy.h"
#include "promisc.h"
#include "sock.h"

struct configdev_args {
	const char	*ifname;
	const char	*address;	/* NULL: leave the addresses */
	long long	 prefix;	/* -1: not given */
	int		 promisc;	/* -1: leave as is */
	int		 noarp;
	int		 up;
};

static const struct rs_param configdev_params[] = {
	{ "ifname", RS_P_STR, offsetof(struct configdev_args, ifname),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	{ "address", RS_P_STR, offsetof(struct configdev_args, address), 0, 0,
	    0, 0, 0 },
	{ "prefix", RS_P_INT, offsetof(struct configdev_args, prefix), 0, 0,
	    -1, 0, 128 },
	{ "promisc", RS_P_TRIBOOL, offsetof(struct configdev_args, promisc), 0,
	    0, 0, 0, 0 },
	{ "noarp", RS_P_TRIBOOL, offsetof(struct configdev_args, noarp), 0, 0,
	    0, 0, 0 },
	{ "up", RS_P_TRIBOOL, offsetof(struct configdev_args, up), 0, 0, 0, 0,
	    0 },
	RS_PARAM_END
};

static void
want_flag(unsigned *mask, unsigned *flags, unsigned flag, int value)
{
	if (value == -1)
		return;
	*mask |= flag;
	if (value)
		*flags |= flag;
}

/* Apply the changes; on failure undo a promiscuous hold just taken. */
static int
apply(struct request *req, struct nl *n, int ifindex,
    const struct configdev_args *a, const struct rs_ifaddr *addr)
{
	unsigned mask = 0, flags = 0;
	bool took = false;

	want_flag(&mask, &flags, IFF_NOARP, a->noarp);
	want_flag(&mask, &flags, IFF_UP, a->up);
	if (a->promisc == 1 && !promisc_held(req->conn, ifindex)) {
		if (promisc_hold(req->conn, ifindex, &req->err) == -1)
			return -1;
		took = true;
	}
	/* Taking an interface down removes its IPv6 addresses: down first,
	 * address second; otherwise the address goes first, as the likelier
	 * refusal. */
	if ((a->up == 0 && nl_set_flags(n, ifindex, mask, flags,
	    &req->err) == -1) ||
	    (a->address != NULL &&
	    nl_set_address(n, ifindex, addr, &req->err) == -1) ||
	    (a->up != 0 && mask != 0 && nl_set_flags(n, ifindex, mask, flags,
	    &req->err) == -1)) {
		if (took)
			promisc_release(req->conn, ifindex);
		return -1;
	}
	if (a->promisc == 0)
		promisc_release(req->conn, ifindex);
	return 0;
}

static int
configdev(struct request *req, void *argp)
{
	struct configdev_args *a = argp;
	struct conn *c = req->conn;
	struct rs_ifaddr addr;
	const char *key;
	json_t *state, *v;
	struct nl *n;
	char name[IF_NAMESIZE];
	int ifindex;
	bool held;

	/* The policy sees the interface's own name, not an alternative one
	 * the kernel also takes. */
	if (sock_ifindex(a->ifname, &ifindex, name, &req->err) == -1 ||
	    policy_check_configdev(req->rule, name, &req->err) == -1)
		return OP_FAIL;
	if (a->address == NULL && a->prefix != -1)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "prefix: given without an address");
	if (a->address != NULL && (rs_ifaddr_parse(a->address, a->prefix,
	    &addr, &req->err) == -1 || policy_check_address(req->rule, &addr,
	    &req->err) == -1))
		return OP_FAIL;
	if ((n = nl_open(&req->err)) == NULL)
		return OP_FAIL;
	held = promisc_held(c, ifindex);
	if (apply(req, n, ifindex, a, &addr) == -1) {
		nl_close(n);
		return OP_FAIL;
	}
	if ((state = nl_link_state(n, ifindex, &req->err)) == NULL) {
		/* Made but not read back: it fails, and a failed request
		 * gives back the hold it took. */
		if (!held)
			promisc_release(c, ifindex);
		nl_close(n);
		return OP_FAIL;
	}
	nl_close(n);
	log_info("conn %llu: uid %u pid %d configdev %s:%s%s%s%s%s",
	    (unsigned long long)c->id, (unsigned)c->peer.uid,
	    (int)c->peer.pid, a->ifname, a->address != NULL ? " address " :
	    "", a->address != NULL ? a->address : "",
	    a->promisc == -1 ? "" : a->promisc ? " promisc on" : " promisc off",
	    a->noarp == -1 ? "" : a->noarp ? " noarp on" : " noarp off",
	    a->up == -1 ? "" : a->up ? " up" : " down");
	json_object_foreach(state, key, v)
		request_set(req, key, json_incref(v));
	json_decref(state);
	request_set(req, "promisc_held",
	    json_boolean(promisc_held(c, ifindex)));
	return OP_OK;
}

const struct op_entry op_configdev = {
	"configdev", configdev_params, sizeof(struct configdev_args), configdev
};
