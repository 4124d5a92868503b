/*
 * Helpers the op-*.c files share.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "bytes.h"
#include "conn.h"
#include "envelope.h"
#include "ifctl.h"
#include "op.h"
#include "policy.h"
#include "sock.h"
#include "sockopt.h"
#include "spoof.h"

struct handle *
op_handle(struct request *req, long long id)
{
	struct handle *h;

	if ((h = handle_find(req->conn, id, &req->err)) != NULL)
		request_audit_handle(req, h);
	return h;
}

int
op_errno(struct request *req, const struct handle *h, const char *what,
    int err)
{
	return rs_error_set(&req->err, RS_E_ERRNO, err, "%s on handle %lld: %s",
	    what, h->id, strerror(err));
}

static int
check_ifindex(const struct policy_rule *r, int ifindex, int bound_ifindex,
    struct rs_error *e)
{
	char name[IF_NAMESIZE];

	if (ifindex == 0)
		return bound_ifindex != 0 ? 0 : policy_check_unbound(r, e);
	if (ifctl_name((unsigned)ifindex, name) == NULL)
		return rs_error_set(e, RS_E_ERRNO, ENODEV,
		    "address: no interface with index %d", ifindex);
	return policy_check_interface(r, name, e);
}

int
op_check_ifindex(struct request *req, int ifindex)
{
	request_audit_interface(req, NULL, ifindex);
	return check_ifindex(req->rule, ifindex, 0, &req->err);
}

/*
 * A unix address the daemon binds or reaches for a client: the file
 * system and the peer see the daemon's uid and credentials, not the
 * client's.  So, but for root, a bind only autobinds (a name of its own
 * choosing could be one a service's clients trust), and a connect or
 * send reaches only a name a socket of the same connection is bound to;
 * a client binds or reaches anything else with a socket of its own
 * (pass:true), as itself.
 */
static int
check_unix(const struct policy_rule *r, const struct conn *c,
    const struct rs_addr *a, bool binding, struct rs_error *e)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&a->ss;
	const size_t path_at = offsetof(struct sockaddr_un, sun_path);
	struct sockaddr_storage mine;
	const struct handle *h;
	socklen_t len;

	if (r != NULL && r->index == -1)
		return 0;
	if (a->len > path_at && sun->sun_path[0] != '\0')
		return rs_error_set(e, RS_E_DENIED, 0, "unix address: a path "
		    "would be bound or reached as the daemon; only abstract "
		    "names (open with pass:true to use a path as yourself)");
	if (binding && a->len > path_at)
		return rs_error_set(e, RS_E_DENIED, 0, "unix address: a name "
		    "bound by the daemon speaks with its credentials; bind "
		    "unnamed (the kernel picks one), or open with pass:true");
	if (binding)
		return 0;
	TAILQ_FOREACH(h, &c->handles, entry) {
		len = sizeof mine;
		if (h->domain == AF_UNIX && getsockname(h->fd,
		    (struct sockaddr *)&mine, &len) == 0 &&
		    (size_t)len == a->len && len > path_at &&
		    memcmp(&mine, &a->ss, len) == 0)
			return 0;
	}
	return rs_error_set(e, RS_E_DENIED, 0, "unix address: not a name a "
	    "socket of this connection is bound to (its peer would see the "
	    "daemon's credentials)");
}

int
op_check_address_rule(const struct policy_rule *r, const struct conn *c,
    int domain, int bound_ifindex, const struct rs_addr *a, bool binding,
    struct rs_error *e)
{
	const struct sockaddr_ll *sll = (const struct sockaddr_ll *)&a->ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;

	switch (a->ss.ss_family) {
	case AF_PACKET:
		if (binding && sll->sll_protocol != 0 &&
		    policy_check_bind_protocol(r, ntohs(sll->sll_protocol),
		    e) == -1)
			return -1;
		return check_ifindex(r, sll->sll_ifindex, bound_ifindex, e);
	case AF_INET:
		return binding ? policy_check_port(r, ntohs(sin->sin_port),
		    e) : 0;
	case AF_INET6:
		/* A scope id picks the interface, ahead of SO_BINDTODEVICE. */
		if (sin6->sin6_scope_id != 0 && check_ifindex(r,
		    (int)sin6->sin6_scope_id, bound_ifindex, e) == -1)
			return -1;
		return binding ? policy_check_port(r, ntohs(sin6->sin6_port),
		    e) : 0;
	case AF_UNIX:
		return check_unix(r, c, a, binding, e);
	}
	return 0;
}

