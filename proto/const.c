/*
 * Named constants (PROTOCOL.md section 3): the table of every name the
 * protocol knows, with its value taken from the system headers, and the
 * look-ups between names, short names and values.  Pure table work: no
 * I/O, no resolver (the daemon itself asks getprotobyname for protocols
 * this table does not know).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
/*
 * Only for IPV6_FLOWINFO, which glibc lacks.  Included after <netinet/in.h>
 * so that linux/libc-compat.h leaves glibc's definitions alone.
 */
#include <linux/in6.h>

#include <net/if.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "const.h"

/*
 * IFF_LOWER_UP, IFF_DORMANT and IFF_ECHO live only in <linux/if.h>, which
 * cannot be included next to glibc's <net/if.h>.  They are part of the
 * kernel ABI (enum net_device_flags, include/uapi/linux/if.h) and never
 * move, so spell them from their documented bits when missing.
 */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP	(1 << 16)
#endif
#ifndef IFF_DORMANT
#define IFF_DORMANT	(1 << 17)
#endif
#ifndef IFF_ECHO
#define IFF_ECHO	(1 << 18)
#endif

#define C(g, n)	{ #n, (n), (g) }

/*
 * Table order matters twice: a short name found in several groups of a
 * look-up resolves to the first entry, and by-value look-ups return the
 * first entry with that value, so the preferred spelling of an alias
 * comes first (AF_UNIX before AF_LOCAL, IPPROTO_IP before IPPROTO_HOPOPTS).
 */
