/*
 * Named constants: name <-> value for every constant group the protocol
 * knows (PROTOCOL.md section 3).  A request may give a constant as an
 * integer, its full name ("SOCK_RAW") or its short lower-case name ("raw");
 * short names are only unique within a group, so every look-up names the
 * groups it accepts.
 */
#ifndef RS_CONST_H
#define RS_CONST_H

#include <stddef.h>
#include <jansson.h>

enum rs_cgroup {
	RS_CG_AF	  = 1u << 0,	/* AF_*        prefix "AF_" */
	RS_CG_SOCK	  = 1u << 1,	/* SOCK_*      socket types (+ SOCK_NONBLOCK/CLOEXEC) */
	RS_CG_SHUT	  = 1u << 2,	/* SHUT_*      */
	RS_CG_SOL	  = 1u << 3,	/* SOL_*       levels: SOL_SOCKET, SOL_PACKET, SOL_IP... */
	RS_CG_SO	  = 1u << 4,	/* SO_*        SOL_SOCKET options */
	RS_CG_IPPROTO	  = 1u << 5,	/* IPPROTO_*   */
	RS_CG_IP	  = 1u << 6,	/* IP_*        IPPROTO_IP options */
	RS_CG_IPV6	  = 1u << 7,	/* IPV6_*      IPPROTO_IPV6 options */
	RS_CG_TCP	  = 1u << 8,	/* TCP_*       IPPROTO_TCP options */
	RS_CG_PMTUDISC	  = 1u << 9,	/* IP_PMTUDISC_* */
	RS_CG_IPTOS	  = 1u << 10,	/* IPTOS_*     */
	RS_CG_MSG	  = 1u << 11,	/* MSG_*       flags */
	RS_CG_ETH_P	  = 1u << 12,	/* ETH_P_*     ethertypes */
	RS_CG_PACKET	  = 1u << 13,	/* PACKET_*    SOL_PACKET options */
	RS_CG_PACKET_TYPE = 1u << 14,	/* PACKET_HOST, PACKET_BROADCAST... (prefix "PACKET_") */
	RS_CG_PACKET_MR	  = 1u << 15,	/* PACKET_MR_* membership types */
	RS_CG_IFF	  = 1u << 16,	/* IFF_*       interface flags */
	RS_CG_AI	  = 1u << 17,	/* AI_*        getaddrinfo flags */
	RS_CG_NI	  = 1u << 18,	/* NI_*        getnameinfo flags */
	RS_CG_EAI	  = 1u << 19,	/* EAI_*       resolver errors */
	RS_CG_ARPHRD	  = 1u << 20,	/* ARPHRD_*    hardware types */
	RS_CG_MISC	  = 1u << 21,	/* UNIX_MAX_PATH, SOMAXCONN ... (full name only) */
	RS_CG_ALL	  = (1u << 22) - 1,
};

struct rs_const {
	const char	*name;	/* full name, "SOCK_RAW" */
	long		 value;
	unsigned	 group;	/* exactly one RS_CG_* bit */
};

struct rs_cgroup_info {
	unsigned	 group;
	const char	*name;	/* wire group name: "AF", "SOCK", "PACKET_TYPE" ... */
	const char	*prefix;/* stripped (then lower-cased) to make the short name */
};

extern const struct rs_const		rs_const_table[];
extern const size_t			rs_const_count;
extern const struct rs_cgroup_info	rs_cgroup_table[];
extern const size_t			rs_cgroup_count;

/* Group by wire name ("AF", case-insensitive); 0 when unknown. */
unsigned	 rs_cgroup_by_name(const char *name);
const struct rs_cgroup_info *rs_cgroup_info(unsigned group);

/*
 * Look a name up within groups: the full name (exact, case-insensitive) or
 * the short name (the full name without the group prefix, any case).
 * NULL when unknown.
 */
const struct rs_const *rs_const_by_name(const char *name, unsigned groups);
/* First constant of group with that value; NULL when none. */
const struct rs_const *rs_const_by_value(long value, unsigned group);
/* Short name into buf ("raw" for SOCK_RAW); returns buf. */
const char	*rs_const_short(const struct rs_const *c, char *buf, size_t len);

/*
 * Parse a JSON constant: an integer, or a name within groups.  On failure
 * returns -1 and, if why is set, points it at a static reason.
 */
int		 rs_const_parse(const json_t *v, unsigned groups, long *out,
		     const char **why);
/* Flags: an integer, one name, or a list of names/integers OR-ed together. */
int		 rs_flags_parse(const json_t *v, unsigned groups, long *out,
		     const char **why);
/* JSON list of the names of the bits set in flags (unknown bits as ints). */
json_t		*rs_flags_names(long flags, unsigned group);

#endif
