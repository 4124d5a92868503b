/*
 * rtnetlink through libmnl: RTM_NEWLINK for flags, RTM_NEWADDR/DELADDR for
 * addresses, RTM_GETLINK and an RTM_GETADDR dump for the state.
 *
 * These calls are synchronous and run on the loop thread.  That is
 * acceptable because every one is bounded: dumps ask for one interface's
 * addresses (strict checking), and the daemon adds at most NL_MAX_ADDRS
 * IPv6 ones to an interface; a fresh socket per request (no
 * stale replies to skip), a receive timeout of NL_TIMEOUT_MS on every read,
 * at most NL_MAX_READS reads per exchange, sequence number and port id
 * checked on every reply (mnl_cb_run), and NLM_F_ACK on every request that
 * is not a dump, so that success ends the exchange as surely as failure.
 * The kernel answers these in microseconds; the limits only guard against
 * the unexpected.  The socket is close-on-exec like every other.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "const.h"
#include "netlink.h"

#define NL_BUFSIZE	32768
#define NL_TIMEOUT_MS	1000
#define NL_MAX_READS	256
/* Addresses reported (and replaced) per interface: bounds the reply. */
#define NL_MAX_ADDRS	256
#define NL_DUMP_TRIES	3		/* after an interrupted dump */
/* The attribute types we read are all below this. */
#define NL_MAX_ATTR	32

struct nl {
	struct mnl_socket	*sock;
	unsigned		 portid;
	unsigned		 seq;
	char			 ext_msg[128];	/* the kernel's reason, if any */
	char			 buf[NL_BUFSIZE];
};

/* What mnl_cb_run hands every callback: the socket and the caller's. */
struct nl_call {
	struct nl	*n;
	mnl_cb_t	 cb;
	void		*arg;
};

struct nl_attrs {
	const struct nlattr	*tb[NL_MAX_ATTR];
};

struct nl *
nl_open(struct rs_error *e)
{
	struct timeval tv = { NL_TIMEOUT_MS / 1000,
	    (NL_TIMEOUT_MS % 1000) * 1000 };
	struct nl *n;
	int one = 1, err;

	if ((n = calloc(1, sizeof *n)) == NULL) {
		rs_error_errno(e, ENOMEM, "netlink");
		return NULL;
	}
	if ((n->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) == NULL ||
	    setsockopt(mnl_socket_get_fd(n->sock), SOL_SOCKET, SO_RCVTIMEO,
	    &tv, sizeof tv) == -1 ||
	    mnl_socket_bind(n->sock, 0, MNL_SOCKET_AUTOPID) == -1) {
		err = errno;
		nl_close(n);
		rs_error_errno(e, err, "netlink socket");
		return NULL;
	}
	/* Best effort: the kernel's reason for a refusal, without an echo of
	 * the request. */
	mnl_socket_setsockopt(n->sock, NETLINK_EXT_ACK, &one, sizeof one);
	mnl_socket_setsockopt(n->sock, NETLINK_CAP_ACK, &one, sizeof one);
	/* Dumps filtered by the request's interface (Linux 4.20). */
	mnl_socket_setsockopt(n->sock, NETLINK_GET_STRICT_CHK, &one,
	    sizeof one);
	n->portid = mnl_socket_get_portid(n->sock);
	n->seq = (unsigned)time(NULL);
	return n;
}

void
nl_close(struct nl *n)
{
	if (n == NULL)
		return;
	if (n->sock != NULL)
		mnl_socket_close(n->sock);
	free(n);
}

static int
nl_fail(struct nl *n, struct rs_error *e, int err, const char *what)
{
	if (n->ext_msg[0] != '\0')
		return rs_error_set(e, RS_E_ERRNO, err, "%s: %s (%s)", what,
		    strerror(err), n->ext_msg);
	return rs_error_errno(e, err, what);
}

static int
attr_cb(const struct nlattr *a, void *data)
{
	struct nl_attrs *t = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type < NL_MAX_ATTR)
		t->tb[type] = a;
	return MNL_CB_OK;
}

static int
error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_call *call = data;
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct nl_attrs t = { { 0 } };
	const struct nlattr *msg;
	size_t off = sizeof *err;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof *err)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (err->error == 0)
		return MNL_CB_STOP;		/* the ACK */
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += err->msg.nlmsg_len - sizeof err->msg;
		if (mnl_nlmsg_size(MNL_ALIGN(off)) < nlh->nlmsg_len)
			mnl_attr_parse(nlh, (unsigned)off, attr_cb, &t);
		msg = t.tb[NLMSGERR_ATTR_MSG];
		if (msg != NULL &&
		    mnl_attr_validate(msg, MNL_TYPE_NUL_STRING) == 0)
			snprintf(call->n->ext_msg, sizeof call->n->ext_msg,
			    "%s", mnl_attr_get_str(msg));
	}
	errno = err->error < 0 ? -err->error : EPROTO;
	return MNL_CB_ERROR;
}

