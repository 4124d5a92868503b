/*
 * The policy: the only place that decides allow or deny
 * (PROTOCOL.md section 8).  Root is always allowed; everyone else is
 * denied unless the first rule that matches them allows.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "error.h"
#include "filter.h"
#include "ifaddr.h"
#include "peer.h"

/* A list of allowed things; "*" in the file sets any. */
struct plist {
	bool	  any;
	size_t	  n;
	char	**names;	/* as written, for globs and printing */
	long	 *values;	/* resolved; protocols: as an ETH_P value (-1: none) */
	long	 *ip_values;	/* protocols only: as an IPPROTO value (-1: none) */
};

struct policy_allow {
	struct plist	 domains;
	struct plist	 types;
	struct plist	 protocols;
	struct plist	 interfaces;
	struct plist	 privileged_ports;
	bool		 pass;
	bool		 spoof;
	bool		 configdev;
	/* The networks configdev may put addresses in ("*": any); an
	 * address's prefix routes the host's traffic to its interface. */
	struct plist	 addresses;
	struct rs_ifaddr *address_nets;	/* addresses.names, parsed */
	char		*filter;	/* pcap expression, NULL: none */
	/* compiled once per load for each link type (filter_linktype) */
	struct filter	 filter_ether;
	struct filter	 filter_raw;
	char		*filter_raw_error;	/* why it cannot apply to DLT_RAW */
	long long	 max_sockets;
	long long	 max_queue_bytes;
	long long	 tx_pps;	/* 0: unlimited */
};

struct policy_rule {
	int		 index;		/* position in the file; -1: root */
	char		*label;		/* "rule 1 (uid 4242)" */
	/* match: every key given must match; -1 when not given */
	long		 uid;
	long		 gid;		/* primary or supplementary */
	struct policy_allow allow;
};

struct policy {
	size_t			 nrules;
	struct policy_rule	*rules;
};

/* Load and validate; on error returns NULL with a message naming the
 * line or field in err. */
struct policy *policy_load(const char *path, char *err, size_t errlen);
struct policy *policy_from_json(const json_t *root, char *err, size_t errlen);
void	 policy_free(struct policy *p);

/* The rule that applies to peer: root's, the first match, or NULL (deny). */
const struct policy_rule *policy_match(const struct policy *p,
	     const struct peer *peer);

/* The effective rule as JSON (null for deny); for hello and --check-policy */
json_t	*policy_rule_to_json(const struct policy_rule *r);
json_t	*policy_to_json(const struct policy *p);

/*
 * Decisions.  Each returns 0 when allowed, or fills e with `denied`
 * naming the rule and the missing permission and returns -1.  r may be
 * NULL (no rule matched: everything privileged is denied).
 */
/* The protocol the policy sees: what the kernel picks for 0. */
int	 policy_protocol(int domain, int type, int protocol);
int	 policy_check_socket(const struct policy_rule *r, long domain,
	     long type, long protocol, struct rs_error *e);
/* A frame a client sends on a packet socket: its ethertype must be one
 * the rule's protocols allow ("all" allows any). */
int	 policy_check_ethertype(const struct policy_rule *r, long ethertype,
	     struct rs_error *e);
/* A packet socket bound to a protocol (a bind address's sll_protocol,
 * which replaces the one it was opened with): the same rule. */
int	 policy_check_bind_protocol(const struct policy_rule *r,
	     long ethertype, struct rs_error *e);
int	 policy_check_interface(const struct policy_rule *r, const char *ifname,
	     struct rs_error *e);
int	 policy_check_pass(const struct policy_rule *r, struct rs_error *e);
int	 policy_check_port(const struct policy_rule *r, long port,
	     struct rs_error *e);
/* An address (with its prefix) configdev would add must lie within one
 * of the rule's addresses. */
int	 policy_check_address(const struct policy_rule *r,
	     const struct rs_ifaddr *a, struct rs_error *e);
int	 policy_check_configdev(const struct policy_rule *r, const char *ifname,
	     struct rs_error *e);
/* max_sockets: `held` managed sockets already open for this uid. */
int	 policy_check_quota(const struct policy_rule *r, unsigned held,
	     struct rs_error *e);
/* A raw or packet socket bound to no interface sees and sends on all of
 * them: only for rules that allow every interface. */
int	 policy_check_unbound(const struct policy_rule *r, struct rs_error *e);
/* Setting an option: `privileged` ones (the daemon's capabilities would
 * lend them) are root's; `spoofing` ones need spoof. */
int	 policy_check_option(const struct policy_rule *r, const char *name,
	     bool privileged, bool spoofing, struct rs_error *e);
/* Whether frames this rule's client sends must be checked for spoofing. */
bool	 policy_checks_spoof(const struct policy_rule *r);
/* A copy of the rule's filter, compiled at load for linktype, into out (empty when the rule
 * has none); denied when it cannot apply to this kind of socket. */
int	 policy_filter(const struct policy_rule *r, int linktype,
	     struct filter *out, struct rs_error *e);

#endif
