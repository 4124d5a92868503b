/*
 * Socket options (PROTOCOL.md section 5, "Options"; SOCKOPTS.md): the one
 * table of every option the protocol knows, the look-ups from JSON level
 * and option names to its entries, and the typed values both ways.  Every
 * value is handled by its type alone: there is no per-option code.  Option
 * numbers come from the system headers.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
/* For IPV6_FLOWINFO, which glibc lacks; after <netinet/in.h> (see const.c). */
#include <linux/in6.h>
#include <linux/if_packet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "bytes.h"
#include "const.h"
#include "sockopt.h"

_Static_assert(sizeof(((struct rs_optval *)0)->ifname) == IFNAMSIZ,
    "rs_optval.ifname holds an interface name");

#define RAW_SIZE	sizeof(((struct rs_optval *)0)->u.raw)
/* Linux has no SO_USELOOPBACK: its entry has no option number. */
#define NO_OPTION	(-1)
/* Longest timeout in seconds, and the largest packet_mreq address. */
#define TV_SEC_MAX	INT_MAX
#define MR_ADDR_MAX	sizeof(((struct packet_mreq *)0)->mr_address)

#define PRIV		RS_OF_PRIVILEGED
#define IFACE		RS_OF_INTERFACE
#define NOT_IN_ALL	RS_OF_NOT_IN_ALL
#define SPOOF		RS_OF_SPOOF