static int
noop_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_OK;
}

/* The end of a dump; it may carry the error that cut the dump short. */
static int
done_cb(const struct nlmsghdr *nlh, void *data)
{
	int err;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof err))
		return MNL_CB_STOP;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof err);
	if (err < 0) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static int
overrun_cb(const struct nlmsghdr *nlh, void *data)
{
	errno = ENOSPC;
	return MNL_CB_ERROR;
}

static int
data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_call *call = data;

	return call->cb != NULL ? call->cb(nlh, call->arg) : MNL_CB_OK;
}

static struct nlmsghdr *
nl_msg(struct nl *n, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(n->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++n->seq;
	return nlh;
}

/* Send nlh (built in n->buf) and read replies, each through cb, until the
 * ACK, the end of the dump or an error. */
static int
nl_talk(struct nl *n, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg,
    const char *what, struct rs_error *e)
{
	/* Given a table, libmnl uses no defaults for control messages. */
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = noop_cb,
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
		[NLMSG_OVERRUN] = overrun_cb,
	};
	struct nl_call call = { n, cb, arg };
	unsigned seq = nlh->nlmsg_seq;
	int i, r = MNL_CB_OK;
	ssize_t len;

	/* NLM_F_DUMP is two bits, one of which NLM_F_REPLACE shares. */
	if ((nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	n->ext_msg[0] = '\0';
	if (mnl_socket_sendto(n->sock, nlh, nlh->nlmsg_len) == -1)
		return nl_fail(n, e, errno, what);
	for (i = 0; i < NL_MAX_READS && r == MNL_CB_OK; i++) {
		len = mnl_socket_recvfrom(n->sock, n->buf, sizeof n->buf);
		if (len == -1 && errno == EINTR)
			continue;
		if (len == -1)
			return nl_fail(n, e, errno == EAGAIN ? ETIMEDOUT :
			    errno, what);
		r = mnl_cb_run2(n->buf, (size_t)len, seq, n->portid, data_cb,
		    &call, ctl, NLMSG_MIN_TYPE);
		if (r == MNL_CB_ERROR)
			return nl_fail(n, e, errno, what);
	}
	if (r != MNL_CB_STOP)
		return nl_fail(n, e, EMSGSIZE, what);
	return 0;
}

int
nl_set_flags(struct nl *n, int ifindex, unsigned mask, unsigned flags,
    struct rs_error *e)
{
	struct nlmsghdr *nlh = nl_msg(n, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags & mask;
	ifi->ifi_change = mask;
	return nl_talk(n, nlh, NULL, NULL, "set interface flags", e);
}

static size_t
addr_len(int family)
{
	return family == AF_INET ? sizeof(struct in_addr) :
	    sizeof(struct in6_addr);
}

/* RTM_NEWADDR (create or replace) or RTM_DELADDR of one address. */
static int
nl_addr(struct nl *n, uint16_t type, int ifindex, const struct rs_ifaddr *a,
    struct rs_error *e)
{
	uint16_t flags = type != RTM_NEWADDR ? 0 : a->family == AF_INET6 ?
	    NLM_F_CREATE | NLM_F_EXCL : NLM_F_CREATE | NLM_F_REPLACE;
	struct nlmsghdr *nlh = nl_msg(n, type, flags);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
	struct in_addr brd;

	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = (uint8_t)a->prefix;
	ifa->ifa_index = (unsigned)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, addr_len(a->family), &a->addr);
	/* A removal names the address by IFA_LOCAL alone: a point-to-point
	 * one's IFA_ADDRESS is its peer's, and would not match. */
	if (type == RTM_NEWADDR)
		mnl_attr_put(nlh, IFA_ADDRESS, addr_len(a->family), &a->addr);
	/* As ifconfig and `ip addr add ... brd +` do. */
	if (type == RTM_NEWADDR && a->family == AF_INET && a->prefix < 31) {
		brd.s_addr = a->addr.v4.s_addr |
		    htonl(0xffffffffu >> a->prefix);
		mnl_attr_put(nlh, IFA_BROADCAST, sizeof brd, &brd);
	}
	return nl_talk(n, nlh, NULL, NULL, type == RTM_NEWADDR ?
	    "add address" : "remove address", e);
}

/* One address of a dump, if it is ifindex's: 1, 0 if not, -1 if bad. */
static int
addr_parse(const struct nlmsghdr *nlh, int ifindex, struct rs_ifaddr *out)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct nl_attrs t = { { 0 } };
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof *ifa))
		return -1;
	if ((int)ifa->ifa_index != ifindex ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return 0;
	if (mnl_attr_parse(nlh, sizeof *ifa, attr_cb, &t) < 0)
		return -1;
	/* IPv4's own address is IFA_LOCAL (IFA_ADDRESS is a peer's). */
	if ((a = t.tb[IFA_LOCAL]) == NULL && (a = t.tb[IFA_ADDRESS]) == NULL)
		return 0;
	if (mnl_attr_get_payload_len(a) != addr_len(ifa->ifa_family))
		return -1;
	memset(out, 0, sizeof *out);
	out->family = ifa->ifa_family;
	out->prefix = ifa->ifa_prefixlen;
	memcpy(&out->addr, mnl_attr_get_payload(a), addr_len(out->family));
	return 1;
}

