/*
 * The audit trail: one record per privileged op a client ran, saying who
 * asked for what, whether the policy allowed it and which rule decided.
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <net/if.h>
#include <stdint.h>

#include "error.h"
#include "peer.h"

/* What an op acted on; dispatch.c fills these through request_audit_*(). */
struct audit_fields {
	int		 domain;		/* -1: not known */
	int		 type;
	int		 protocol;
	int		 ifindex;		/* 0: none */
	char		 ifname[IF_NAMESIZE];	/* as asked; "": none */
	long long	 handle;		/* -1: none */
	long long	 accepted;		/* accept's new handle; -1 */
	const char	*option;		/* static; NULL: none */
};

void	 audit_fields_init(struct audit_fields *f);
/*
 * Emit one record: journald fields (RAWSOCKD_OP=open ...) when libsystemd
 * is built in and stderr is the journal, else one logfmt line on stderr.
 * err is the op's failure (kind RS_E_NONE when it succeeded); rule is the
 * label of the rule that decided ("root", "none" when none matched).
 */
void	 audit_emit(const char *op, uint64_t conn_id, const struct peer *peer,
	     const struct audit_fields *f, const struct rs_error *err,
	     const char *rule);

#endif