/* The name is spelled here, where opt is not yet expanded to its value. */
#define O(lvl, nm, opt, g, s, f)					\
	{ .name = nm, .level = (lvl), .option = (opt),			\
	    .get = RS_OT_##g, .set = RS_OT_##s, .flags = (f) }
#define SO(o, g, s, f)	O(SOL_SOCKET, #o, o, g, s, f)
#define IP(o, g, s, f)	O(IPPROTO_IP, #o, o, g, s, f)
#define IP6(o, g, s, f)	O(IPPROTO_IPV6, #o, o, g, s, f)
#define TCP(o, g, s, f)	O(IPPROTO_TCP, #o, o, g, s, f)
#define PKT(o, g, s, f)	O(SOL_PACKET, #o, o, g, s, f)

/*
 * Per level: the seed's defsockopt table in its order, then the options
 * added for Linux.  SOCKOPTS.md gives the reason for every type or flag
 * that differs from the seed.
 */
const struct rs_sockopt rs_sockopt_table[] = {
	SO(SO_ACCEPTCONN, INT, NONE, 0),
	SO(SO_BINDTODEVICE, STRING, STRING, IFACE),
	SO(SO_BROADCAST, INT, INT, 0),
	SO(SO_DEBUG, INT, INT, PRIV),
	SO(SO_DOMAIN, INT, NONE, 0),
	SO(SO_DONTROUTE, INT, INT, 0),
	SO(SO_ERROR, INT, NONE, NOT_IN_ALL),
	SO(SO_KEEPALIVE, INT, INT, 0),
	SO(SO_LINGER, LINGER, LINGER, 0),
	SO(SO_OOBINLINE, INT, INT, 0),
	SO(SO_PASSCRED, INT, INT, 0),
	SO(SO_PEERCRED, UCRED, NONE, 0),
	SO(SO_PEEK_OFF, INT, INT, 0),
	SO(SO_PROTOCOL, INT, NONE, 0),
	SO(SO_RCVBUF, INT, INT, 0),
	SO(SO_SNDBUF, INT, INT, 0),
	SO(SO_RCVLOWAT, INT, INT, 0),
	SO(SO_SNDLOWAT, INT, INT, 0),
	SO(SO_RCVTIMEO, TV, TV, 0),
	SO(SO_SNDTIMEO, TV, TV, 0),
	SO(SO_REUSEADDR, INT, INT, 0),
	/* Every client's socket is the daemon's: sharing a port would let
	 * one take another's traffic. */
	SO(SO_REUSEPORT, INT, INT, PRIV),
	SO(SO_TYPE, INT, NONE, 0),
	SO(SO_TIMESTAMP, INT, INT, 0),
	O(SOL_SOCKET, "SO_USELOOPBACK", NO_OPTION, INT, INT, RS_OF_UNSUPPORTED),
	SO(SO_MARK, INT, INT, PRIV),
	/* The kernel lets anyone use priorities 0-6. */
	{ .name = "SO_PRIORITY", .level = SOL_SOCKET, .option = SO_PRIORITY,
	    .get = RS_OT_INT, .set = RS_OT_INT, .flags = PRIV,
	    .free_max = 6 },
	SO(SO_RCVBUFFORCE, INT, INT, PRIV),
	SO(SO_SNDBUFFORCE, INT, INT, PRIV),
	SO(SO_TIMESTAMPNS, INT, INT, 0),
	SO(SO_BUSY_POLL, INT, INT, PRIV),
	SO(SO_INCOMING_CPU, INT, INT, 0),
	SO(SO_RXQ_OVFL, INT, INT, 0),

	IP(IP_ADD_MEMBERSHIP, NONE, MREQ, IFACE),
	IP(IP_DROP_MEMBERSHIP, NONE, MREQ, IFACE),
	IP(IP_ADD_SOURCE_MEMBERSHIP, NONE, MREQ_SRC, IFACE),
	IP(IP_DROP_SOURCE_MEMBERSHIP, NONE, MREQ_SRC, IFACE),
	IP(IP_BLOCK_SOURCE, NONE, MREQ_SRC, IFACE),
	IP(IP_UNBLOCK_SOURCE, NONE, MREQ_SRC, IFACE),
	IP(IP_FREEBIND, INT, INT, 0),
	IP(IP_HDRINCL, INT, INT, 0),
	IP(IP_MTU, INT, NONE, 0),
	IP(IP_MTU_DISCOVER, INT, INT, 0),
	IP(IP_MULTICAST_ALL, INT, INT, 0),
	IP(IP_MULTICAST_IF, NONE, MREQ, IFACE),
	IP(IP_MULTICAST_LOOP, INT, INT, 0),
	IP(IP_MULTICAST_TTL, INT, INT, 0),
	IP(IP_NODEFRAG, INT, INT, 0),
	IP(IP_OPTIONS, BYTES, BYTES, PRIV),
	IP(IP_PKTINFO, INT, INT, 0),
	IP(IP_RECVERR, INT, INT, 0),
	IP(IP_RECVORIGDSTADDR, INT, INT, 0),
	IP(IP_RECVOPTS, INT, INT, 0),
	IP(IP_RECVTOS, INT, INT, 0),
	IP(IP_RECVTTL, INT, INT, 0),
	IP(IP_RETOPTS, INT, INT, 0),
	/* A raw socket with it takes the router-alert packets being
	 * forwarded (and they go no further): 0, off, is free. */
	IP(IP_ROUTER_ALERT, INT, INT, PRIV),
	IP(IP_TOS, INT, INT, 0),
	IP(IP_TTL, INT, INT, 0),
	IP(IP_TRANSPARENT, INT, INT, PRIV | SPOOF),
#ifdef IP_RECVERR_RFC4884
	IP(IP_RECVERR_RFC4884, INT, INT, 0),
#endif

	IP6(IPV6_ADDRFORM, NONE, INT, 0),
	IP6(IPV6_ADD_MEMBERSHIP, NONE, MREQ6, IFACE),
	IP6(IPV6_DROP_MEMBERSHIP, NONE, MREQ6, IFACE),
	IP6(IPV6_MTU, INT, INT, 0),
	IP6(IPV6_MTU_DISCOVER, INT, INT, 0),
	IP6(IPV6_MULTICAST_HOPS, INT, INT, 0),
	IP6(IPV6_MULTICAST_IF, INT, INT, IFACE),
	IP6(IPV6_MULTICAST_LOOP, INT, INT, 0),
	IP6(IPV6_RECVPKTINFO, INT, INT, 0),
	IP6(IPV6_RTHDR, BYTES, BYTES, 0),
	IP6(IPV6_AUTHHDR, INT, INT, RS_OF_UNSUPPORTED),
	IP6(IPV6_DSTOPTS, BYTES, BYTES, PRIV),
	IP6(IPV6_HOPOPTS, BYTES, BYTES, PRIV),
	IP6(IPV6_FLOWINFO, INT, INT, 0),
	IP6(IPV6_HOPLIMIT, INT, INT, RS_OF_UNSUPPORTED),
	/* Any selector (0 too) joins one chain for every namespace. */
	{ .name = "IPV6_ROUTER_ALERT", .level = IPPROTO_IPV6,
	    .option = IPV6_ROUTER_ALERT, .get = RS_OT_INT, .set = RS_OT_INT,
	    .flags = PRIV, .free_max = -1 },
	IP6(IPV6_UNICAST_HOPS, INT, INT, 0),
	IP6(IPV6_V6ONLY, INT, INT, 0),
#ifdef IPV6_TRANSPARENT
	IP6(IPV6_TRANSPARENT, INT, INT, PRIV | SPOOF),
#endif
	IP6(IPV6_TCLASS, INT, INT, 0),
	IP6(IPV6_RECVTCLASS, INT, INT, 0),
	IP6(IPV6_RECVHOPLIMIT, INT, INT, 0),

	TCP(TCP_CONGESTION, STRING, STRING, PRIV),
	TCP(TCP_CORK, INT, INT, 0),
	TCP(TCP_DEFER_ACCEPT, INT, INT, 0),
	TCP(TCP_KEEPCNT, INT, INT, 0),
	TCP(TCP_KEEPIDLE, INT, INT, 0),
	TCP(TCP_KEEPINTVL, INT, INT, 0),
	TCP(TCP_MAXSEG, INT, INT, 0),
	TCP(TCP_NODELAY, INT, INT, 0),
	TCP(TCP_SYNCNT, INT, INT, 0),
	TCP(TCP_USER_TIMEOUT, INT, INT, 0),
	TCP(TCP_QUICKACK, INT, INT, 0),
	TCP(TCP_NOTSENT_LOWAT, INT, INT, 0),
	TCP(TCP_WINDOW_CLAMP, INT, INT, 0),
	TCP(TCP_LINGER2, INT, INT, 0),

	PKT(PACKET_ADD_MEMBERSHIP, NONE, PACKET_MREQ, IFACE),
	PKT(PACKET_DROP_MEMBERSHIP, NONE, PACKET_MREQ, IFACE),
	PKT(PACKET_AUXDATA, INT, INT, 0),
	/* A group is joined by id, and every socket is the daemon's: one
	 * client could take a share of another's frames.  0 is a group too. */
	{ .name = "PACKET_FANOUT", .level = SOL_PACKET,
	    .option = PACKET_FANOUT, .get = RS_OT_INT, .set = RS_OT_INT,
	    .flags = PRIV, .free_max = -1 },
	PKT(PACKET_STATISTICS, PACKET_STATS, NONE, NOT_IN_ALL),
	PKT(PACKET_VERSION, INT, INT, 0),
#ifdef PACKET_IGNORE_OUTGOING
	PKT(PACKET_IGNORE_OUTGOING, INT, INT, 0),
#endif
	PKT(PACKET_ORIGDEV, INT, INT, 0),
	/* Skips the administrator's traffic control. */
	PKT(PACKET_QDISC_BYPASS, INT, INT, PRIV),
	PKT(PACKET_LOSS, INT, INT, 0),
	PKT(PACKET_RESERVE, INT, INT, 0),
	PKT(PACKET_TIMESTAMP, INT, INT, 0),
};

const size_t rs_sockopt_count =
    sizeof rs_sockopt_table / sizeof rs_sockopt_table[0];

/* The levels the table covers, and the constant group of their options. */
static const struct level {
	int		 level;
	const char	*name;
	unsigned	 options;
	bool		 ipproto;	/* also named by its IPPROTO_* name */
} levels[] = {
	{ SOL_SOCKET, "SOL_SOCKET", RS_CG_SO, false },
	{ IPPROTO_IP, "IPPROTO_IP", RS_CG_IP, true },
	{ IPPROTO_IPV6, "IPPROTO_IPV6", RS_CG_IPV6, true },
	{ IPPROTO_TCP, "IPPROTO_TCP", RS_CG_TCP, true },
	{ SOL_PACKET, "SOL_PACKET", RS_CG_PACKET, false },
};

static int	bad(struct rs_error *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
bad(struct rs_error *e, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = rs_error_vset(e, RS_E_BAD_REQUEST, 0, fmt, ap);
	va_end(ap);
	return r;
}

static const struct level *
level_info(long long level)
{
	size_t i;

	for (i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		if (levels[i].level == level)
			return &levels[i];
	}
	return NULL;
}

/* The text of a JSON string, or NULL when it holds a NUL byte. */
static const char *
plain_string(const json_t *v)
{
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) != json_string_length(v))
		return NULL;
	return s;
}