struct addr_list {
	int		  ifindex;
	int		  family;	/* only these */
	size_t		  n;
	bool		  full;		/* more than NL_MAX_ADDRS */
	struct rs_ifaddr  a[NL_MAX_ADDRS];
};

static int
addr_list_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct addr_list *l = arg;
	struct rs_ifaddr a;
	int r;

	if ((r = addr_parse(nlh, l->ifindex, &a)) == -1) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (r == 1 && a.family == l->family) {
		if (l->n < NL_MAX_ADDRS)
			l->a[l->n++] = a;
		else
			l->full = true;
	}
	return MNL_CB_OK;
}

/* The addresses of family (AF_UNSPEC: both) on ifindex: with strict
 * checking on (nl_open) the kernel dumps that interface's alone, not the
 * host's; the callbacks look at the index all the same. */
static int
nl_addr_dump(struct nl *n, int ifindex, int family, mnl_cb_t cb, void *arg,
    struct rs_error *e)
{
	struct nlmsghdr *nlh = nl_msg(n, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);

	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_index = (unsigned)ifindex;
	return nl_talk(n, nlh, cb, arg, "list addresses", e);
}

static bool
same_ifaddr(const struct rs_ifaddr *x, const struct rs_ifaddr *y)
{
	return x->family == y->family && x->prefix == y->prefix &&
	    memcmp(&x->addr, &y->addr, addr_len(x->family)) == 0;
}

/*
 * IPv6 adds, at most NL_MAX_ADDRS on an interface (each address is work
 * for every dump and getifaddrs() after).  One the interface has already
 * is left as it is: its lifetimes and flags may be the administrator's.
 */
static int
add_ipv6(struct nl *n, int ifindex, const struct rs_ifaddr *a,
    struct addr_list *have, struct rs_error *e)
{
	size_t i;

	if (nl_addr_dump(n, ifindex, AF_INET6, addr_list_cb, have, e) == -1)
		return -1;
	for (i = 0; i < have->n; i++)
		if (memcmp(&have->a[i].addr, &a->addr, addr_len(AF_INET6)) ==
		    0)
			return 0;
	if (have->full || have->n >= NL_MAX_ADDRS)
		return rs_error_set(e, RS_E_QUOTA, 0, "add address: the "
		    "interface has %d IPv6 addresses already", NL_MAX_ADDRS);
	return nl_addr(n, RTM_NEWADDR, ifindex, a, e);
}

int
nl_set_address(struct nl *n, int ifindex, const struct rs_ifaddr *a,
    struct rs_error *e)
{
	struct addr_list *old;
	size_t i, gone = 0;
	int r = -1;

	if ((old = calloc(1, sizeof *old)) == NULL)
		return rs_error_errno(e, ENOMEM, "add address");
	old->ifindex = ifindex;
	old->family = a->family;
	if (a->family == AF_INET6) {
		r = add_ipv6(n, ifindex, a, old, e);
		free(old);
		return r;
	}
	/*
	 * Add first, so that a refusal changes nothing; then remove the
	 * others.  Removing a primary also removes the secondaries of its
	 * subnet (unless promote_secondaries is set), which may take the new
	 * one with it: add it again then.
	 */
	if (nl_addr_dump(n, ifindex, AF_INET, addr_list_cb, old, e) == -1)
		goto out;
	if (old->full) {
		rs_error_set(e, RS_E_ERRNO, E2BIG, "add address: the interface "
		    "has more than %d IPv4 addresses to replace", NL_MAX_ADDRS);
		goto out;
	}
	if (nl_addr(n, RTM_NEWADDR, ifindex, a, e) == -1)
		goto out;
	for (i = 0; i < old->n; i++) {
		if (same_ifaddr(&old->a[i], a))
			continue;
		if (nl_addr(n, RTM_DELADDR, ifindex, &old->a[i], e) == -1 &&
		    e->num != EADDRNOTAVAIL)
			goto out;
		gone++;
	}
	if (gone > 0 && nl_addr(n, RTM_NEWADDR, ifindex, a, e) == -1)
		goto out;
	r = 0;
out:
	free(old);
	return r;
}