const struct rs_const rs_const_table[] = {
	/* Address families (the seed's list). */
	C(RS_CG_AF, AF_UNSPEC),
	C(RS_CG_AF, AF_INET),
	C(RS_CG_AF, AF_INET6),
	C(RS_CG_AF, AF_UNIX),
	C(RS_CG_AF, AF_LOCAL),
	C(RS_CG_AF, AF_NETLINK),
	C(RS_CG_AF, AF_PACKET),
	C(RS_CG_AF, AF_ALG),

	/* Socket types, and the flags that may be OR-ed into a type. */
	C(RS_CG_SOCK, SOCK_STREAM),
	C(RS_CG_SOCK, SOCK_DGRAM),
	C(RS_CG_SOCK, SOCK_RAW),
	C(RS_CG_SOCK, SOCK_SEQPACKET),
	C(RS_CG_SOCK, SOCK_RDM),
	C(RS_CG_SOCK, SOCK_NONBLOCK),
	C(RS_CG_SOCK, SOCK_CLOEXEC),

	C(RS_CG_SHUT, SHUT_RD),
	C(RS_CG_SHUT, SHUT_WR),
	C(RS_CG_SHUT, SHUT_RDWR),

	/* Option levels. */
	C(RS_CG_SOL, SOL_SOCKET),
	C(RS_CG_SOL, SOL_PACKET),
	C(RS_CG_SOL, SOL_IP),
	C(RS_CG_SOL, SOL_IPV6),
	C(RS_CG_SOL, SOL_TCP),
	C(RS_CG_SOL, SOL_UDP),
	C(RS_CG_SOL, SOL_RAW),
#ifdef SOL_ICMPV6
	C(RS_CG_SOL, SOL_ICMPV6),
#endif

	/*
	 * SOL_SOCKET options: the seed's defsockopt table first.  Its
	 * SO_USELOOPBACK is a BSD routing-socket option that Linux has never
	 * had, so it is left out.
	 */
	C(RS_CG_SO, SO_ACCEPTCONN),
	C(RS_CG_SO, SO_BINDTODEVICE),
	C(RS_CG_SO, SO_BROADCAST),
	C(RS_CG_SO, SO_DEBUG),
	C(RS_CG_SO, SO_DOMAIN),
	C(RS_CG_SO, SO_DONTROUTE),
	C(RS_CG_SO, SO_ERROR),
	C(RS_CG_SO, SO_KEEPALIVE),
	C(RS_CG_SO, SO_LINGER),
	C(RS_CG_SO, SO_OOBINLINE),
	/*
	 * The seed spells it SO_OOBLINE (a typo of its documentation); accept
	 * that spelling as an alias so that names copied from it still work.
	 */
	{ "SO_OOBLINE", SO_OOBINLINE, RS_CG_SO },
	C(RS_CG_SO, SO_PASSCRED),
	C(RS_CG_SO, SO_PEERCRED),
	C(RS_CG_SO, SO_PEEK_OFF),
	C(RS_CG_SO, SO_PROTOCOL),
	C(RS_CG_SO, SO_RCVBUF),
	C(RS_CG_SO, SO_SNDBUF),
	C(RS_CG_SO, SO_RCVLOWAT),
	C(RS_CG_SO, SO_SNDLOWAT),
	C(RS_CG_SO, SO_RCVTIMEO),
	C(RS_CG_SO, SO_SNDTIMEO),
	C(RS_CG_SO, SO_REUSEADDR),
	C(RS_CG_SO, SO_REUSEPORT),
	C(RS_CG_SO, SO_TYPE),
	C(RS_CG_SO, SO_TIMESTAMP),
	C(RS_CG_SO, SO_TIMESTAMPNS),
	C(RS_CG_SO, SO_TIMESTAMPING),
	C(RS_CG_SO, SO_MARK),
	C(RS_CG_SO, SO_PRIORITY),
	C(RS_CG_SO, SO_RCVBUFFORCE),
	C(RS_CG_SO, SO_SNDBUFFORCE),
	C(RS_CG_SO, SO_BUSY_POLL),
	C(RS_CG_SO, SO_ATTACH_FILTER),
	C(RS_CG_SO, SO_DETACH_FILTER),
	C(RS_CG_SO, SO_LOCK_FILTER),
	C(RS_CG_SO, SO_PEERGROUPS),
	C(RS_CG_SO, SO_PASSSEC),
	C(RS_CG_SO, SO_PEERSEC),
	C(RS_CG_SO, SO_INCOMING_CPU),
	C(RS_CG_SO, SO_RXQ_OVFL),
#ifdef SO_BINDTOIFINDEX
	C(RS_CG_SO, SO_BINDTOIFINDEX),
#endif
#ifdef SO_ZEROCOPY
	C(RS_CG_SO, SO_ZEROCOPY),
#endif
#ifdef SO_TXTIME
	C(RS_CG_SO, SO_TXTIME),
#endif
#ifdef SO_COOKIE
	C(RS_CG_SO, SO_COOKIE),
#endif
#ifdef SO_NOFCS
	C(RS_CG_SO, SO_NOFCS),
#endif
#ifdef SO_SELECT_ERR_QUEUE
	C(RS_CG_SO, SO_SELECT_ERR_QUEUE),
#endif

	/* IP protocols.  IPPROTO_IP first: IPPROTO_HOPOPTS shares its 0. */
	C(RS_CG_IPPROTO, IPPROTO_IP),
	C(RS_CG_IPPROTO, IPPROTO_ICMP),
	C(RS_CG_IPPROTO, IPPROTO_IGMP),
	C(RS_CG_IPPROTO, IPPROTO_IPIP),
	C(RS_CG_IPPROTO, IPPROTO_TCP),
	C(RS_CG_IPPROTO, IPPROTO_EGP),
	C(RS_CG_IPPROTO, IPPROTO_PUP),
	C(RS_CG_IPPROTO, IPPROTO_UDP),
	C(RS_CG_IPPROTO, IPPROTO_IDP),
	C(RS_CG_IPPROTO, IPPROTO_TP),
#ifdef IPPROTO_DCCP
	C(RS_CG_IPPROTO, IPPROTO_DCCP),
#endif
	C(RS_CG_IPPROTO, IPPROTO_IPV6),
	C(RS_CG_IPPROTO, IPPROTO_RSVP),
	C(RS_CG_IPPROTO, IPPROTO_GRE),
	C(RS_CG_IPPROTO, IPPROTO_ESP),
	C(RS_CG_IPPROTO, IPPROTO_AH),
	C(RS_CG_IPPROTO, IPPROTO_ICMPV6),
	C(RS_CG_IPPROTO, IPPROTO_MTP),
#ifdef IPPROTO_BEETPH
	C(RS_CG_IPPROTO, IPPROTO_BEETPH),
#endif
	C(RS_CG_IPPROTO, IPPROTO_ENCAP),
	C(RS_CG_IPPROTO, IPPROTO_PIM),
	C(RS_CG_IPPROTO, IPPROTO_COMP),
#ifdef IPPROTO_L2TP
	C(RS_CG_IPPROTO, IPPROTO_L2TP),
#endif
	C(RS_CG_IPPROTO, IPPROTO_SCTP),
	C(RS_CG_IPPROTO, IPPROTO_UDPLITE),
	C(RS_CG_IPPROTO, IPPROTO_MPLS),
#ifdef IPPROTO_ETHERNET
	C(RS_CG_IPPROTO, IPPROTO_ETHERNET),
#endif
	C(RS_CG_IPPROTO, IPPROTO_RAW),
#ifdef IPPROTO_MPTCP
	C(RS_CG_IPPROTO, IPPROTO_MPTCP),
#endif
	/* IPv6 extension headers (values shared with the above for HOPOPTS). */
	C(RS_CG_IPPROTO, IPPROTO_HOPOPTS),
	C(RS_CG_IPPROTO, IPPROTO_ROUTING),
	C(RS_CG_IPPROTO, IPPROTO_FRAGMENT),
	C(RS_CG_IPPROTO, IPPROTO_NONE),
	C(RS_CG_IPPROTO, IPPROTO_DSTOPTS),
#ifdef IPPROTO_MH
	C(RS_CG_IPPROTO, IPPROTO_MH),
#endif

	/* IPPROTO_IP options: the seed's table, then the rest worth naming. */
	C(RS_CG_IP, IP_ADD_MEMBERSHIP),
	C(RS_CG_IP, IP_DROP_MEMBERSHIP),
	C(RS_CG_IP, IP_ADD_SOURCE_MEMBERSHIP),
	C(RS_CG_IP, IP_DROP_SOURCE_MEMBERSHIP),
	C(RS_CG_IP, IP_BLOCK_SOURCE),
	C(RS_CG_IP, IP_UNBLOCK_SOURCE),
	C(RS_CG_IP, IP_FREEBIND),
	C(RS_CG_IP, IP_HDRINCL),
	C(RS_CG_IP, IP_MTU),
	C(RS_CG_IP, IP_MTU_DISCOVER),
	C(RS_CG_IP, IP_MULTICAST_ALL),
	C(RS_CG_IP, IP_MULTICAST_IF),
	C(RS_CG_IP, IP_MULTICAST_LOOP),
	C(RS_CG_IP, IP_MULTICAST_TTL),
	C(RS_CG_IP, IP_NODEFRAG),
	C(RS_CG_IP, IP_OPTIONS),
	C(RS_CG_IP, IP_PKTINFO),
	C(RS_CG_IP, IP_RECVERR),
	C(RS_CG_IP, IP_RECVORIGDSTADDR),
	C(RS_CG_IP, IP_RECVOPTS),
	C(RS_CG_IP, IP_RECVTOS),
	C(RS_CG_IP, IP_RECVTTL),
	C(RS_CG_IP, IP_RETOPTS),
	C(RS_CG_IP, IP_ROUTER_ALERT),
	C(RS_CG_IP, IP_TOS),
	C(RS_CG_IP, IP_TTL),
	/* Aliases the kernel uses as cmsg types. */
	C(RS_CG_IP, IP_ORIGDSTADDR),
	C(RS_CG_IP, IP_RECVRETOPTS),
#ifdef IP_RECVERR_RFC4884
	C(RS_CG_IP, IP_RECVERR_RFC4884),
#endif
	C(RS_CG_IP, IP_TRANSPARENT),
	C(RS_CG_IP, IP_BIND_ADDRESS_NO_PORT),
	C(RS_CG_IP, IP_PASSSEC),
	C(RS_CG_IP, IP_CHECKSUM),
	C(RS_CG_IP, IP_MINTTL),
	C(RS_CG_IP, IP_UNICAST_IF),
#ifdef IP_RECVFRAGSIZE
	C(RS_CG_IP, IP_RECVFRAGSIZE),
#endif
	C(RS_CG_IP, IP_MSFILTER),
#ifdef IP_LOCAL_PORT_RANGE
	C(RS_CG_IP, IP_LOCAL_PORT_RANGE),
#endif

	/*
	 * IPPROTO_IPV6 options: the seed's table first, so that by value
	 * 20/21 name IPV6_ADD_MEMBERSHIP/IPV6_DROP_MEMBERSHIP (glibc's
	 * aliases of IPV6_JOIN_GROUP/IPV6_LEAVE_GROUP).
	 */
	C(RS_CG_IPV6, IPV6_ADDRFORM),
	C(RS_CG_IPV6, IPV6_ADD_MEMBERSHIP),
	C(RS_CG_IPV6, IPV6_DROP_MEMBERSHIP),
	C(RS_CG_IPV6, IPV6_MTU),
	C(RS_CG_IPV6, IPV6_MTU_DISCOVER),
	C(RS_CG_IPV6, IPV6_MULTICAST_HOPS),
	C(RS_CG_IPV6, IPV6_MULTICAST_IF),
	C(RS_CG_IPV6, IPV6_MULTICAST_LOOP),
	C(RS_CG_IPV6, IPV6_RECVPKTINFO),
	C(RS_CG_IPV6, IPV6_RTHDR),
	C(RS_CG_IPV6, IPV6_AUTHHDR),
	C(RS_CG_IPV6, IPV6_DSTOPTS),
	C(RS_CG_IPV6, IPV6_HOPOPTS),
	C(RS_CG_IPV6, IPV6_FLOWINFO),
	C(RS_CG_IPV6, IPV6_HOPLIMIT),
	C(RS_CG_IPV6, IPV6_ROUTER_ALERT),
	C(RS_CG_IPV6, IPV6_UNICAST_HOPS),
	C(RS_CG_IPV6, IPV6_V6ONLY),
	C(RS_CG_IPV6, IPV6_JOIN_GROUP),
	C(RS_CG_IPV6, IPV6_LEAVE_GROUP),
	C(RS_CG_IPV6, IPV6_PKTINFO),
	C(RS_CG_IPV6, IPV6_RECVHOPLIMIT),
	C(RS_CG_IPV6, IPV6_RECVTCLASS),
	C(RS_CG_IPV6, IPV6_TCLASS),
	C(RS_CG_IPV6, IPV6_RECVERR),
#ifdef IPV6_RECVERR_RFC4884
	C(RS_CG_IPV6, IPV6_RECVERR_RFC4884),
#endif
#ifdef IPV6_MULTICAST_ALL
	C(RS_CG_IPV6, IPV6_MULTICAST_ALL),
#endif
	C(RS_CG_IPV6, IPV6_CHECKSUM),
	C(RS_CG_IPV6, IPV6_NEXTHOP),
	C(RS_CG_IPV6, IPV6_RECVHOPOPTS),
	C(RS_CG_IPV6, IPV6_RECVDSTOPTS),
	C(RS_CG_IPV6, IPV6_RECVRTHDR),
	C(RS_CG_IPV6, IPV6_RTHDRDSTOPTS),
	C(RS_CG_IPV6, IPV6_RECVPATHMTU),
	C(RS_CG_IPV6, IPV6_PATHMTU),
	C(RS_CG_IPV6, IPV6_DONTFRAG),
	C(RS_CG_IPV6, IPV6_RECVORIGDSTADDR),
	C(RS_CG_IPV6, IPV6_ORIGDSTADDR),
	C(RS_CG_IPV6, IPV6_TRANSPARENT),
	C(RS_CG_IPV6, IPV6_FREEBIND),
	C(RS_CG_IPV6, IPV6_UNICAST_IF),
#ifdef IPV6_RECVFRAGSIZE
	C(RS_CG_IPV6, IPV6_RECVFRAGSIZE),
#endif
#ifdef IPV6_MINHOPCOUNT
	C(RS_CG_IPV6, IPV6_MINHOPCOUNT),
#endif
#ifdef IPV6_HDRINCL
	C(RS_CG_IPV6, IPV6_HDRINCL),
#endif

	/* IPPROTO_TCP options. */
	C(RS_CG_TCP, TCP_CONGESTION),
	C(RS_CG_TCP, TCP_CORK),
	C(RS_CG_TCP, TCP_DEFER_ACCEPT),
	C(RS_CG_TCP, TCP_KEEPCNT),
	C(RS_CG_TCP, TCP_KEEPIDLE),
	C(RS_CG_TCP, TCP_KEEPINTVL),
	C(RS_CG_TCP, TCP_MAXSEG),
	C(RS_CG_TCP, TCP_NODELAY),
	C(RS_CG_TCP, TCP_SYNCNT),
	C(RS_CG_TCP, TCP_USER_TIMEOUT),
	C(RS_CG_TCP, TCP_QUICKACK),
	C(RS_CG_TCP, TCP_INFO),
	C(RS_CG_TCP, TCP_NOTSENT_LOWAT),
	C(RS_CG_TCP, TCP_FASTOPEN),
#ifdef TCP_FASTOPEN_CONNECT
	C(RS_CG_TCP, TCP_FASTOPEN_CONNECT),
#endif
	C(RS_CG_TCP, TCP_WINDOW_CLAMP),
	C(RS_CG_TCP, TCP_LINGER2),

	/* IP_MTU_DISCOVER values. */
	C(RS_CG_PMTUDISC, IP_PMTUDISC_WANT),
	C(RS_CG_PMTUDISC, IP_PMTUDISC_DONT),
	C(RS_CG_PMTUDISC, IP_PMTUDISC_DO),
	C(RS_CG_PMTUDISC, IP_PMTUDISC_PROBE),
	C(RS_CG_PMTUDISC, IP_PMTUDISC_INTERFACE),
	C(RS_CG_PMTUDISC, IP_PMTUDISC_OMIT),

	C(RS_CG_IPTOS, IPTOS_LOWDELAY),
	C(RS_CG_IPTOS, IPTOS_THROUGHPUT),
	C(RS_CG_IPTOS, IPTOS_RELIABILITY),
	C(RS_CG_IPTOS, IPTOS_MINCOST),

	/* send/recv flags. */
	C(RS_CG_MSG, MSG_CONFIRM),
	C(RS_CG_MSG, MSG_CTRUNC),
	C(RS_CG_MSG, MSG_DONTROUTE),
	C(RS_CG_MSG, MSG_DONTWAIT),
	C(RS_CG_MSG, MSG_EOR),
	C(RS_CG_MSG, MSG_ERRQUEUE),
	C(RS_CG_MSG, MSG_MORE),
	C(RS_CG_MSG, MSG_NOSIGNAL),
	C(RS_CG_MSG, MSG_OOB),
	C(RS_CG_MSG, MSG_PEEK),
	C(RS_CG_MSG, MSG_TRUNC),
	C(RS_CG_MSG, MSG_WAITALL),
	C(RS_CG_MSG, MSG_CMSG_CLOEXEC),
#ifdef MSG_WAITFORONE
	C(RS_CG_MSG, MSG_WAITFORONE),
#endif
#ifdef MSG_BATCH
	C(RS_CG_MSG, MSG_BATCH),
#endif
#ifdef MSG_FASTOPEN
	C(RS_CG_MSG, MSG_FASTOPEN),
#endif
#ifdef MSG_ZEROCOPY
	C(RS_CG_MSG, MSG_ZEROCOPY),
#endif

	/* Ethertypes. */
	C(RS_CG_ETH_P, ETH_P_ALL),
	C(RS_CG_ETH_P, ETH_P_IP),
	C(RS_CG_ETH_P, ETH_P_IPV6),
	C(RS_CG_ETH_P, ETH_P_ARP),
	C(RS_CG_ETH_P, ETH_P_RARP),
	C(RS_CG_ETH_P, ETH_P_8021Q),
	C(RS_CG_ETH_P, ETH_P_8021AD),
	C(RS_CG_ETH_P, ETH_P_LOOP),
	C(RS_CG_ETH_P, ETH_P_PAE),
	C(RS_CG_ETH_P, ETH_P_LLDP),
	C(RS_CG_ETH_P, ETH_P_MPLS_UC),
	C(RS_CG_ETH_P, ETH_P_MPLS_MC),
	C(RS_CG_ETH_P, ETH_P_PPP_DISC),
	C(RS_CG_ETH_P, ETH_P_PPP_SES),
	C(RS_CG_ETH_P, ETH_P_802_3),
	C(RS_CG_ETH_P, ETH_P_802_2),
	C(RS_CG_ETH_P, ETH_P_SNAP),
	C(RS_CG_ETH_P, ETH_P_TIPC),
	C(RS_CG_ETH_P, ETH_P_1588),
	C(RS_CG_ETH_P, ETH_P_MACSEC),
	C(RS_CG_ETH_P, ETH_P_PREAUTH),
	C(RS_CG_ETH_P, ETH_P_PUP),
	C(RS_CG_ETH_P, ETH_P_X25),
	C(RS_CG_ETH_P, ETH_P_WCCP),
#ifdef ETH_P_IEEE802154
	C(RS_CG_ETH_P, ETH_P_IEEE802154),
#endif
#ifdef ETH_P_BATMAN
	C(RS_CG_ETH_P, ETH_P_BATMAN),
#endif
#ifdef ETH_P_ATMFATE
	C(RS_CG_ETH_P, ETH_P_ATMFATE),
#endif
#ifdef ETH_P_TSN
	C(RS_CG_ETH_P, ETH_P_TSN),
#endif
#ifdef ETH_P_QINQ1
	C(RS_CG_ETH_P, ETH_P_QINQ1),
#endif
#ifdef ETH_P_LOOPBACK
	C(RS_CG_ETH_P, ETH_P_LOOPBACK),
#endif
#ifdef ETH_P_CAN
	C(RS_CG_ETH_P, ETH_P_CAN),
#endif

	/* SOL_PACKET options. */
	C(RS_CG_PACKET, PACKET_ADD_MEMBERSHIP),
	C(RS_CG_PACKET, PACKET_DROP_MEMBERSHIP),
	C(RS_CG_PACKET, PACKET_RECV_OUTPUT),
	C(RS_CG_PACKET, PACKET_RX_RING),
	C(RS_CG_PACKET, PACKET_STATISTICS),
	C(RS_CG_PACKET, PACKET_COPY_THRESH),
	C(RS_CG_PACKET, PACKET_AUXDATA),
	C(RS_CG_PACKET, PACKET_ORIGDEV),
	C(RS_CG_PACKET, PACKET_VERSION),
	C(RS_CG_PACKET, PACKET_HDRLEN),
	C(RS_CG_PACKET, PACKET_RESERVE),
	C(RS_CG_PACKET, PACKET_TX_RING),
	C(RS_CG_PACKET, PACKET_LOSS),
	C(RS_CG_PACKET, PACKET_VNET_HDR),
	C(RS_CG_PACKET, PACKET_TX_TIMESTAMP),
	C(RS_CG_PACKET, PACKET_TIMESTAMP),
	C(RS_CG_PACKET, PACKET_FANOUT),
	C(RS_CG_PACKET, PACKET_TX_HAS_OFF),
	C(RS_CG_PACKET, PACKET_QDISC_BYPASS),
	C(RS_CG_PACKET, PACKET_ROLLOVER_STATS),
	C(RS_CG_PACKET, PACKET_FANOUT_DATA),
#ifdef PACKET_IGNORE_OUTGOING
	C(RS_CG_PACKET, PACKET_IGNORE_OUTGOING),
#endif
#ifdef PACKET_VNET_HDR_SZ
	C(RS_CG_PACKET, PACKET_VNET_HDR_SZ),
#endif

	/* sll_pkttype values. */
	C(RS_CG_PACKET_TYPE, PACKET_HOST),
	C(RS_CG_PACKET_TYPE, PACKET_BROADCAST),
	C(RS_CG_PACKET_TYPE, PACKET_MULTICAST),
	C(RS_CG_PACKET_TYPE, PACKET_OTHERHOST),
	C(RS_CG_PACKET_TYPE, PACKET_OUTGOING),
	C(RS_CG_PACKET_TYPE, PACKET_LOOPBACK),
	C(RS_CG_PACKET_TYPE, PACKET_USER),
	C(RS_CG_PACKET_TYPE, PACKET_KERNEL),

	/* packet_mreq.mr_type values. */
	C(RS_CG_PACKET_MR, PACKET_MR_MULTICAST),
	C(RS_CG_PACKET_MR, PACKET_MR_PROMISC),
	C(RS_CG_PACKET_MR, PACKET_MR_ALLMULTI),
	C(RS_CG_PACKET_MR, PACKET_MR_UNICAST),

	/* Interface flags. */
	C(RS_CG_IFF, IFF_UP),
	C(RS_CG_IFF, IFF_BROADCAST),
	C(RS_CG_IFF, IFF_DEBUG),
	C(RS_CG_IFF, IFF_LOOPBACK),
	C(RS_CG_IFF, IFF_POINTOPOINT),
	C(RS_CG_IFF, IFF_NOTRAILERS),
	C(RS_CG_IFF, IFF_RUNNING),
	C(RS_CG_IFF, IFF_NOARP),
	C(RS_CG_IFF, IFF_PROMISC),
	C(RS_CG_IFF, IFF_ALLMULTI),
	C(RS_CG_IFF, IFF_MASTER),
	C(RS_CG_IFF, IFF_SLAVE),
	C(RS_CG_IFF, IFF_MULTICAST),
	C(RS_CG_IFF, IFF_PORTSEL),
	C(RS_CG_IFF, IFF_AUTOMEDIA),
	C(RS_CG_IFF, IFF_DYNAMIC),
	C(RS_CG_IFF, IFF_LOWER_UP),
	C(RS_CG_IFF, IFF_DORMANT),
	C(RS_CG_IFF, IFF_ECHO),

	/* getaddrinfo flags. */
	C(RS_CG_AI, AI_PASSIVE),
	C(RS_CG_AI, AI_CANONNAME),
	C(RS_CG_AI, AI_NUMERICHOST),
	C(RS_CG_AI, AI_V4MAPPED),
	C(RS_CG_AI, AI_ALL),
	C(RS_CG_AI, AI_ADDRCONFIG),
	C(RS_CG_AI, AI_NUMERICSERV),
	C(RS_CG_AI, AI_IDN),
	C(RS_CG_AI, AI_CANONIDN),

	/* getnameinfo flags. */
	C(RS_CG_NI, NI_NUMERICHOST),
	C(RS_CG_NI, NI_NUMERICSERV),
	C(RS_CG_NI, NI_NOFQDN),
	C(RS_CG_NI, NI_NAMEREQD),
	C(RS_CG_NI, NI_DGRAM),
	C(RS_CG_NI, NI_IDN),

	/* Resolver errors (the same names error.c puts on the wire). */
	C(RS_CG_EAI, EAI_BADFLAGS),
	C(RS_CG_EAI, EAI_NONAME),
	C(RS_CG_EAI, EAI_AGAIN),
	C(RS_CG_EAI, EAI_FAIL),
	C(RS_CG_EAI, EAI_FAMILY),
	C(RS_CG_EAI, EAI_SOCKTYPE),
	C(RS_CG_EAI, EAI_SERVICE),
	C(RS_CG_EAI, EAI_MEMORY),
	C(RS_CG_EAI, EAI_SYSTEM),
	C(RS_CG_EAI, EAI_OVERFLOW),
	C(RS_CG_EAI, EAI_NODATA),
	C(RS_CG_EAI, EAI_ADDRFAMILY),
	C(RS_CG_EAI, EAI_INPROGRESS),
	C(RS_CG_EAI, EAI_CANCELED),
	C(RS_CG_EAI, EAI_NOTCANCELED),
	C(RS_CG_EAI, EAI_ALLDONE),
	C(RS_CG_EAI, EAI_INTR),
	C(RS_CG_EAI, EAI_IDN_ENCODE),

	/* Hardware types (sll_hatype). */
	C(RS_CG_ARPHRD, ARPHRD_ETHER),
	C(RS_CG_ARPHRD, ARPHRD_LOOPBACK),
	C(RS_CG_ARPHRD, ARPHRD_NONE),
	C(RS_CG_ARPHRD, ARPHRD_IEEE80211),
	C(RS_CG_ARPHRD, ARPHRD_IEEE80211_RADIOTAP),
	C(RS_CG_ARPHRD, ARPHRD_PPP),
	C(RS_CG_ARPHRD, ARPHRD_TUNNEL),
	C(RS_CG_ARPHRD, ARPHRD_TUNNEL6),
	C(RS_CG_ARPHRD, ARPHRD_SIT),
	C(RS_CG_ARPHRD, ARPHRD_IPGRE),
	C(RS_CG_ARPHRD, ARPHRD_VOID),
	C(RS_CG_ARPHRD, ARPHRD_INFINIBAND),
	C(RS_CG_ARPHRD, ARPHRD_CAN),
#ifdef ARPHRD_IEEE802154
	C(RS_CG_ARPHRD, ARPHRD_IEEE802154),
#endif

	/* Sizes and versions: full names only. */
	{ "UNIX_MAX_PATH", sizeof(((struct sockaddr_un *)0)->sun_path),
	    RS_CG_MISC },
	C(RS_CG_MISC, SOMAXCONN),
	C(RS_CG_MISC, TPACKET_V1),
	C(RS_CG_MISC, TPACKET_V2),
	C(RS_CG_MISC, TPACKET_V3),
	C(RS_CG_MISC, IFNAMSIZ),
};