/*
 * A level name: any SOL_* name first, then IPPROTO_IP, IPPROTO_IPV6 or
 * IPPROTO_TCP.  Other IPPROTO_* names are not levels even when their value
 * is one: IPPROTO_ICMP is 1, SOL_SOCKET's value.
 */
static const struct level *
level_by_name(const json_t *v)
{
	const struct level *lv;
	const struct rs_const *c;
	const char *s;
	long l;

	if ((s = plain_string(v)) == NULL)
		return NULL;
	if (rs_const_parse(v, RS_CG_SOL, &l, NULL) == 0)
		return level_info(l);
	/* The preferred name only: IPPROTO_HOPOPTS is IPPROTO_IP's 0 too. */
	if ((c = rs_const_by_name(s, RS_CG_IPPROTO)) == NULL ||
	    c != rs_const_by_value(c->value, RS_CG_IPPROTO) ||
	    (lv = level_info(c->value)) == NULL || !lv->ipproto)
		return NULL;
	return lv;
}

int
rs_sockopt_level(const json_t *v, int *level, struct rs_error *e)
{
	const struct level *lv;

	if (json_is_integer(v))
		lv = level_info(json_integer_value(v));
	else if (json_is_string(v))
		lv = level_by_name(v);
	else
		return bad(e, "level: expected an integer or a level name");
	if (lv == NULL)
		return bad(e, "level: unknown socket level");
	*level = lv->level;
	return 0;
}

