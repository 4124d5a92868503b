/*
 * Socket options: one table, the seed's whole defsockopt table plus
 * SOL_PACKET, driving get/set for every level with typed JSON values
 * (PROTOCOL.md section 5, "Options").  No per-option code paths.
 */
#ifndef RS_SOCKOPT_H
#define RS_SOCKOPT_H

#include <sys/socket.h>
#include <jansson.h>

#include "error.h"

enum rs_optype {
	RS_OT_NONE = 0,	/* no such operation (get-only / set-only) */
	RS_OT_INT,	/* int; JSON number or boolean */
	RS_OT_BYTES,	/* raw bytes; base64 string */
	RS_OT_STRING,	/* bytes that are a name (SO_BINDTODEVICE, TCP_CONGESTION) */
	RS_OT_LINGER,	/* struct linger: {"onoff","linger"}, false, or seconds */
	RS_OT_TV,	/* struct timeval: {"sec","usec"} or seconds (fraction ok) */
	RS_OT_MREQ,	/* struct ip_mreqn: {"multiaddr","interface"|"ifindex"} */
	RS_OT_MREQ_SRC,	/* struct ip_mreq_source: + "sourceaddr" */
	RS_OT_MREQ6,	/* struct ipv6_mreq: {"multiaddr","ifindex"|"ifname"} */
	RS_OT_PACKET_MREQ, /* struct packet_mreq: {"ifindex"|"ifname","type","addr"} */
	RS_OT_UCRED,	/* struct ucred: {"pid","uid","gid"} (get) */
	RS_OT_PACKET_STATS, /* struct tpacket_stats: {"packets","drops"} (get) */
};

/*
 * Flags of a table entry.  RS_OF_PRIVILEGED is about setting: the kernel
 * checks the capability of the caller, which is the daemon, so only root
 * peers may set such options through it.  RS_OF_INTERFACE: an encoded
 * value fills rs_optval.ifindex (or .ifname for a string) when it names an
 * interface.  RS_OF_SPOOF: once set, the socket sends from addresses that
 * are not the host's, which the daemon's frame checks cannot see.
 */
#define RS_OF_PRIVILEGED 0x1	/* needs a capability the daemon holds: root only */
#define RS_OF_INTERFACE	 0x2	/* the value names an interface: policy checks it */
#define RS_OF_NOT_IN_ALL 0x4	/* reading it has a side effect: not in "all" */
#define RS_OF_UNSUPPORTED 0x8	/* not on Linux: always ENOPROTOOPT */
#define RS_OF_SPOOF	 0x10	/* sends from foreign addresses: needs spoof */

struct rs_sockopt {
	const char	*name;		/* "SO_RCVBUF" */
	int		 level;		/* SOL_SOCKET, IPPROTO_IP, ... */
	int		 option;
	enum rs_optype	 get;
	enum rs_optype	 set;
	unsigned	 flags;
	/* RS_OF_PRIVILEGED int options: setting 0..free_max needs no
	 * capability in the kernel either (SO_DEBUG off, SO_PRIORITY 0-6). */
	int		 free_max;
};

extern const struct rs_sockopt	rs_sockopt_table[];
extern const size_t		rs_sockopt_count;

/* A decoded option value ready for setsockopt. */
struct rs_optval {
	union {
		int	 i;
		char	 raw[256];
	} u;
	socklen_t	 len;
	int		 ifindex;	/* interface the value names, 0: none */
	char		 ifname[16];	/* for RS_OT_STRING names of interfaces */
};

/*
 * Resolve a level (integer or name: "SOL_SOCKET", "socket", "IPPROTO_IP",
 * "ip", "ipv6", "tcp", "SOL_PACKET", "packet") and an option (integer or
 * full/short name within that level).  Errors are bad_request with three
 * distinct messages: "unknown socket level", "unknown socket option", and
 * (from rs_sockopt_encode / rs_sockopt_check_get) "no set operation for
 * this option" / "no get operation for this option".
 */
int	 rs_sockopt_level(const json_t *v, int *level, struct rs_error *e);
const struct rs_sockopt *rs_sockopt_lookup(int level, const json_t *option,
	     struct rs_error *e);
/* By numbers; NULL when unknown (SO_USELOOPBACK has no number). */
const struct rs_sockopt *rs_sockopt_find(int level, int option);
/* 0 when the option can be read, else bad_request (set-only). */
int	 rs_sockopt_check_get(const struct rs_sockopt *o, struct rs_error *e);

/*
 * JSON value -> bytes for setsockopt; bad_request naming "value" (ENODEV
 * for an unknown interface name), or "option" when it cannot be set.
 */
int	 rs_sockopt_encode(const struct rs_sockopt *o, const json_t *value,
	     struct rs_optval *out, struct rs_error *e);
/*
 * getsockopt bytes -> JSON (never reads past len); NULL if len is short,
 * the option cannot be read, or a string is not UTF-8.
 */
json_t	*rs_sockopt_decode(const struct rs_sockopt *o, const void *buf,
	     socklen_t len);
/* Buffer size to give getsockopt for this option; 0 when it cannot be read. */
socklen_t rs_sockopt_get_size(const struct rs_sockopt *o);

#endif