const size_t rs_const_count = sizeof rs_const_table / sizeof rs_const_table[0];

/* In enum order: the entry for bit n is rs_cgroup_table[n]. */
const struct rs_cgroup_info rs_cgroup_table[] = {
	{ RS_CG_AF, "AF", "AF_" },
	{ RS_CG_SOCK, "SOCK", "SOCK_" },
	{ RS_CG_SHUT, "SHUT", "SHUT_" },
	{ RS_CG_SOL, "SOL", "SOL_" },
	{ RS_CG_SO, "SO", "SO_" },
	{ RS_CG_IPPROTO, "IPPROTO", "IPPROTO_" },
	{ RS_CG_IP, "IP", "IP_" },
	{ RS_CG_IPV6, "IPV6", "IPV6_" },
	{ RS_CG_TCP, "TCP", "TCP_" },
	{ RS_CG_PMTUDISC, "IP_PMTUDISC", "IP_PMTUDISC_" },
	{ RS_CG_IPTOS, "IPTOS", "IPTOS_" },
	{ RS_CG_MSG, "MSG", "MSG_" },
	{ RS_CG_ETH_P, "ETH_P", "ETH_P_" },
	{ RS_CG_PACKET, "PACKET", "PACKET_" },
	{ RS_CG_PACKET_TYPE, "PACKET_TYPE", "PACKET_" },
	{ RS_CG_PACKET_MR, "PACKET_MR", "PACKET_MR_" },
	{ RS_CG_IFF, "IFF", "IFF_" },
	{ RS_CG_AI, "AI", "AI_" },
	{ RS_CG_NI, "NI", "NI_" },
	{ RS_CG_EAI, "EAI", "EAI_" },
	{ RS_CG_ARPHRD, "ARPHRD", "ARPHRD_" },
	{ RS_CG_MISC, "MISC", NULL },
};

