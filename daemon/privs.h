/*
 * Least privilege: running as an unprivileged user with only the
 * capabilities the daemon uses: CAP_NET_RAW, CAP_NET_ADMIN and
 * CAP_NET_BIND_SERVICE.
 */
#ifndef PRIVS_H
#define PRIVS_H

#include <stddef.h>
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
 * As root: become u, keeping those three effective and permitted,
 * nothing inheritable or ambient, and only them in the bounding set; then prove root cannot come back.  Capabilities are per
 * thread: call before any thread starts.  -1 with err set on failure.
 */
int	 privs_drop(const struct privs_user *u, char *err, size_t errlen);
/* PR_SET_NO_NEW_PRIVS: nothing exec'd could gain privileges.  The daemon
 * runs no programs; this bounds what a compromise could do. */
int	 privs_no_new_privs(void);

#endif
