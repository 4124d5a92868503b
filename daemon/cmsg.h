/*
 * Control messages of sendmsg/recvmsg as JSON: [{level, type, data,
 * ...decoded}].  A client may only send the few IP-level ones that change
 * nothing about who it is: never SCM_RIGHTS or SCM_CREDENTIALS, which would
 * carry the daemon's own fds or credentials.
 */
#ifndef CMSG_H
#define CMSG_H

#include <stdbool.h>
#include <sys/socket.h>
#include <jansson.h>

#include "error.h"

struct cmsg_buf {
	union {
		char		buf[1024];
		struct cmsghdr	align;
	};
	size_t	len;
};

/* Build control data from a list; pktinfo (which sets a source address)
 * only when spoof is allowed. */
int	 cmsg_encode(const json_t *list, bool spoof, struct cmsg_buf *out,
	     struct rs_error *e);
/* Decode what recvmsg returned; fds it carried are closed and counted. */
json_t	*cmsg_decode(struct msghdr *msg);

#endif