void
op_audit_address(struct request *req, const struct rs_addr *a)
{
	const struct sockaddr_ll *sll = (const struct sockaddr_ll *)&a->ss;

	if (a->len > 0 && a->ss.ss_family == AF_PACKET &&
	    sll->sll_ifindex != 0)
		request_audit_interface(req, NULL, sll->sll_ifindex);
}

int
op_check_address(struct request *req, int domain, int bound_ifindex,
    const struct rs_addr *a, bool binding)
{
	op_audit_address(req, a);
	return op_check_address_rule(req->rule, req->conn, domain,
	    bound_ifindex, a, binding, &req->err);
}

void
op_follow_device(struct handle *h)
{
	char name[IF_NAMESIZE] = "";
	socklen_t len = sizeof name;

	if (h->domain == AF_PACKET || getsockopt(h->fd, SOL_SOCKET,
	    SO_BINDTODEVICE, name, &len) == -1)
		return;
	name[sizeof name - 1] = '\0';
	h->ifindex = name[0] != '\0' ? (int)ifctl_index(name) : 0;
}

bool
op_ip_hdrincl(const struct handle *h)
{
	int on = 0;
	socklen_t len = sizeof on;

	if (h->type != SOCK_RAW || (h->domain != AF_INET &&
	    h->domain != AF_INET6))
		return false;
	if (h->protocol == IPPROTO_RAW)
		return true;
	if (h->domain == AF_INET)
		return getsockopt(h->fd, IPPROTO_IP, IP_HDRINCL, &on,
		    &len) == 0 && on;
	return getsockopt(h->fd, IPPROTO_IPV6, IPV6_HDRINCL, &on,
	    &len) == 0 && on;
}

/* Whether the kernel sends to a6 by the scope id, ahead of the socket's
 * interface: link-local, and node- or link-local multicast. */
static bool
scoped(const struct in6_addr *a6)
{
	return IN6_IS_ADDR_LINKLOCAL(a6) || IN6_IS_ADDR_MC_NODELOCAL(a6) ||
	    IN6_IS_ADDR_MC_LINKLOCAL(a6);
}

int
op_check_spoof(const struct policy_rule *r, const struct handle *h,
    const struct rs_addr *to, const uint8_t *p, size_t n,
    struct rs_error *e)
{
	const struct sockaddr_ll *sll = (const struct sockaddr_ll *)&to->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&to->ss;
	int ifindex = h->ifindex;
	uint16_t proto = (uint16_t)h->protocol;

	if (!policy_checks_spoof(r))
		return 0;
	/* The kernel sends with the address's protocol as given, 0 too. */
	if (to->len > 0 && to->ss.ss_family == AF_PACKET) {
		if (sll->sll_ifindex != 0)
			ifindex = sll->sll_ifindex;
		proto = ntohs(sll->sll_protocol);
	}
	if (h->domain == AF_PACKET)
		return spoof_check(ifindex, h->type == SOCK_RAW ? SPOOF_ETHER :
		    SPOOF_L3, proto, p, n, e);
	if (to->len >= sizeof *sin6 && to->ss.ss_family == AF_INET6 &&
	    sin6->sin6_scope_id != 0 && scoped(&sin6->sin6_addr))
		ifindex = (int)sin6->sin6_scope_id;
	if (op_ip_hdrincl(h))
		return spoof_check(ifindex, SPOOF_L3, h->domain == AF_INET ?
		    ETH_P_IP : ETH_P_IPV6, p, n, e);
	return 0;
}