const struct rs_sockopt *
rs_sockopt_find(int level, int option)
{
	size_t i;

	/* No option has a negative number; SO_USELOOPBACK has none at all. */
	if (option < 0)
		return NULL;
	for (i = 0; i < rs_sockopt_count; i++) {
		if (rs_sockopt_table[i].level == level &&
		    rs_sockopt_table[i].option == option)
			return &rs_sockopt_table[i];
	}
	return NULL;
}

/*
 * An option name at a level: a constant of the level's group (which has
 * aliases such as SO_OOBLINE, and numbers in strings), else the table's
 * own full or short name (SO_USELOOPBACK, which const.c cannot name).
 */
static const struct rs_sockopt *
find_by_name(const struct level *lv, const json_t *v)
{
	const struct rs_sockopt *o;
	const char *s, *prefix = rs_cgroup_info(lv->options)->prefix;
	size_t i, plen = strlen(prefix);
	long l;

	if ((s = plain_string(v)) == NULL)
		return NULL;
	if (rs_const_parse(v, lv->options, &l, NULL) == 0 &&
	    (o = rs_sockopt_find(lv->level, (int)l)) != NULL)
		return o;
	for (i = 0; i < rs_sockopt_count; i++) {
		o = &rs_sockopt_table[i];
		if (o->level != lv->level)
			continue;
		if (strcasecmp(o->name, s) == 0 ||
		    (strncmp(o->name, prefix, plen) == 0 &&
		    strcasecmp(o->name + plen, s) == 0))
			return o;
	}
	return NULL;
}

const struct rs_sockopt *
rs_sockopt_lookup(int level, const json_t *option, struct rs_error *e)
{
	const struct level *lv;
	const struct rs_sockopt *o = NULL;
	json_int_t n;

	if ((lv = level_info(level)) == NULL) {
		bad(e, "level: unknown socket level");
		return NULL;
	}
	if (json_is_integer(option)) {
		n = json_integer_value(option);
		if (n >= 0 && n <= INT_MAX)
			o = rs_sockopt_find(level, (int)n);
	} else if (json_is_string(option))
		o = find_by_name(lv, option);
	else {
		bad(e, "option: expected an integer or an option name");
		return NULL;
	}
	if (o == NULL)
		bad(e, "option: unknown socket option at level %s", lv->name);
	return o;
}

int
rs_sockopt_check_get(const struct rs_sockopt *o, struct rs_error *e)
{
	if (o->get != RS_OT_NONE)
		return 0;
	return bad(e, "option: no get operation for this option "
	    "(%s is set-only)", o->name);
}

/*
 * Members of object values.  Each refuses with a bad_request naming
 * "value.<key>".
 */

/* An object with keys among the NULL-ended keys; shape is for the error. */
static int
check_object(const json_t *v, const char *const *keys, const char *shape,
    struct rs_error *e)
{
	const char *const *k;
	const char *key;
	json_t *m;

