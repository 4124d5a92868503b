/*
 * Least privilege: running as an unprivileged user with only the
 * capabilities the daemon uses: CAP_NET_RAW and CAP_NET_ADMIN, and
 * CAP_NET_BIND_SERVICE just for the bind(2) of a privileged port.
 */
#ifndef PRIVS_H
#define PRIVS_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

struct privs_user {
	uid_t	 uid;
	gid_t	 gid;
	char	*name;		/* for its supplementary groups; NULL: none */
};

/* "user", "user:group", "uid:gid" or a uid with a passwd entry; -1 with
 * err set when unknown. */
int	 privs_parse_user(const char *spec, struct privs_user *u, char *err,
	     size_t errlen);
void	 privs_user_free(struct privs_user *u);
/*
 * As root: become u with CAP_NET_RAW and CAP_NET_ADMIN effective and
 * permitted, CAP_NET_BIND_SERVICE permitted only, nothing inheritable or
 * ambient, and only the first two in the bounding set; then prove root
 * cannot come back.  Capabilities are per thread: call before any thread
 * starts.  -1 with err set on failure.
 */
int	 privs_drop(const struct privs_user *u, char *err, size_t errlen);
/* The same sets for a root that stays root (no --user): it keeps uid 0's
 * files, not its capabilities; of the three, what it was started with. */
int	 privs_drop_caps(char *err, size_t errlen);
/* The port of an inet/inet6 address if it is privileged (1..1023), else 0. */
int	 privs_port(const struct sockaddr *sa);
/*
 * bind(2) with CAP_NET_BIND_SERVICE raised into this thread's effective
 * set just for a privileged inet/inet6 port, when privs_drop left it
 * permitted; a plain bind(2) otherwise (under systemd such a port fails
 * with EACCES).  Only for a bind the policy has allowed.
 */
int	 privs_bind(int fd, const struct sockaddr *sa, socklen_t len);
/* PR_SET_NO_NEW_PRIVS: nothing exec'd could gain privileges.  The daemon
 * runs no programs; this bounds what a compromise could do. */
int	 privs_no_new_privs(void);

#endif