int
op_check_bind_source(struct request *req, int domain, int type, int ifindex,
    const struct rs_addr *a)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;
	uint8_t hdr[40] = { 0 };

	if (type != SOCK_RAW || !policy_checks_spoof(req->rule) ||
	    a->ss.ss_family != domain)
		return 0;
	/* The source it gives every packet, checked as a header would be:
	 * an IPv4 header of 20 bytes, an IPv6 one with no next header. */
	if (domain == AF_INET && a->len >= sizeof *sin &&
	    sin->sin_addr.s_addr != htonl(INADDR_ANY)) {
		hdr[0] = 0x45;
		hdr[3] = 20;
		memcpy(hdr + 12, &sin->sin_addr, 4);
		spoof_refresh();
		return spoof_check(ifindex, SPOOF_L3, ETH_P_IP, hdr, 20,
		    &req->err);
	}
	if (domain == AF_INET6 && a->len >= sizeof *sin6 &&
	    !IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr)) {
		hdr[0] = 0x60;
		hdr[6] = IPPROTO_NONE;
		memcpy(hdr + 8, &sin6->sin6_addr, 16);
		spoof_refresh();
		/* The kernel heeds a scope id on scoped addresses only. */
		return spoof_check(sin6->sin6_scope_id != 0 &&
		    scoped(&sin6->sin6_addr) ? (int)sin6->sin6_scope_id :
		    ifindex, SPOOF_L3, ETH_P_IPV6, hdr, 40, &req->err);
	}
	return 0;
}

/* The interface a value names must be one the rule allows. */
static int
check_option_interface(struct request *req, const struct rs_optval *v)
{
	char name[IF_NAMESIZE];
	int ifindex;

	request_audit_interface(req, v->ifname, v->ifindex);
	/* The interface's own name: the kernel takes alternative ones. */
	if (v->ifname[0] != '\0')
		return sock_ifindex(v->ifname, &ifindex, name, &req->err) ==
		    -1 ? -1 : policy_check_interface(req->rule, name,
		    &req->err);
	if (v->ifindex != 0)
		return check_ifindex(req->rule, v->ifindex, 0, &req->err);
	/* SO_BINDTODEVICE "": unbind, onto every interface. */
	return policy_check_unbound(req->rule, &req->err);
}

/*
 * An IPv4 membership or multicast interface named by an address alone
 * (ip_mreqn's imr_address with no index; ip_mreq_source has no index):
 * the kernel takes the interface that has the address, and so does the
 * check.  0, or -1 (ENODEV) when no interface has it.
 */
static int
interface_by_address(struct request *req, const struct rs_sockopt *o,
    struct rs_optval *v)
{
	struct ip_mreqn mn;
	struct ip_mreq_source ms;
	struct in_addr a;
	char text[INET_ADDRSTRLEN];

	if (o->set == RS_OT_MREQ && v->len >= sizeof mn) {
		memcpy(&mn, v->u.raw, sizeof mn);
		a = mn.imr_address;
	} else if (o->set == RS_OT_MREQ_SRC && v->len >= sizeof ms) {
		memcpy(&ms, v->u.raw, sizeof ms);
		a = ms.imr_interface;
	} else
		return 0;
	if (v->ifindex != 0 || a.s_addr == htonl(INADDR_ANY))
		return 0;
	if ((v->ifindex = spoof_addr_ifindex(AF_INET, &a)) == 0)
		return rs_error_set(&req->err, RS_E_ERRNO, ENODEV, "%s: no "
		    "interface has address %s", o->name,
		    inet_ntop(AF_INET, &a, text, sizeof text));
	return 0;
}

/*
 * +1 for an option that adds a membership, -1 for one that drops one, 0
 * for any other; *device when it is a packet membership other than
 * multicast (promiscuous, all-multicast, unicast): it changes the
 * interface for everyone, which is configdev's.
 */