	if (!json_is_object(v))
		return bad(e, "value: expected %s", shape);
	json_object_foreach((json_t *)v, key, m) {
		for (k = keys; *k != NULL && strcmp(*k, key) != 0; k++)
			continue;
		if (*k == NULL)
			return bad(e, "value.%.64s: unknown field", key);
	}
	return 0;
}

/* An integer member in [min, max]: 1 when present, 0 when absent. */
static int
member_int(const json_t *v, const char *key, json_int_t min, json_int_t max,
    bool required, json_int_t *out, struct rs_error *e)
{
	const json_t *m;

	if ((m = json_object_get(v, key)) == NULL)
		return required ? bad(e, "value.%s: missing", key) : 0;
	if (!json_is_integer(m))
		return bad(e, "value.%s: expected an integer", key);
	*out = json_integer_value(m);
	if (*out < min || *out > max)
		return bad(e, "value.%s: out of range %lld..%lld", key,
		    (long long)min, (long long)max);
	return 1;
}

static int
member_in4(const json_t *v, const char *key, bool required,
    struct in_addr *out, struct rs_error *e)
{
	const json_t *m;
	const char *s;

	if ((m = json_object_get(v, key)) == NULL)
		return required ? bad(e, "value.%s: missing", key) : 0;
	if ((s = plain_string(m)) == NULL || inet_pton(AF_INET, s, out) != 1)
		return bad(e, "value.%s: expected an IPv4 address", key);
	return 0;
}

static int
member_in6(const json_t *v, const char *key, struct in6_addr *out,
    struct rs_error *e)
{
	const json_t *m;
	const char *s;

	if ((m = json_object_get(v, key)) == NULL)
		return bad(e, "value.%s: missing", key);
	if ((s = plain_string(m)) == NULL || inet_pton(AF_INET6, s, out) != 1)
		return bad(e, "value.%s: expected an IPv6 address", key);
	return 0;
}

/* An unknown interface is ENODEV, as in addresses (addr.c). */
static int
resolve_ifname(const json_t *m, int *index, struct rs_error *e)
{
	const char *s;
	int err;

	if ((s = plain_string(m)) == NULL)
		return bad(e, "value.ifname: expected an interface name");
	errno = 0;
	if ((*index = (int)if_nametoindex(s)) > 0)
		return 0;
	err = errno != 0 ? errno : ENODEV;
	if (err != ENODEV)
		return rs_error_set(e, RS_E_ERRNO, err, "value.ifname: %s",
		    strerror(err));
	/* Echo only names short enough to be real: messages are bounded. */
	if (strlen(s) >= IFNAMSIZ)
		return rs_error_set(e, RS_E_ERRNO, err, "value.ifname: no "
		    "such interface (name longer than %d bytes)", IFNAMSIZ - 1);
	return rs_error_set(e, RS_E_ERRNO, err,
	    "value.ifname: no such interface '%s'", s);
}

/*
 * The interface an object names by "ifindex" (min..INT_MAX) or "ifname",
 * into out->ifindex; it stays 0 when the object names none.
 */
static int
member_ifindex(const json_t *v, json_int_t min, bool required,
    struct rs_optval *out, struct rs_error *e)
{
	const json_t *name = json_object_get(v, "ifname");
	json_int_t index = 0;
	int r;

	if (name == NULL) {
		if ((r = member_int(v, "ifindex", min, INT_MAX, false, &index,
		    e)) == 1)
			out->ifindex = (int)index;
		else if (r == 0 && required)
			return bad(e, "value.ifindex: missing (or ifname)");
		return r == -1 ? -1 : 0;
	}
	if (json_object_get(v, "ifindex") != NULL)
		return bad(e, "value: give ifindex or ifname, not both");
	return resolve_ifname(name, &out->ifindex, e);
}

/*
 * Encoders: JSON -> out->u.raw and out->len.  Structures are built on the
 * stack and copied, so their alignment never depends on the union's.
 */

static void
put(struct rs_optval *out, const void *p, size_t n)
{
	memcpy(out->u.raw, p, n);
	out->len = (socklen_t)n;
}

static int
enc_int(const struct rs_sockopt *o, const json_t *v, struct rs_optval *out,
    struct rs_error *e)
{
	json_int_t n;
	int i;

