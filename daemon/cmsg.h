/*
 * Control messages of sendmsg/recvmsg as JSON: [{level, type, data,
 * ...decoded}].  A client may only send the few IP-level ones that change
 * nothing about who it is: never SCM_RIGHTS or SCM_CREDENTIALS, which would
 * carry the daemon's own fds or credentials.
 */
#ifndef CMSG_H
#define CMSG_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"

struct cmsg_buf {
	union {
		char		buf[1024];
		struct cmsghdr	align;
	};
	size_t	len;
	int	ifindex;	/* a pktinfo's interface, 0: none */
	bool	pktinfo;	/* one was given */
};

/* Build control data from a list; pktinfo (which sets a source address,
 * and may pick the interface: out->ifindex, for the caller to check) only
 * when spoof is allowed, once. */
int	 cmsg_encode(const json_t *list, bool spoof, struct cmsg_buf *out,
	     struct rs_error *e);
/*
 * The most fds one message can carry (the kernel's SCM_MAX_FD).  Every
 * recvmsg on a socket a client can send fds to leaves room for them all:
 * the kernel releases those that do not fit on the thread that reads, and
 * the last release of a packet socket waits a grace period.
 */
#define CMSG_MAX_FDS	253
#define CMSG_FDS_SPACE	CMSG_SPACE(sizeof(int) * CMSG_MAX_FDS)

/* Decode what recvmsg returned, as much as room bytes of control data
 * would have held (MSG_CTRUNC set in msg_flags when some did not fit);
 * fds it carried are closed (counted as uid's) and counted. */
json_t	*cmsg_decode(struct msghdr *msg, size_t room, uid_t uid);
/* Close every fd msg carried, off the loop, counted as uid's; how many. */
size_t	 cmsg_close_fds(struct msghdr *msg, uid_t uid);

#endif