const size_t rs_cgroup_count =
    sizeof rs_cgroup_table / sizeof rs_cgroup_table[0];

static const char why_type[] = "expected an integer or a constant name";
static const char why_flags_type[] =
    "expected an integer, a constant name or a list of them";
static const char why_unknown[] = "unknown constant name";
static const char why_range[] = "integer out of range";

unsigned
rs_cgroup_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; i < rs_cgroup_count; i++) {
		if (strcasecmp(rs_cgroup_table[i].name, name) == 0)
			return rs_cgroup_table[i].group;
	}
	return 0;
}

const struct rs_cgroup_info *
rs_cgroup_info(unsigned group)
{
	size_t i;

	for (i = 0; i < rs_cgroup_count; i++) {
		if (rs_cgroup_table[i].group == group)
			return &rs_cgroup_table[i];
	}
	return NULL;
}

/* The short name inside c->name, still upper-case; NULL when none. */
static const char *
short_name(const struct rs_const *c)
{
	const struct rs_cgroup_info *gi;
	size_t plen;

	if ((gi = rs_cgroup_info(c->group)) == NULL || gi->prefix == NULL)
		return NULL;
	plen = strlen(gi->prefix);
	if (strncmp(c->name, gi->prefix, plen) != 0 || c->name[plen] == '\0')
		return NULL;
	return c->name + plen;
}