	if (json_is_boolean(v))
		n = json_is_true(v);
	else if (json_is_integer(v))
		n = json_integer_value(v);
	else
		return bad(e, "value: expected an integer or a boolean");
	if (n < INT_MIN || n > INT_MAX)
		return bad(e, "value: out of range %d..%d", INT_MIN, INT_MAX);
	i = (int)n;
	put(out, &i, sizeof i);
	/* An interface by index (IPV6_MULTICAST_IF), for the policy. */
	if (o->flags & RS_OF_INTERFACE)
		out->ifindex = i;
	return 0;
}

static int
enc_bytes(const struct rs_sockopt *o, const json_t *v, struct rs_optval *out,
    struct rs_error *e)
{
	struct rs_bytes b;

	if (!json_is_string(v) || rs_base64_decode(json_string_value(v),
	    json_string_length(v), &b) != 0)
		return bad(e, "value: expected base64");
	if (b.n > RAW_SIZE) {
		rs_bytes_free(&b);
		return bad(e, "value: longer than %zu bytes", RAW_SIZE);
	}
	put(out, b.p, b.n);
	rs_bytes_free(&b);
	return 0;
}

/* A name, without its NUL; an interface name also into out->ifname. */
static int
enc_string(const struct rs_sockopt *o, const json_t *v, struct rs_optval *out,
    struct rs_error *e)
{
	size_t max, n;
	const char *s;

	max = (o->flags & RS_OF_INTERFACE) ? sizeof out->ifname : RAW_SIZE;
	if (!json_is_string(v))
		return bad(e, "value: expected a string");
	if ((s = plain_string(v)) == NULL)
		return bad(e, "value: contains a NUL byte");
	if ((n = strlen(s)) >= max)
		return bad(e, "value: longer than %zu bytes", max - 1);
	put(out, s, n);
	if (o->flags & RS_OF_INTERFACE)
		memcpy(out->ifname, s, n + 1);
	return 0;
}

static int
enc_linger(const struct rs_sockopt *o, const json_t *v, struct rs_optval *out,
    struct rs_error *e)
{
	static const char *const keys[] = { "onoff", "linger", NULL };
	struct linger l = { 0 };
	json_int_t onoff = 0, secs = 0;

	if (json_is_integer(v)) {
		onoff = 1;
		secs = json_integer_value(v);
		if (secs < 0 || secs > INT_MAX)
			return bad(e, "value: out of range 0..%d", INT_MAX);
	} else if (!json_is_false(v) && (check_object(v, keys,
	    "{\"onoff\",\"linger\"}, false or seconds", e) != 0 ||
	    member_int(v, "onoff", 0, 1, true, &onoff, e) == -1 ||
	    member_int(v, "linger", 0, INT_MAX, true, &secs, e) == -1))
		return -1;
	l.l_onoff = (int)onoff;
	l.l_linger = (int)secs;
	put(out, &l, sizeof l);
	return 0;
}

/* Seconds, fraction allowed, split into sec and usec (rounded). */
static int
seconds_to_tv(double x, struct timeval *tv, struct rs_error *e)
{
	if (!(x >= 0 && x <= TV_SEC_MAX))
		return bad(e, "value: out of range 0..%d seconds", TV_SEC_MAX);
	tv->tv_sec = (time_t)x;
	tv->tv_usec = (suseconds_t)((x - (double)tv->tv_sec) * 1e6 + 0.5);
	if (tv->tv_usec == 1000000) {
		tv->tv_sec++;
		tv->tv_usec = 0;
	}
	return 0;
}

static int
enc_tv(const struct rs_sockopt *o, const json_t *v, struct rs_optval *out,
    struct rs_error *e)
{
	static const char *const keys[] = { "sec", "usec", NULL };
	struct timeval tv = { 0 };
	json_int_t sec = 0, usec = 0;

	if (json_is_number(v)) {
		if (seconds_to_tv(json_number_value(v), &tv, e) != 0)
			return -1;
	} else {
		if (check_object(v, keys, "{\"sec\",\"usec\"} or seconds",
		    e) != 0 ||
		    member_int(v, "sec", 0, TV_SEC_MAX, true, &sec, e) == -1 ||
		    member_int(v, "usec", 0, 999999, true, &usec, e) == -1)
			return -1;
		tv.tv_sec = (time_t)sec;
		tv.tv_usec = (suseconds_t)usec;
	}
	put(out, &tv, sizeof tv);
	return 0;
}

