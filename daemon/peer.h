/*
 * Who is on the other end of a connection, as the kernel says.
 */
#ifndef PEER_H
#define PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>

/* What a peer in an unmapped user namespace appears as: never granted. */
#define OVERFLOW_ID 65534

struct peer {
	uid_t	 uid;
	gid_t	 gid;
	pid_t	 pid;
	gid_t	*groups;	/* supplementary groups, owned */
	size_t	 ngroups;
};

/* SO_PEERCRED + SO_PEERGROUPS of a connected socket; -errno on failure. */
int	 peer_from_socket(int fd, struct peer *p);
void	 peer_clear(struct peer *p);
bool	 peer_in_group(const struct peer *p, gid_t gid);
json_t	*peer_to_json(const struct peer *p);

#endif