const struct rs_const *
rs_const_by_name(const char *name, unsigned groups)
{
	const struct rs_const *c;
	const char *s;
	size_t i;

	if (name == NULL || *name == '\0')
		return NULL;
	for (i = 0; i < rs_const_count; i++) {
		c = &rs_const_table[i];
		if ((c->group & groups) != 0 && strcasecmp(c->name, name) == 0)
			return c;
	}
	for (i = 0; i < rs_const_count; i++) {
		c = &rs_const_table[i];
		if ((c->group & groups) == 0)
			continue;
		if ((s = short_name(c)) != NULL && strcasecmp(s, name) == 0)
			return c;
	}
	return NULL;
}

const struct rs_const *
rs_const_by_value(long value, unsigned group)
{
	size_t i;

	for (i = 0; i < rs_const_count; i++) {
		if ((rs_const_table[i].group & group) != 0 &&
		    rs_const_table[i].value == value)
			return &rs_const_table[i];
	}
	return NULL;
}

const char *
rs_const_short(const struct rs_const *c, char *buf, size_t len)
{
	const char *s;
	size_t i;

	if (len == 0)
		return buf;
	/* MISC has no short name: its full name is the only one. */
	if ((s = short_name(c)) == NULL) {
		snprintf(buf, len, "%s", c->name);
		return buf;
	}
	for (i = 0; i + 1 < len && s[i] != '\0'; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	buf[i] = '\0';
	return buf;
}

/*
 * "123", "-5" or "0x1f" (any case) as an int.  Returns 0, -1 when s is not
 * a number at all, -2 when it is one but does not fit an int.
 */
static int
parse_number(const char *s, long *out)
{
	unsigned long long u;
	const char *p = s;
	char *end;
	int neg = 0, base = 10;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	/* strtoull would also take blanks and signs here. */
	if (base == 16 ? !isxdigit((unsigned char)*p) :
	    !isdigit((unsigned char)*p))
		return -1;
	errno = 0;
	u = strtoull(p, &end, base);
	if (*end != '\0')
		return -1;
	if (errno == ERANGE)
		return -2;
	if (neg) {
		if (u > (unsigned long long)INT_MAX + 1)
			return -2;
		*out = -(long)u;
	} else {
		if (u > INT_MAX)
			return -2;
		*out = (long)u;
	}
	return 0;
}

int
rs_const_parse(const json_t *v, unsigned groups, long *out, const char **why)
{
	const struct rs_const *c;
	const char *s, *reason;
	json_int_t n;
	long l;

	if (json_is_integer(v)) {
		n = json_integer_value(v);
		if (n < INT_MIN || n > INT_MAX) {
			reason = why_range;
			goto fail;
		}
		*out = (long)n;
		return 0;
	}
	if (!json_is_string(v)) {
		reason = why_type;
		goto fail;
	}
	s = json_string_value(v);
	/* A name first: ETH_P_1588's short name "1588" is a number too. */
	if ((c = rs_const_by_name(s, groups)) != NULL) {
		*out = c->value;
		return 0;
	}
	switch (parse_number(s, &l)) {
	case 0:
		*out = l;
		return 0;
	case -2:
		reason = why_range;
		break;
	default:
		reason = why_unknown;
		break;
	}
fail:
	if (why != NULL)
		*why = reason;
	return -1;
}

int
rs_flags_parse(const json_t *v, unsigned groups, long *out, const char **why)
{
	const json_t *e;
	size_t i;
	long acc = 0, one;

	if (json_is_integer(v) || json_is_string(v))
		return rs_const_parse(v, groups, out, why);
	if (!json_is_array(v)) {
		if (why != NULL)
			*why = why_flags_type;
		return -1;
	}
	for (i = 0; i < json_array_size(v); i++) {
		e = json_array_get(v, i);
		if (rs_const_parse(e, groups, &one, why) != 0)
			return -1;
		acc |= one;
	}
	*out = acc;
	return 0;
}

json_t *
rs_flags_names(long flags, unsigned group)
{
	const struct rs_const *c;
	json_t *a;
	size_t i;
	long rest = flags;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < rs_const_count && rest != 0; i++) {
		c = &rs_const_table[i];
		if ((c->group & group) == 0 || c->value <= 0)
			continue;
		/* Only single bits: SOCK_RAW (3) is not SOCK_STREAM|DGRAM. */
		if ((c->value & (c->value - 1)) != 0 || (rest & c->value) == 0)
			continue;
		if (json_array_append_new(a, json_string(c->name)) != 0)
			goto fail;
		rest &= ~c->value;
	}
	if (rest != 0 &&
	    json_array_append_new(a, json_integer((json_int_t)rest)) != 0)
		goto fail;
	return a;
fail:
	json_decref(a);
	return NULL;
}