static int
enc_mreq(const struct rs_sockopt *o, const json_t *v, struct rs_optval *out,
    struct rs_error *e)
{
	static const char *const keys[] = { "multiaddr", "interface",
	    "ifindex", "ifname", NULL };
	struct ip_mreqn m = { 0 };

	if (check_object(v, keys,
	    "{\"multiaddr\",\"interface\"|\"ifindex\"|\"ifname\"}", e) != 0 ||
	    member_in4(v, "multiaddr", false, &m.imr_multiaddr, e) != 0 ||
	    member_in4(v, "interface", false, &m.imr_address, e) != 0 ||
	    member_ifindex(v, 0, false, out, e) != 0)
		return -1;
	m.imr_ifindex = out->ifindex;
	put(out, &m, sizeof m);
	return 0;
}

static int
enc_mreq_src(const struct rs_sockopt *o, const json_t *v,
    struct rs_optval *out, struct rs_error *e)
{
	static const char *const keys[] = { "multiaddr", "interface",
	    "sourceaddr", NULL };
	struct ip_mreq_source m = { 0 };

	if (check_object(v, keys,
	    "{\"multiaddr\",\"interface\",\"sourceaddr\"}", e) != 0 ||
	    member_in4(v, "multiaddr", true, &m.imr_multiaddr, e) != 0 ||
	    member_in4(v, "interface", false, &m.imr_interface, e) != 0 ||
	    member_in4(v, "sourceaddr", true, &m.imr_sourceaddr, e) != 0)
		return -1;
	put(out, &m, sizeof m);
	return 0;
}

static int
enc_mreq6(const struct rs_sockopt *o, const json_t *v, struct rs_optval *out,
    struct rs_error *e)
{
	static const char *const keys[] = { "multiaddr", "ifindex", "ifname",
	    NULL };
	struct ipv6_mreq m = { 0 };

	if (check_object(v, keys, "{\"multiaddr\",\"ifindex\"|\"ifname\"}",
	    e) != 0 ||
	    member_in6(v, "multiaddr", &m.ipv6mr_multiaddr, e) != 0 ||
	    member_ifindex(v, 0, false, out, e) != 0)
		return -1;
	m.ipv6mr_interface = (unsigned)out->ifindex;
	put(out, &m, sizeof m);
	return 0;
}

static int
member_mr_type(const json_t *v, unsigned short *type, struct rs_error *e)
{
	const json_t *m;
	const char *why;
	long l;

	if ((m = json_object_get(v, "type")) == NULL)
		return bad(e, "value.type: missing");
	if (rs_const_parse(m, RS_CG_PACKET_MR, &l, &why) != 0)
		return bad(e, "value.type: %s", why);
	if (l < 0 || l > USHRT_MAX)
		return bad(e, "value.type: out of range 0..%d", USHRT_MAX);
	*type = (unsigned short)l;
	return 0;
}

static int
member_hwaddr(const json_t *v, struct packet_mreq *m, struct rs_error *e)
{
	const json_t *a;
	const char *s;
	size_t n;

	if ((a = json_object_get(v, "addr")) == NULL)
		return 0;
	if ((s = plain_string(a)) == NULL ||
	    rs_hex_parse(s, ':', m->mr_address, MR_ADDR_MAX, &n) != 0)
		return bad(e, "value.addr: expected at most %zu hex bytes "
		    "(\"aa:bb:cc\")", MR_ADDR_MAX);
	m->mr_alen = (unsigned short)n;
	return 0;
}

static int
enc_packet_mreq(const struct rs_sockopt *o, const json_t *v,
    struct rs_optval *out, struct rs_error *e)
{
	static const char *const keys[] = { "ifindex", "ifname", "type",
	    "addr", NULL };
	struct packet_mreq m = { 0 };

	if (check_object(v, keys,
	    "{\"ifindex\"|\"ifname\",\"type\",\"addr\"}", e) != 0 ||
	    member_ifindex(v, 1, true, out, e) != 0 ||
	    member_mr_type(v, &m.mr_type, e) != 0 ||
	    member_hwaddr(v, &m, e) != 0)
		return -1;
	m.mr_ifindex = out->ifindex;
	put(out, &m, sizeof m);
	return 0;
}

/*
 * Decoders: getsockopt bytes -> JSON.  Each copies out only what len
 * covers, and answers NULL when len is too short for its structure.
 */

