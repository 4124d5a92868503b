/*
 * Peer credentials: SO_PEERCRED (taken by the kernel at connect time) and
 * SO_PEERGROUPS.  Nothing the client says about itself is used.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "peer.h"

int
peer_from_socket(int fd, struct peer *p)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	gid_t *groups;

	memset(p, 0, sizeof *p);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return -errno;
	if (len != sizeof cred)
		return -EINVAL;
	/* Ask for the size first: ERANGE reports what is needed. */
	len = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) == -1 &&
	    errno != ERANGE)
		return -errno;
	if (len % sizeof(gid_t) != 0)
		return -EINVAL;
	groups = NULL;
	if (len > 0) {
		if ((groups = malloc(len)) == NULL)
			return -ENOMEM;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups,
		    &len) == -1) {
			free(groups);
			return -errno;
		}
	}
	p->uid = cred.uid;
	p->gid = cred.gid;
	p->pid = cred.pid;
	p->groups = groups;
	p->ngroups = len / sizeof(gid_t);
	return 0;
}

void
peer_clear(struct peer *p)
{
	if (p == NULL)
		return;
	free(p->groups);
	memset(p, 0, sizeof *p);
}

bool
peer_in_group(const struct peer *p, gid_t gid)
{
	size_t i;

	if (p->gid == gid)
		return true;
	for (i = 0; i < p->ngroups; i++) {
		if (p->groups[i] == gid)
			return true;
	}
	return false;
}

json_t *
peer_to_json(const struct peer *p)
{
	json_t *groups;
	size_t i;

	if ((groups = json_array()) == NULL)
		return NULL;
	for (i = 0; i < p->ngroups; i++)
		json_array_append_new(groups, json_integer(p->groups[i]));
	return json_pack("{s:I, s:I, s:I, s:o}", "uid", (json_int_t)p->uid,
	    "gid", (json_int_t)p->gid, "pid", (json_int_t)p->pid, "groups",
	    groups);
}
