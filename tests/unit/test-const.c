/*
 * Unit test for proto/const.c: the constant table's shape, name and value
 * look-ups in every group, JSON constant and flag parsing, and that every
 * constant the seed documents resolves.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>

#include <net/if.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <ctype.h>
#include <limits.h>
#include <netdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "const.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const char why_type[] = "expected an integer or a constant name";
static const char why_unknown[] = "unknown constant name";
static const char why_range[] = "integer out of range";

/* The seed's "Constants" list, less SO_USELOOPBACK (not on Linux). */
static const char *seed_constants[] = {
	"AF_UNSPEC",
	"AF_INET",
	"AF_INET6",
	"AF_UNIX",
	"AF_LOCAL",
	"AF_NETLINK",
	"AF_PACKET",
	"AF_ALG",
	"SOCK_STREAM",
	"SOCK_DGRAM",
	"SOCK_RAW",
	"SOCK_SEQPACKET",
	"SOCK_RDM",
	"SHUT_RD",
	"SHUT_WR",
	"SHUT_RDWR",
	"UNIX_MAX_PATH",
	"SOL_SOCKET",
	"SO_ACCEPTCONN",
	"SO_BINDTODEVICE",
	"SO_BROADCAST",
	"SO_DEBUG",
	"SO_DOMAIN",
	"SO_DONTROUTE",
	"SO_ERROR",
	"SO_KEEPALIVE",
	"SO_LINGER",
	"SO_OOBLINE",
	"SO_PASSCRED",
	"SO_PEERCRED",
	"SO_PEEK_OFF",
	"SO_PROTOCOL",
	"SO_RCVBUF",
	"SO_SNDBUF",
	"SO_RCVLOWAT",
	"SO_SNDLOWAT",
	"SO_RCVTIMEO",
	"SO_SNDTIMEO",
	"SO_REUSEADDR",
	"SO_REUSEPORT",
	"SO_TYPE",
	"SO_TIMESTAMP",
	"IPPROTO_IPV6",
	"IPV6_ADDRFORM",
	"IPV6_ADD_MEMBERSHIP",
	"IPV6_DROP_MEMBERSHIP",
	"IPV6_MTU",
	"IPV6_MTU_DISCOVER",
	"IPV6_MULTICAST_HOPS",
	"IPV6_MULTICAST_IF",
	"IPV6_MULTICAST_LOOP",
	"IPV6_RECVPKTINFO",
	"IPV6_RTHDR",
	"IPV6_AUTHHDR",
	"IPV6_DSTOPTS",
	"IPV6_HOPOPTS",
	"IPV6_FLOWINFO",
	"IPV6_HOPLIMIT",
	"IPV6_ROUTER_ALERT",
	"IPV6_UNICAST_HOPS",
	"IPV6_V6ONLY",
	"IPPROTO_TCP",
	"TCP_CONGESTION",
	"TCP_CORK",
	"TCP_DEFER_ACCEPT",
	"TCP_KEEPCNT",
	"TCP_KEEPIDLE",
	"TCP_KEEPINTVL",
	"TCP_MAXSEG",
	"TCP_NODELAY",
	"TCP_SYNCNT",
	"IP_PMTUDISC_WANT",
	"IP_PMTUDISC_DONT",
	"IP_PMTUDISC_DO",
	"IP_PMTUDISC_PROBE",
	"IPTOS_LOWDELAY",
	"IPTOS_THROUGHPUT",
	"IPTOS_RELIABILITY",
	"IPTOS_MINCOST",
	"MSG_CONFIRM",
	"MSG_CTRUNC",
	"MSG_DONTROUTE",
	"MSG_DONTWAIT",
	"MSG_EOR",
	"MSG_ERRQUEUE",
	"MSG_MORE",
	"MSG_NOSIGNAL",
	"MSG_OOB",
	"MSG_PEEK",
	"MSG_TRUNC",
	"MSG_WAITALL",
};