static int
membership(const struct rs_sockopt *o, const struct rs_optval *v,
    bool *device)
{
	struct packet_mreq m;

	*device = false;
	switch (o->level) {
	case IPPROTO_IP:
		if (o->option == IP_ADD_MEMBERSHIP ||
		    o->option == IP_ADD_SOURCE_MEMBERSHIP)
			return 1;
		return o->option == IP_DROP_MEMBERSHIP ||
		    o->option == IP_DROP_SOURCE_MEMBERSHIP ? -1 : 0;
	case IPPROTO_IPV6:
		return o->option == IPV6_ADD_MEMBERSHIP ? 1 :
		    o->option == IPV6_DROP_MEMBERSHIP ? -1 : 0;
	case SOL_PACKET:
		if ((o->option != PACKET_ADD_MEMBERSHIP &&
		    o->option != PACKET_DROP_MEMBERSHIP) || v->len < sizeof m)
			return 0;
		memcpy(&m, v->u.raw, sizeof m);
		*device = m.mr_type != PACKET_MR_MULTICAST;
		return o->option == PACKET_ADD_MEMBERSHIP ? 1 : -1;
	}
	return 0;
}

static struct handle_dev *
devs_find(struct handle_devs *devs, int ifindex)
{
	size_t i;

	for (i = 0; i < devs->n; i++) {
		if (devs->d[i].ifindex == ifindex)
			return &devs->d[i];
	}
	return NULL;
}

/* Whether devs (NULL: a socket to pass, not kept) has no room for one
 * more interface; true with e set. */
static bool
devs_full(struct handle_devs *devs, int ifindex, struct rs_error *e)
{
	if (devs == NULL || devs->n < HANDLE_DEVS_MAX ||
	    devs_find(devs, ifindex) != NULL)
		return false;
	rs_error_set(e, RS_E_QUOTA, 0, "memberships: a socket's name at "
	    "most %d interfaces", HANDLE_DEVS_MAX);
	return true;
}

/* Count a membership added (joined 1) or dropped (-1) on ifindex; one
 * left to the routes (0) is not. devs_full() left room. */
static void
devs_count(struct handle_devs *devs, int ifindex, int joined, bool device)
{
	struct handle_dev *d;

	if (devs == NULL || ifindex == 0)
		return;
	if ((d = devs_find(devs, ifindex)) == NULL) {
		if (joined < 0)
			return;
		d = &devs->d[devs->n++];
		*d = (struct handle_dev){ .ifindex = ifindex };
	}
	if (joined > 0) {
		d->joins++;
		d->device += device;
	} else {
		d->joins -= d->joins > 0;
		d->device -= device && d->device > 0;
	}
	if (d->joins == 0)
		*d = devs->d[--devs->n];
}

int
op_set_option(struct request *req, int fd, int domain, const json_t *level,
    const json_t *option, const json_t *value, struct handle_devs *devs)
{
	const struct rs_sockopt *o;
	struct rs_optval v;
	bool privileged, device;
	int lvl, joined;

	if (level == NULL || option == NULL || value == NULL)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "%s: missing", level == NULL ? "level" :
		    option == NULL ? "option" : "value");
	if (rs_sockopt_level(level, &lvl, &req->err) == -1 ||
	    (o = rs_sockopt_lookup(lvl, option, &req->err)) == NULL ||
	    rs_sockopt_encode(o, value, &v, &req->err) == -1)
		return -1;
	request_audit_option(req, o->name);
	privileged = (o->flags & RS_OF_PRIVILEGED) != 0 &&
	    !(o->set == RS_OT_INT && v.u.i >= 0 && v.u.i <= o->free_max);
	if (policy_check_option(req->rule, o->name, privileged,
	    (o->flags & RS_OF_SPOOF) != 0, &req->err) == -1)
		return -1;
	/* An interface index of 0 (IPV6_MULTICAST_IF's default) names
	 * none: the routes choose, as without the option. */
	if ((o->flags & RS_OF_INTERFACE) && (interface_by_address(req, o,
	    &v) == -1 || (!(o->set == RS_OT_INT && v.ifindex == 0) &&
	    check_option_interface(req, &v) == -1)))
		return -1;
	joined = membership(o, &v, &device);
	if (joined > 0 && device) {
		/* By its own name, whatever name it was given by. */
		if (ifctl_name((unsigned)v.ifindex, v.ifname) == NULL)
			return rs_error_set(&req->err, RS_E_ERRNO, ENODEV,
			    "%s: no interface with index %d", o->name,
			    v.ifindex);
		if (policy_check_configdev(req->rule, v.ifname,
		    &req->err) == -1)
			return -1;
	}
	if (joined > 0 && v.ifindex != 0 && devs_full(devs, v.ifindex,
	    &req->err))
		return -1;
	if (o->flags & RS_OF_UNSUPPORTED)
		return rs_error_set(&req->err, RS_E_ERRNO, ENOPROTOOPT,
		    "%s: not supported on Linux", o->name);
	if (setsockopt(fd, o->level, o->option, v.u.raw, v.len) == -1)
		return rs_error_set(&req->err, RS_E_ERRNO, errno, "%s: %s",
		    o->name, strerror(errno));
	if (joined != 0)
		devs_count(devs, v.ifindex, joined, device);
	return 0;
}