static json_t *
dec_int(const void *buf, socklen_t len)
{
	unsigned char c;
	int i;

	/* Some IPv4 options answer a single byte when asked for one. */
	if (len == 1) {
		memcpy(&c, buf, 1);
		return json_integer(c);
	}
	if (len < sizeof i)
		return NULL;
	memcpy(&i, buf, sizeof i);
	return json_integer(i);
}

static json_t *
dec_bytes(const void *buf, socklen_t len)
{
	return rs_base64_json(buf, len);
}

/* Up to the first NUL; NULL when the name is not UTF-8. */
static json_t *
dec_string(const void *buf, socklen_t len)
{
	const char *nul = memchr(buf, '\0', len);

	return json_stringn(buf, nul != NULL ? (size_t)(nul -
	    (const char *)buf) : len);
}

static json_t *
dec_linger(const void *buf, socklen_t len)
{
	struct linger l;

	if (len < sizeof l)
		return NULL;
	memcpy(&l, buf, sizeof l);
	return json_pack("{s:i,s:i}", "onoff", l.l_onoff, "linger",
	    l.l_linger);
}

static json_t *
dec_tv(const void *buf, socklen_t len)
{
	struct timeval tv;

	if (len < sizeof tv)
		return NULL;
	memcpy(&tv, buf, sizeof tv);
	return json_pack("{s:I,s:I}", "sec", (json_int_t)tv.tv_sec, "usec",
	    (json_int_t)tv.tv_usec);
}

static json_t *
dec_ucred(const void *buf, socklen_t len)
{
	struct ucred u;

	if (len < sizeof u)
		return NULL;
	memcpy(&u, buf, sizeof u);
	return json_pack("{s:I,s:I,s:I}", "pid", (json_int_t)u.pid, "uid",
	    (json_int_t)u.uid, "gid", (json_int_t)u.gid);
}

static json_t *
dec_packet_stats(const void *buf, socklen_t len)
{
	struct tpacket_stats st;

	if (len < sizeof st)
		return NULL;
	memcpy(&st, buf, sizeof st);
	return json_pack("{s:I,s:I}", "packets", (json_int_t)st.tp_packets,
	    "drops", (json_int_t)st.tp_drops);
}

/* Per type: getsockopt buffer size (0: never read) and the two codecs. */
static const struct optype {
	socklen_t	  size;
	json_t		*(*decode)(const void *, socklen_t);
	int		(*encode)(const struct rs_sockopt *, const json_t *,
			    struct rs_optval *, struct rs_error *);
} optypes[] = {
	[RS_OT_NONE] = { 0, NULL, NULL },
	[RS_OT_INT] = { sizeof(int), dec_int, enc_int },
	[RS_OT_BYTES] = { RAW_SIZE, dec_bytes, enc_bytes },
	[RS_OT_STRING] = { RAW_SIZE, dec_string, enc_string },
	[RS_OT_LINGER] = { sizeof(struct linger), dec_linger, enc_linger },
	[RS_OT_TV] = { sizeof(struct timeval), dec_tv, enc_tv },
	[RS_OT_MREQ] = { 0, NULL, enc_mreq },
	[RS_OT_MREQ_SRC] = { 0, NULL, enc_mreq_src },
	[RS_OT_MREQ6] = { 0, NULL, enc_mreq6 },
	[RS_OT_PACKET_MREQ] = { 0, NULL, enc_packet_mreq },
	[RS_OT_UCRED] = { sizeof(struct ucred), dec_ucred, NULL },
	[RS_OT_PACKET_STATS] = { sizeof(struct tpacket_stats),
	    dec_packet_stats, NULL },
};

int
rs_sockopt_encode(const struct rs_sockopt *o, const json_t *value,
    struct rs_optval *out, struct rs_error *e)
{
	memset(out, 0, sizeof *out);
	if (optypes[o->set].encode == NULL)
		return bad(e, "option: no set operation for this option "
		    "(%s is get-only)", o->name);
	if (value == NULL)
		return bad(e, "value: missing");
	return optypes[o->set].encode(o, value, out, e);
}

json_t *
rs_sockopt_decode(const struct rs_sockopt *o, const void *buf, socklen_t len)
{
	if (optypes[o->get].decode == NULL || buf == NULL)
		return NULL;
	return optypes[o->get].decode(buf, len);
}

socklen_t
rs_sockopt_get_size(const struct rs_sockopt *o)
{
	return optypes[o->get].size;
}