/* The options of the seed's defsockopt table, less SO_USELOOPBACK. */
static const char *seed_sockopts[] = {
	"SO_ACCEPTCONN",
	"SO_BINDTODEVICE",
	"SO_BROADCAST",
	"SO_DEBUG",
	"SO_DOMAIN",
	"SO_DONTROUTE",
	"SO_ERROR",
	"SO_KEEPALIVE",
	"SO_LINGER",
	"SO_OOBLINE",
	"SO_PASSCRED",
	"SO_PEERCRED",
	"SO_PEEK_OFF",
	"SO_PROTOCOL",
	"SO_RCVBUF",
	"SO_SNDBUF",
	"SO_RCVLOWAT",
	"SO_SNDLOWAT",
	"SO_RCVTIMEO",
	"SO_SNDTIMEO",
	"SO_REUSEADDR",
	"SO_REUSEPORT",
	"SO_TYPE",
	"SO_TIMESTAMP",
	"IP_ADD_MEMBERSHIP",
	"IP_DROP_MEMBERSHIP",
	"IP_ADD_SOURCE_MEMBERSHIP",
	"IP_DROP_SOURCE_MEMBERSHIP",
	"IP_BLOCK_SOURCE",
	"IP_UNBLOCK_SOURCE",
	"IP_FREEBIND",
	"IP_HDRINCL",
	"IP_MTU",
	"IP_MTU_DISCOVER",
	"IP_MULTICAST_ALL",
	"IP_MULTICAST_IF",
	"IP_MULTICAST_LOOP",
	"IP_MULTICAST_TTL",
	"IP_NODEFRAG",
	"IP_OPTIONS",
	"IP_PKTINFO",
	"IP_RECVERR",
	"IP_RECVORIGDSTADDR",
	"IP_RECVOPTS",
	"IP_RECVTOS",
	"IP_RECVTTL",
	"IP_RETOPTS",
	"IP_ROUTER_ALERT",
	"IP_TOS",
	"IP_TTL",
	"IPV6_ADDRFORM",
	"IPV6_ADD_MEMBERSHIP",
	"IPV6_DROP_MEMBERSHIP",
	"IPV6_MTU",
	"IPV6_MTU_DISCOVER",
	"IPV6_MULTICAST_HOPS",
	"IPV6_MULTICAST_IF",
	"IPV6_MULTICAST_LOOP",
	"IPV6_RECVPKTINFO",
	"IPV6_RTHDR",
	"IPV6_AUTHHDR",
	"IPV6_DSTOPTS",
	"IPV6_HOPOPTS",
	"IPV6_FLOWINFO",
	"IPV6_HOPLIMIT",
	"IPV6_ROUTER_ALERT",
	"IPV6_UNICAST_HOPS",
	"IPV6_V6ONLY",
	"TCP_CONGESTION",
	"TCP_CORK",
	"TCP_DEFER_ACCEPT",
	"TCP_KEEPCNT",
	"TCP_KEEPIDLE",
	"TCP_KEEPINTVL",
	"TCP_MAXSEG",
	"TCP_NODELAY",
	"TCP_SYNCNT",
};

struct name_case {
	const char	*name;
	unsigned	 groups;
	long		 value;
	const char	*full;	/* the entry it must find */
};