json_t *
op_sockname(int fd, bool peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	json_t *j;
	int r;

	if (peer)
		r = getpeername(fd, (struct sockaddr *)&ss, &len);
	else
		r = getsockname(fd, (struct sockaddr *)&ss, &len);
	if (r == -1 || (j = rs_addr_to_json((struct sockaddr *)&ss,
	    len)) == NULL)
		return json_null();
	return j;
}

/* Room kept for the envelope and the other result fields. */
#define LIST_SLACK	(16 * 1024)

bool
op_list_add(struct request *req, json_t *list, json_t *entry, size_t *used)
{
	size_t n = entry != NULL ? json_dumpb(entry, NULL, 0,
	    JSON_COMPACT) + 1 : 0;

	/* An entry that could not be made (no memory) ends the list too. */
	if (entry == NULL || *used + n > RS_MAX_RESPONSE - LIST_SLACK) {
		json_decref(entry);
		request_set(req, "truncated", json_true());
		return false;
	}
	*used += n;
	json_array_append_new(list, entry);
	return true;
}

int
op_set_name(json_t *o, const char *name)
{
	char hex[2 * IF_NAMESIZE + 1];

	if (o == NULL)
		return -1;
	if (json_object_set_new(o, "name", json_string(name)) == 0)
		return 0;
	rs_hex_format((const uint8_t *)name, strnlen(name, IF_NAMESIZE), '\0',
	    hex);
	if (json_object_set_new(o, "name", json_null()) == -1 ||
	    json_object_set_new(o, "name_hex", json_string(hex)) == -1)
		return -1;
	return 0;
}

/* The ethertype of an ethernet frame, past one VLAN tag. */
static long
frame_ethertype(const uint8_t *p, size_t n)
{
	long t = p[12] << 8 | p[13];

	if ((t == ETH_P_8021Q || t == ETH_P_8021AD) && n >= ETH_HLEN + 4)
		t = p[16] << 8 | p[17];
	return t;
}

int
op_check_frame(const struct policy_rule *r, const struct handle *h,
    const struct rs_addr *to, const uint8_t *p, size_t n, struct rs_error *e)
{
	const struct sockaddr_ll *sll = (const struct sockaddr_ll *)&to->ss;
	long proto = h->protocol;

	if (to->len > 0) {
		if (to->len < sizeof(sa_family_t) ||
		    to->ss.ss_family != h->domain)
			return rs_error_set(e, RS_E_BAD_REQUEST, 0,
			    "address: not of the socket's family");
		if (op_check_address_rule(r, h->conn, h->domain, h->ifindex,
		    to, false, e) == -1)
			return -1;
	}
	if (h->domain == AF_PACKET && h->type == SOCK_RAW) {
		if (n < ETH_HLEN)
			return rs_error_set(e, RS_E_BAD_REQUEST, 0,
			    "frame shorter than an ethernet header");
		proto = frame_ethertype(p, n);
	} else if (h->domain == AF_PACKET && to->len > 0)
		proto = ntohs(sll->sll_protocol);	/* as sent, 0 too */
	if (h->domain == AF_PACKET &&
	    policy_check_ethertype(r, proto, e) == -1)
		return -1;
	return op_check_spoof(r, h, to, p, n, e);
}