struct link_state {
	int	 ifindex;
	json_t	*obj;		/* the link's fields, then "addresses" */
	json_t	*addrs;
};

static json_t *
mac_to_json(const struct nlattr *a)
{
	const unsigned char *p = mnl_attr_get_payload(a);
	size_t i, n = mnl_attr_get_payload_len(a);
	char buf[3 * 32 + 1];

	if (n == 0 || n > 32)
		return json_null();
	for (i = 0; i < n; i++)
		snprintf(buf + 3 * i, sizeof buf - 3 * i, "%02x%s", p[i],
		    i + 1 < n ? ":" : "");
	return json_string(buf);
}

static int
link_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct link_state *s = arg;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nl_attrs t = { { 0 } };
	const struct nlattr *name, *mtu, *promisc, *mac;
	uint32_t count;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof *ifi) ||
	    mnl_attr_parse(nlh, sizeof *ifi, attr_cb, &t) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (ifi->ifi_index != s->ifindex)
		return MNL_CB_OK;
	name = t.tb[IFLA_IFNAME];
	mtu = t.tb[IFLA_MTU];
	promisc = t.tb[IFLA_PROMISCUITY];
	mac = t.tb[IFLA_ADDRESS];
	if (name == NULL || mnl_attr_validate(name, MNL_TYPE_NUL_STRING) < 0 ||
	    (mtu != NULL && mnl_attr_validate(mtu, MNL_TYPE_U32) < 0) ||
	    (promisc != NULL && mnl_attr_validate(promisc, MNL_TYPE_U32) < 0)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	json_decref(s->obj);
	count = promisc != NULL ? mnl_attr_get_u32(promisc) : 0;
	/* IFF_PROMISC in ifi_flags is only the administrative setting (`ip
	 * link set promisc on`); memberships like ours show in the count. */
	s->obj = json_pack("{s:s, s:i, s:o, s:I, s:o, s:I, s:b}",
	    "name", mnl_attr_get_str(name),
	    "index", ifi->ifi_index,
	    "flags", rs_flags_names((long)ifi->ifi_flags, RS_CG_IFF),
	    "mtu", mtu != NULL ? (json_int_t)mnl_attr_get_u32(mtu) : 0,
	    "mac", mac != NULL ? mac_to_json(mac) : json_null(),
	    "promiscuity", (json_int_t)count,
	    "promisc", count > 0 || (ifi->ifi_flags & IFF_PROMISC) != 0);
	if (s->obj == NULL) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int
state_addr_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct link_state *s = arg;
	char text[INET6_ADDRSTRLEN];
	struct rs_ifaddr a;
	json_t *o;
	int r;

	if ((r = addr_parse(nlh, s->ifindex, &a)) == -1) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (r == 0 || json_array_size(s->addrs) >= NL_MAX_ADDRS)
		return MNL_CB_OK;
	inet_ntop(a.family, &a.addr, text, sizeof text);
	o = json_pack("{s:s, s:s, s:i}", "family",
	    a.family == AF_INET ? "inet" : "inet6", "address", text,
	    "prefix", a.prefix);
	if (o == NULL || json_array_append_new(s->addrs, o) == -1) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

json_t *
nl_link_state(struct nl *n, int ifindex, struct rs_error *e)
{
	struct link_state s = { .ifindex = ifindex };
	struct nlmsghdr *nlh = nl_msg(n, RTM_GETLINK, 0);
	int tries;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (nl_talk(n, nlh, link_cb, &s, "read interface", e) == -1)
		goto fail;
	if (s.obj == NULL) {
		rs_error_set(e, RS_E_ERRNO, ENODEV, "interface %d is gone",
		    ifindex);
		goto fail;
	}
	if ((s.addrs = json_array()) == NULL ||
	    json_object_set(s.obj, "addresses", s.addrs) == -1) {
		rs_error_errno(e, ENOMEM, "read interface");
		goto fail;
	}
	/* A dump the kernel says was interrupted (addresses changing
	 * meanwhile) is asked again: the change is made by then, and a
	 * failed answer would say it was not. */
	for (tries = 0; nl_addr_dump(n, ifindex, AF_UNSPEC, state_addr_cb,
	    &s, e) == -1; tries++) {
		if (e->num != EINTR || tries == NL_DUMP_TRIES)
			goto fail;
		json_array_clear(s.addrs);
		memset(e, 0, sizeof *e);
	}
	json_decref(s.addrs);
	return s.obj;
fail:
	json_decref(s.addrs);
	json_decref(s.obj);
	return NULL;
}