/* Full and short names, in assorted case, one or more per group. */
static const struct name_case name_cases[] = {
	{ "AF_PACKET", RS_CG_AF, AF_PACKET, "AF_PACKET" },
	{ "packet", RS_CG_AF, AF_PACKET, "AF_PACKET" },
	{ "Inet6", RS_CG_AF, AF_INET6, "AF_INET6" },
	{ "local", RS_CG_AF, AF_LOCAL, "AF_LOCAL" },
	{ "sock_raw", RS_CG_SOCK, SOCK_RAW, "SOCK_RAW" },
	{ "SeqPacket", RS_CG_SOCK, SOCK_SEQPACKET, "SOCK_SEQPACKET" },
	{ "nonblock", RS_CG_SOCK, SOCK_NONBLOCK, "SOCK_NONBLOCK" },
	{ "RDWR", RS_CG_SHUT, SHUT_RDWR, "SHUT_RDWR" },
	{ "wr", RS_CG_SHUT, SHUT_WR, "SHUT_WR" },
	{ "socket", RS_CG_SOL, SOL_SOCKET, "SOL_SOCKET" },
	{ "Packet", RS_CG_SOL, SOL_PACKET, "SOL_PACKET" },
	{ "ip", RS_CG_SOL, SOL_IP, "SOL_IP" },
	{ "SO_RCVBUF", RS_CG_SO, SO_RCVBUF, "SO_RCVBUF" },
	{ "rcvbuf", RS_CG_SO, SO_RCVBUF, "SO_RCVBUF" },
	{ "BindToDevice", RS_CG_SO, SO_BINDTODEVICE, "SO_BINDTODEVICE" },
	{ "oobinline", RS_CG_SO, SO_OOBINLINE, "SO_OOBINLINE" },
	{ "lock_filter", RS_CG_SO, SO_LOCK_FILTER, "SO_LOCK_FILTER" },
	{ "IPPROTO_ICMP", RS_CG_IPPROTO, IPPROTO_ICMP, "IPPROTO_ICMP" },
	{ "icmp", RS_CG_IPPROTO, IPPROTO_ICMP, "IPPROTO_ICMP" },
	{ "ICMPv6", RS_CG_IPPROTO, IPPROTO_ICMPV6, "IPPROTO_ICMPV6" },
	{ "udplite", RS_CG_IPPROTO, IPPROTO_UDPLITE, "IPPROTO_UDPLITE" },
	{ "hopopts", RS_CG_IPPROTO, IPPROTO_HOPOPTS, "IPPROTO_HOPOPTS" },
	{ "ip_hdrincl", RS_CG_IP, IP_HDRINCL, "IP_HDRINCL" },
	{ "Mtu_Discover", RS_CG_IP, IP_MTU_DISCOVER, "IP_MTU_DISCOVER" },
	{ "transparent", RS_CG_IP, IP_TRANSPARENT, "IP_TRANSPARENT" },
	{ "IPV6_V6ONLY", RS_CG_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY" },
	{ "v6only", RS_CG_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY" },
	{ "RecvTclass", RS_CG_IPV6, IPV6_RECVTCLASS, "IPV6_RECVTCLASS" },
	{ "join_group", RS_CG_IPV6, IPV6_JOIN_GROUP, "IPV6_JOIN_GROUP" },
	{ "tcp_nodelay", RS_CG_TCP, TCP_NODELAY, "TCP_NODELAY" },
	{ "User_Timeout", RS_CG_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT" },
	{ "IP_PMTUDISC_DO", RS_CG_PMTUDISC, IP_PMTUDISC_DO, "IP_PMTUDISC_DO" },
	{ "dont", RS_CG_PMTUDISC, IP_PMTUDISC_DONT, "IP_PMTUDISC_DONT" },
	{ "Probe", RS_CG_PMTUDISC, IP_PMTUDISC_PROBE, "IP_PMTUDISC_PROBE" },
	{ "lowdelay", RS_CG_IPTOS, IPTOS_LOWDELAY, "IPTOS_LOWDELAY" },
	{ "IPTOS_MINCOST", RS_CG_IPTOS, IPTOS_MINCOST, "IPTOS_MINCOST" },
	{ "peek", RS_CG_MSG, MSG_PEEK, "MSG_PEEK" },
	{ "msg_dontwait", RS_CG_MSG, MSG_DONTWAIT, "MSG_DONTWAIT" },
	{ "Cmsg_Cloexec", RS_CG_MSG, MSG_CMSG_CLOEXEC, "MSG_CMSG_CLOEXEC" },
	{ "all", RS_CG_ETH_P, ETH_P_ALL, "ETH_P_ALL" },
	{ "ETH_P_IP", RS_CG_ETH_P, ETH_P_IP, "ETH_P_IP" },
	{ "8021q", RS_CG_ETH_P, ETH_P_8021Q, "ETH_P_8021Q" },
	{ "8021AD", RS_CG_ETH_P, ETH_P_8021AD, "ETH_P_8021AD" },
	{ "802_3", RS_CG_ETH_P, ETH_P_802_3, "ETH_P_802_3" },
	{ "lldp", RS_CG_ETH_P, ETH_P_LLDP, "ETH_P_LLDP" },
	{ "macsec", RS_CG_ETH_P, ETH_P_MACSEC, "ETH_P_MACSEC" },
	{ "PACKET_AUXDATA", RS_CG_PACKET, PACKET_AUXDATA, "PACKET_AUXDATA" },
	{ "fanout", RS_CG_PACKET, PACKET_FANOUT, "PACKET_FANOUT" },
	{ "Add_Membership", RS_CG_PACKET, PACKET_ADD_MEMBERSHIP,
	    "PACKET_ADD_MEMBERSHIP" },
	{ "host", RS_CG_PACKET_TYPE, PACKET_HOST, "PACKET_HOST" },
	{ "OUTGOING", RS_CG_PACKET_TYPE, PACKET_OUTGOING, "PACKET_OUTGOING" },
	{ "promisc", RS_CG_PACKET_MR, PACKET_MR_PROMISC, "PACKET_MR_PROMISC" },
	{ "packet_mr_allmulti", RS_CG_PACKET_MR, PACKET_MR_ALLMULTI,
	    "PACKET_MR_ALLMULTI" },
	{ "up", RS_CG_IFF, IFF_UP, "IFF_UP" },
	{ "promisc", RS_CG_IFF, IFF_PROMISC, "IFF_PROMISC" },
	{ "Lower_Up", RS_CG_IFF, 1 << 16, "IFF_LOWER_UP" },
	{ "passive", RS_CG_AI, AI_PASSIVE, "AI_PASSIVE" },
	{ "AI_NUMERICHOST", RS_CG_AI, AI_NUMERICHOST, "AI_NUMERICHOST" },
	{ "namereqd", RS_CG_NI, NI_NAMEREQD, "NI_NAMEREQD" },
	{ "NumericServ", RS_CG_NI, NI_NUMERICSERV, "NI_NUMERICSERV" },
	{ "noname", RS_CG_EAI, EAI_NONAME, "EAI_NONAME" },
	{ "EAI_AGAIN", RS_CG_EAI, EAI_AGAIN, "EAI_AGAIN" },
	{ "ether", RS_CG_ARPHRD, ARPHRD_ETHER, "ARPHRD_ETHER" },
	{ "IEEE80211_radiotap", RS_CG_ARPHRD, ARPHRD_IEEE80211_RADIOTAP,
	    "ARPHRD_IEEE80211_RADIOTAP" },
	{ "unix_max_path", RS_CG_MISC,
	    sizeof(((struct sockaddr_un *)0)->sun_path), "UNIX_MAX_PATH" },
	{ "TPACKET_V3", RS_CG_MISC, TPACKET_V3, "TPACKET_V3" },
	{ "IFNAMSIZ", RS_CG_MISC, IFNAMSIZ, "IFNAMSIZ" },
	{ "SOMAXCONN", RS_CG_ALL, SOMAXCONN, "SOMAXCONN" },
	/* Ambiguous short names resolve by the mask. */
	{ "raw", RS_CG_SOCK, SOCK_RAW, "SOCK_RAW" },
	{ "RAW", RS_CG_IPPROTO, IPPROTO_RAW, "IPPROTO_RAW" },
	{ "Raw", RS_CG_SOL, SOL_RAW, "SOL_RAW" },
	{ "raw", RS_CG_SOCK | RS_CG_IPPROTO, SOCK_RAW, "SOCK_RAW" },
	{ "ip", RS_CG_IPPROTO, IPPROTO_IP, "IPPROTO_IP" },
	{ "ip", RS_CG_ETH_P, ETH_P_IP, "ETH_P_IP" },
	{ "tcp", RS_CG_SOL, SOL_TCP, "SOL_TCP" },
	{ "tcp", RS_CG_IPPROTO, IPPROTO_TCP, "IPPROTO_TCP" },
	{ "multicast", RS_CG_PACKET_TYPE, PACKET_MULTICAST,
	    "PACKET_MULTICAST" },
	{ "multicast", RS_CG_PACKET_MR, PACKET_MR_MULTICAST,
	    "PACKET_MR_MULTICAST" },
	{ "multicast", RS_CG_IFF, IFF_MULTICAST, "IFF_MULTICAST" },
	{ "loopback", RS_CG_ARPHRD, ARPHRD_LOOPBACK, "ARPHRD_LOOPBACK" },
	{ "loopback", RS_CG_PACKET_TYPE, PACKET_LOOPBACK, "PACKET_LOOPBACK" },
	{ "inet", RS_CG_ALL, AF_INET, "AF_INET" },
};

/* Names that must not resolve within the mask. */
static const struct {
	const char	*name;
	unsigned	 groups;
} bad_names[] = {
	{ "SO_USELOOPBACK", RS_CG_ALL },
	{ "nosuchthing", RS_CG_ALL },
	{ "", RS_CG_ALL },
	{ "raw", RS_CG_AF },
	{ "SOCK_RAW", RS_CG_IPPROTO },	/* a full name outside the mask */
	{ "rcvbuf", RS_CG_IP },
	{ "AF_", RS_CG_AF },		/* the bare prefix */
	{ "_packet", RS_CG_AF },
	{ "packet ", RS_CG_AF },
	{ "max_path", RS_CG_MISC },	/* MISC has no short names */
	{ "v3", RS_CG_MISC },
	{ "raw", 0 },
};

static void
test_cgroup_table(void **state)
{
	const struct rs_cgroup_info *gi;
	size_t i;
	unsigned all = 0;

	assert_int_equal(rs_cgroup_count, 22);
	for (i = 0; i < rs_cgroup_count; i++) {
		gi = &rs_cgroup_table[i];
		/* Enum order: bit i. */
		assert_int_equal(gi->group, 1u << i);
		assert_non_null(gi->name);
		assert_ptr_equal(rs_cgroup_info(gi->group), gi);
		assert_int_equal(rs_cgroup_by_name(gi->name), gi->group);
		if (gi->group == RS_CG_MISC)
			assert_null(gi->prefix);
		else {
			assert_non_null(gi->prefix);
			assert_int_equal(gi->prefix[strlen(gi->prefix) - 1],
			    '_');
		}
		all |= gi->group;
	}
	assert_int_equal(all, RS_CG_ALL);

	assert_int_equal(rs_cgroup_by_name("af"), RS_CG_AF);
	assert_int_equal(rs_cgroup_by_name("Packet_Type"), RS_CG_PACKET_TYPE);
	assert_int_equal(rs_cgroup_by_name("ip_pmtudisc"), RS_CG_PMTUDISC);
	assert_int_equal(rs_cgroup_by_name("eth_p"), RS_CG_ETH_P);
	assert_int_equal(rs_cgroup_by_name("MISC"), RS_CG_MISC);
	assert_int_equal(rs_cgroup_by_name("PMTUDISC"), 0);
	assert_int_equal(rs_cgroup_by_name("AF_"), 0);
	assert_int_equal(rs_cgroup_by_name(""), 0);
	assert_int_equal(rs_cgroup_by_name(NULL), 0);

	assert_string_equal(rs_cgroup_info(RS_CG_PMTUDISC)->prefix,
	    "IP_PMTUDISC_");
	assert_string_equal(rs_cgroup_info(RS_CG_PACKET_TYPE)->prefix,
	    "PACKET_");
	assert_string_equal(rs_cgroup_info(RS_CG_PACKET_MR)->prefix,
	    "PACKET_MR_");
	assert_null(rs_cgroup_info(0));
	assert_null(rs_cgroup_info(RS_CG_AF | RS_CG_SOCK));
	assert_null(rs_cgroup_info(1u << 22));
}

static void
test_table_shape(void **state)
{
	const struct rs_const *c, *d;
	const struct rs_cgroup_info *gi;
	char sa[64], sb[64];
	size_t i, j, per[22];

	memset(per, 0, sizeof per);
	assert_true(rs_const_count > 200);
	for (i = 0; i < rs_const_count; i++) {
		c = &rs_const_table[i];
		assert_non_null(c->name);
		/* Exactly one bit, and a known group. */
		assert_int_not_equal(c->group, 0);
		assert_int_equal(c->group & (c->group - 1), 0);
		assert_non_null(gi = rs_cgroup_info(c->group));
		per[__builtin_ctz(c->group)]++;
		/* The short name is the full name less the group prefix. */
		if (gi->prefix != NULL) {
			assert_int_equal(strncmp(c->name, gi->prefix,
			    strlen(gi->prefix)), 0);
			assert_true(strlen(c->name) > strlen(gi->prefix));
		}
		/* Values fit an int, as they go through int-typed calls. */
		assert_true(c->value >= INT_MIN && c->value <= INT_MAX);
		for (j = 0; j < i; j++) {
			d = &rs_const_table[j];
			/* No full name twice, in any group. */
			if (strcasecmp(c->name, d->name) == 0)
				fail_msg("duplicate name %s", c->name);
			/* No short name twice within a group. */
			if (c->group == d->group &&
			    strcmp(rs_const_short(c, sa, sizeof sa),
			    rs_const_short(d, sb, sizeof sb)) == 0)
				fail_msg("duplicate short name %s", sa);
		}
	}
	for (i = 0; i < rs_cgroup_count; i++) {
		if (per[i] == 0)
			fail_msg("group %s is empty", rs_cgroup_table[i].name);
	}
}

/* Every entry found by its full and short names in any case, and by value. */
static void
test_every_entry(void **state)
{
	const struct rs_const *c, *v;
	char s[64], mixed[64];
	size_t i, k;

	for (i = 0; i < rs_const_count; i++) {
		c = &rs_const_table[i];
		assert_ptr_equal(rs_const_by_name(c->name, c->group), c);
		assert_ptr_equal(rs_const_by_name(c->name, RS_CG_ALL), c);
		snprintf(mixed, sizeof mixed, "%s", c->name);
		for (k = 0; mixed[k] != '\0'; k += 2)
			mixed[k] = (char)tolower((unsigned char)mixed[k]);
		assert_ptr_equal(rs_const_by_name(mixed, c->group), c);

		rs_const_short(c, s, sizeof s);
		if (c->group == RS_CG_MISC)
			assert_string_equal(s, c->name);
		else {
			for (k = 0; s[k] != '\0'; k++)
				assert_false(s[k] >= 'A' && s[k] <= 'Z');
			assert_ptr_equal(rs_const_by_name(s, c->group), c);
			for (k = 0; s[k] != '\0'; k += 2)
				s[k] = (char)toupper((unsigned char)s[k]);
			assert_ptr_equal(rs_const_by_name(s, c->group), c);
		}

		/* By value: this entry or an earlier alias of it. */
		assert_non_null(v = rs_const_by_value(c->value, c->group));
		assert_int_equal(v->value, c->value);
		assert_int_equal(v->group, c->group);
		assert_true(v <= c);
	}
}

static void
test_by_name(void **state)
{
	const struct name_case *nc;
	const struct rs_const *c;
	size_t i;

	for (i = 0; i < NITEMS(name_cases); i++) {
		nc = &name_cases[i];
		c = rs_const_by_name(nc->name, nc->groups);
		if (c == NULL)
			fail_msg("%s not found", nc->name);
		assert_string_equal(c->name, nc->full);
		assert_int_equal(c->value, nc->value);
	}
	for (i = 0; i < NITEMS(bad_names); i++) {
		c = rs_const_by_name(bad_names[i].name, bad_names[i].groups);
		if (c != NULL)
			fail_msg("\"%s\" found as %s", bad_names[i].name,
			    c->name);
	}
	assert_null(rs_const_by_name(NULL, RS_CG_ALL));
}

static void
test_seed_constants(void **state)
{
	const struct rs_const *c;
	size_t i;

	for (i = 0; i < NITEMS(seed_constants); i++) {
		c = rs_const_by_name(seed_constants[i], RS_CG_ALL);
		if (c == NULL)
			fail_msg("seed constant %s unknown", seed_constants[i]);
		assert_string_equal(c->name, seed_constants[i]);
	}
	for (i = 0; i < NITEMS(seed_sockopts); i++) {
		c = rs_const_by_name(seed_sockopts[i], RS_CG_ALL);
		if (c == NULL)
			fail_msg("seed option %s unknown", seed_sockopts[i]);
		assert_string_equal(c->name, seed_sockopts[i]);
		assert_true(c->group == RS_CG_SO || c->group == RS_CG_IP ||
		    c->group == RS_CG_IPV6 || c->group == RS_CG_TCP);
	}
	/* The seed's SO_OOBLINE is an alias of the real SO_OOBINLINE. */
	assert_int_equal(rs_const_by_name("SO_OOBLINE", RS_CG_SO)->value,
	    SO_OOBINLINE);
	assert_string_equal(rs_const_by_value(SO_OOBINLINE, RS_CG_SO)->name,
	    "SO_OOBINLINE");
	assert_null(rs_const_by_name("SO_USELOOPBACK", RS_CG_ALL));
	assert_null(rs_const_by_name("useloopback", RS_CG_SO));
}

static void
test_by_value(void **state)
{
	const struct rs_const *c;

	assert_string_equal(rs_const_by_value(AF_UNIX, RS_CG_AF)->name,
	    "AF_UNIX");
	assert_string_equal(rs_const_by_value(AF_PACKET, RS_CG_AF)->name,
	    "AF_PACKET");
	assert_string_equal(rs_const_by_value(IPV6_ADD_MEMBERSHIP,
	    RS_CG_IPV6)->name, "IPV6_ADD_MEMBERSHIP");
	assert_string_equal(rs_const_by_value(IPV6_DROP_MEMBERSHIP,
	    RS_CG_IPV6)->name, "IPV6_DROP_MEMBERSHIP");
	assert_string_equal(rs_const_by_value(0, RS_CG_IPPROTO)->name,
	    "IPPROTO_IP");
	assert_string_equal(rs_const_by_value(IP_RECVORIGDSTADDR,
	    RS_CG_IP)->name, "IP_RECVORIGDSTADDR");
	assert_string_equal(rs_const_by_value(ETH_P_ALL, RS_CG_ETH_P)->name,
	    "ETH_P_ALL");
	assert_string_equal(rs_const_by_value(SOCK_RAW, RS_CG_SOCK)->name,
	    "SOCK_RAW");
	assert_string_equal(rs_const_by_value(IPPROTO_RAW, RS_CG_IPPROTO)->name,
	    "IPPROTO_RAW");
	assert_string_equal(rs_const_by_value(EAI_NONAME, RS_CG_EAI)->name,
	    "EAI_NONAME");
	assert_string_equal(rs_const_by_value(ARPHRD_VOID, RS_CG_ARPHRD)->name,
	    "ARPHRD_VOID");
	c = rs_const_by_value(sizeof(((struct sockaddr_un *)0)->sun_path),
	    RS_CG_MISC);
	assert_string_equal(c->name, "UNIX_MAX_PATH");
	assert_int_equal(c->value, 108);

	assert_null(rs_const_by_value(12345, RS_CG_AF));
	assert_null(rs_const_by_value(SOCK_RAW, 0));
	assert_null(rs_const_by_value(EAI_NONAME, RS_CG_AF));
}

static void
test_short(void **state)
{
	char buf[32];

	assert_string_equal(rs_const_short(rs_const_by_name("SOCK_RAW",
	    RS_CG_SOCK), buf, sizeof buf), "raw");
	assert_string_equal(rs_const_short(rs_const_by_name("ETH_P_8021Q",
	    RS_CG_ETH_P), buf, sizeof buf), "8021q");
	assert_string_equal(rs_const_short(rs_const_by_name("IP_PMTUDISC_DO",
	    RS_CG_PMTUDISC), buf, sizeof buf), "do");
	assert_string_equal(rs_const_short(rs_const_by_name(
	    "PACKET_MR_PROMISC", RS_CG_PACKET_MR), buf, sizeof buf), "promisc");
	assert_string_equal(rs_const_short(rs_const_by_name("PACKET_HOST",
	    RS_CG_PACKET_TYPE), buf, sizeof buf), "host");
	assert_string_equal(rs_const_short(rs_const_by_name("SO_RCVBUF",
	    RS_CG_SO), buf, sizeof buf), "rcvbuf");
	assert_string_equal(rs_const_short(rs_const_by_name("UNIX_MAX_PATH",
	    RS_CG_MISC), buf, sizeof buf), "UNIX_MAX_PATH");

	/* Truncated to the buffer, always terminated. */
	assert_string_equal(rs_const_short(rs_const_by_name("SO_RCVBUF",
	    RS_CG_SO), buf, 4), "rcv");
	assert_string_equal(rs_const_short(rs_const_by_name("SO_RCVBUF",
	    RS_CG_SO), buf, 1), "");
	buf[0] = 'x';
	rs_const_short(rs_const_by_name("SO_RCVBUF", RS_CG_SO), buf, 0);
	assert_int_equal(buf[0], 'x');
}

/* Parse v (then free it) and expect want. */
static void
parse_ok(json_t *v, unsigned groups, long want)
{
	const char *why = NULL;
	long out = -12345;

	assert_non_null(v);
	assert_int_equal(rs_const_parse(v, groups, &out, &why), 0);
	assert_int_equal(out, want);
	assert_null(why);
	json_decref(v);
}

/* Parse v (then free it) and expect failure for that reason. */
static void
parse_fail(json_t *v, unsigned groups, const char *reason)
{
	const char *why = NULL;
	long out = -12345;

	assert_int_equal(rs_const_parse(v, groups, &out, &why), -1);
	assert_string_equal(why, reason);
	assert_int_equal(out, -12345);
	/* why is optional. */
	assert_int_equal(rs_const_parse(v, groups, &out, NULL), -1);
	json_decref(v);
}

static void
test_parse(void **state)
{
	const struct name_case *nc;
	size_t i;

	for (i = 0; i < NITEMS(name_cases); i++) {
		nc = &name_cases[i];
		parse_ok(json_string(nc->name), nc->groups, nc->value);
	}

	parse_ok(json_integer(17), RS_CG_IPPROTO, 17);
	parse_ok(json_integer(0), 0, 0);
	parse_ok(json_integer(-2), RS_CG_EAI, -2);
	parse_ok(json_integer(INT_MAX), RS_CG_MISC, INT_MAX);
	parse_ok(json_integer(INT_MIN), RS_CG_MISC, INT_MIN);
	parse_ok(json_string("0x0003"), RS_CG_ETH_P, ETH_P_ALL);
	parse_ok(json_string("0X88cc"), RS_CG_ETH_P, ETH_P_LLDP);
	parse_ok(json_string("0x7fffffff"), RS_CG_ETH_P, INT_MAX);
	parse_ok(json_string("-0x80000000"), RS_CG_ETH_P, INT_MIN);
	parse_ok(json_string("42"), RS_CG_SOCK, 42);
	parse_ok(json_string("010"), RS_CG_SOCK, 10);
	parse_ok(json_string("-7"), RS_CG_EAI, -7);
	parse_ok(json_string("2147483647"), RS_CG_MISC, INT_MAX);
	parse_ok(json_string("-2147483648"), RS_CG_MISC, INT_MIN);
	/* Numeric strings work in any mask, even none. */
	parse_ok(json_string("3"), 0, 3);
	/* A name wins over a number: ETH_P_1588's short name is "1588". */
	parse_ok(json_string("1588"), RS_CG_ETH_P, ETH_P_1588);
	parse_ok(json_string("1588"), RS_CG_IPPROTO, 1588);

	parse_fail(json_string("nosuchname"), RS_CG_ALL, why_unknown);
	parse_fail(json_string("raw"), RS_CG_AF, why_unknown);
	parse_fail(json_string(""), RS_CG_ALL, why_unknown);
	parse_fail(json_string("0x"), RS_CG_ALL, why_unknown);
	parse_fail(json_string("0xg1"), RS_CG_ALL, why_unknown);
	parse_fail(json_string("-"), RS_CG_ALL, why_unknown);
	parse_fail(json_string(" 1"), RS_CG_ALL, why_unknown);
	parse_fail(json_string("1 "), RS_CG_ALL, why_unknown);
	parse_fail(json_string("+1"), RS_CG_ALL, why_unknown);
	parse_fail(json_string("--1"), RS_CG_ALL, why_unknown);
	parse_fail(json_string("0x-1"), RS_CG_ALL, why_unknown);
	parse_fail(json_string("1.5"), RS_CG_ALL, why_unknown);
	parse_fail(json_string("12abc"), RS_CG_ALL, why_unknown);

	parse_fail(json_integer((json_int_t)INT_MAX + 1), RS_CG_ALL,
	    why_range);
	parse_fail(json_integer((json_int_t)INT_MIN - 1), RS_CG_ALL,
	    why_range);
	parse_fail(json_integer(INT64_MAX), RS_CG_ALL, why_range);
	parse_fail(json_integer(INT64_MIN), RS_CG_ALL, why_range);
	parse_fail(json_string("2147483648"), RS_CG_ALL, why_range);
	parse_fail(json_string("-2147483649"), RS_CG_ALL, why_range);
	parse_fail(json_string("0x80000000"), RS_CG_ALL, why_range);
	parse_fail(json_string("0xffffffffffffffffffff"), RS_CG_ALL,
	    why_range);
	parse_fail(json_string("99999999999999999999999"), RS_CG_ALL,
	    why_range);

	parse_fail(json_true(), RS_CG_ALL, why_type);
	parse_fail(json_false(), RS_CG_ALL, why_type);
	parse_fail(json_null(), RS_CG_ALL, why_type);
	parse_fail(json_real(3.0), RS_CG_ALL, why_type);
	parse_fail(json_object(), RS_CG_ALL, why_type);
	parse_fail(json_pack("[s]", "raw"), RS_CG_SOCK, why_type);
	parse_fail(NULL, RS_CG_ALL, why_type);
}

/* Parse flags given as JSON text and expect want. */
static void
flags_ok(const char *text, unsigned groups, long want)
{
	const char *why = NULL;
	json_t *v;
	long out = -12345;

	v = json_loads(text, JSON_DECODE_ANY, NULL);
	assert_non_null(v);
	if (rs_flags_parse(v, groups, &out, &why) != 0)
		fail_msg("%s: %s", text, why);
	assert_int_equal(out, want);
	json_decref(v);
}

static void
flags_fail(const char *text, unsigned groups, const char *reason)
{
	const char *why = NULL;
	json_t *v;
	long out = -12345;

	v = json_loads(text, JSON_DECODE_ANY, NULL);
	assert_non_null(v);
	assert_int_equal(rs_flags_parse(v, groups, &out, &why), -1);
	assert_string_equal(why, reason);
	assert_int_equal(out, -12345);
	assert_int_equal(rs_flags_parse(v, groups, &out, NULL), -1);
	json_decref(v);
}

static void
test_flags_parse(void **state)
{
	flags_ok("0", RS_CG_MSG, 0);
	flags_ok("66", RS_CG_MSG, 66);
	flags_ok("\"peek\"", RS_CG_MSG, MSG_PEEK);
	flags_ok("\"MSG_DONTWAIT\"", RS_CG_MSG, MSG_DONTWAIT);
	flags_ok("\"0x22\"", RS_CG_MSG, 0x22);
	flags_ok("[]", RS_CG_MSG, 0);
	flags_ok("[\"peek\", \"Trunc\"]", RS_CG_MSG, MSG_PEEK | MSG_TRUNC);
	flags_ok("[\"peek\", 64, \"MSG_WAITALL\", \"0x1000000\"]", RS_CG_MSG,
	    MSG_PEEK | 64 | MSG_WAITALL | 0x1000000);
	flags_ok("[\"peek\", \"peek\"]", RS_CG_MSG, MSG_PEEK);
	flags_ok("[\"up\", \"running\", \"promisc\"]", RS_CG_IFF,
	    IFF_UP | IFF_RUNNING | IFF_PROMISC);
	flags_ok("[\"passive\", \"AI_ADDRCONFIG\"]", RS_CG_AI,
	    AI_PASSIVE | AI_ADDRCONFIG);
	flags_ok("[\"nonblock\", \"cloexec\"]", RS_CG_SOCK,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	flags_ok("[\"numerichost\", \"numericserv\"]", RS_CG_NI,
	    NI_NUMERICHOST | NI_NUMERICSERV);

	flags_fail("[\"peek\", \"nosuch\"]", RS_CG_MSG, why_unknown);
	flags_fail("[\"peek\", true]", RS_CG_MSG, why_type);
	flags_fail("[\"peek\", null]", RS_CG_MSG, why_type);
	flags_fail("[[\"peek\"]]", RS_CG_MSG, why_type);
	flags_fail("[{}]", RS_CG_MSG, why_type);
	flags_fail("[1.5]", RS_CG_MSG, why_type);
	flags_fail("[4294967296]", RS_CG_MSG, why_range);
	flags_fail("4294967296", RS_CG_MSG, why_range);
	flags_fail("\"promisc\"", RS_CG_MSG, why_unknown);
	flags_fail("true", RS_CG_MSG,
	    "expected an integer, a constant name or a list of them");
	flags_fail("{\"peek\": 1}", RS_CG_MSG,
	    "expected an integer, a constant name or a list of them");
	flags_fail("null", RS_CG_MSG,
	    "expected an integer, a constant name or a list of them");
}

/* rs_flags_names(flags) as compact JSON text equals want. */
static void
names_are(long flags, unsigned group, const char *want)
{
	json_t *a;
	char *s;

	assert_non_null(a = rs_flags_names(flags, group));
	assert_non_null(s = json_dumps(a, JSON_COMPACT));
	assert_string_equal(s, want);
	free(s);
	json_decref(a);
}

static void
test_flags_names(void **state)
{
	static const struct {
		unsigned	group;
		long		flags;
	} trips[] = {
		{ RS_CG_MSG, 0 },
		{ RS_CG_MSG, MSG_PEEK },
		{ RS_CG_MSG, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT },
		{ RS_CG_MSG, MSG_CMSG_CLOEXEC | MSG_ERRQUEUE },
		{ RS_CG_MSG, MSG_PEEK | 0x100000 },
		{ RS_CG_MSG, 0x100000 | 0x200000 },
		{ RS_CG_MSG, INT_MAX },
		{ RS_CG_MSG, INT_MIN },
		{ RS_CG_MSG, -1 },
		{ RS_CG_IFF, IFF_UP | IFF_BROADCAST | IFF_RUNNING |
		    IFF_MULTICAST | (1 << 16) },
		{ RS_CG_IFF, IFF_UP | (1 << 24) },
		{ RS_CG_AI, AI_PASSIVE | AI_CANONNAME | AI_NUMERICSERV },
		{ RS_CG_NI, NI_NAMEREQD | NI_DGRAM | 0x400 },
		{ RS_CG_SOCK, SOCK_NONBLOCK | SOCK_CLOEXEC },
		{ RS_CG_IPTOS, IPTOS_LOWDELAY | IPTOS_THROUGHPUT | 0xe0 },
		{ RS_CG_EAI, 0 },
	};
	const char *why;
	json_t *a;
	size_t i;
	long back;

	names_are(0, RS_CG_MSG, "[]");
	names_are(MSG_PEEK, RS_CG_MSG, "[\"MSG_PEEK\"]");
	/* Table order, not bit order. */
	names_are(MSG_PEEK | MSG_TRUNC | MSG_CONFIRM, RS_CG_MSG,
	    "[\"MSG_CONFIRM\",\"MSG_PEEK\",\"MSG_TRUNC\"]");
	names_are(MSG_PEEK | 0x100000 | 0x200000, RS_CG_MSG,
	    "[\"MSG_PEEK\",3145728]");
	names_are(IFF_UP | IFF_LOOPBACK | IFF_RUNNING | (1 << 16), RS_CG_IFF,
	    "[\"IFF_UP\",\"IFF_LOOPBACK\",\"IFF_RUNNING\",\"IFF_LOWER_UP\"]");
	names_are(AI_PASSIVE, RS_CG_AI, "[\"AI_PASSIVE\"]");
	/* Only single-bit values name bits: 3 is not a flag of SOCK. */
	names_are(SOCK_NONBLOCK, RS_CG_SOCK, "[\"SOCK_NONBLOCK\"]");
	/* A group of negative values names nothing. */
	names_are(5, RS_CG_EAI, "[5]");

	for (i = 0; i < NITEMS(trips); i++) {
		assert_non_null(a = rs_flags_names(trips[i].flags,
		    trips[i].group));
		why = NULL;
		back = -12345;
		if (rs_flags_parse(a, trips[i].group, &back, &why) != 0)
			fail_msg("trip %zu: %s", i, why);
		assert_int_equal(back, trips[i].flags);
		json_decref(a);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroup_table),
		cmocka_unit_test(test_table_shape),
		cmocka_unit_test(test_every_entry),
		cmocka_unit_test(test_by_name),
		cmocka_unit_test(test_seed_constants),
		cmocka_unit_test(test_by_value),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_flags_parse),
		cmocka_unit_test(test_flags_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
