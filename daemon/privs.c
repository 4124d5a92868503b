/*
 * Dropping from root to a configured user (--user) with CAP_NET_RAW and
 * CAP_NET_ADMIN effective, through prctl and capset directly (no libcap
 * needed for three bits).  CAP_NET_BIND_SERVICE (the policy's
 * privileged_ports: binding port 80 for a client) stays only permitted
 * and is raised around that one bind(2).  Under systemd the unit grants
 * the two with User=, AmbientCapabilities= and CapabilityBoundingSet=,
 * and privileged ports are not available.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/capability.h>

#include "privs.h"

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A decimal id, or -1. */
static long
numeric_id(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v >= (long)(uid_t)-1)
		return -1;
	return v;
}

int
privs_parse_user(const char *spec, struct privs_user *u, char *err,
    size_t errlen)
{
	char *user, *group;
	struct passwd *pw;
	struct group *gr;
	long id;
	int r = -1;

	memset(u, 0, sizeof *u);
	if ((user = strdup(spec)) == NULL)
		return fail(err, errlen, "out of memory");
	if ((group = strchr(user, ':')) != NULL)
		*group++ = '\0';
	pw = (id = numeric_id(user)) != -1 ? getpwuid((uid_t)id) :
	    getpwnam(user);
	if (pw == NULL && (id == -1 || group == NULL)) {
		fail(err, errlen, "--user %s: no such user%s", spec,
		    id != -1 ? " (give uid:gid)" : "");
		goto out;
	}
	u->uid = pw != NULL ? pw->pw_uid : (uid_t)id;
	u->gid = pw != NULL ? pw->pw_gid : 0;
	if (group != NULL) {
		if ((id = numeric_id(group)) != -1)
			u->gid = (gid_t)id;
		else if ((gr = getgrnam(group)) != NULL)
			u->gid = gr->gr_gid;
		else {
			fail(err, errlen, "--user %s: no such group", spec);
			goto out;
		}
	}
	if (u->uid == 0) {
		fail(err, errlen, "--user %s: that is root", spec);
		goto out;
	}
	if (pw != NULL && (u->name = strdup(pw->pw_name)) == NULL) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	r = 0;
out:
	free(user);
	return r;
}

void
privs_user_free(struct privs_user *u)
{
	free(u->name);
	u->name = NULL;
}

#define EFFECTIVE	((1U << CAP_NET_RAW) | (1U << CAP_NET_ADMIN))
#define PARKED		(1U << CAP_NET_BIND_SERVICE)

/* Whether privs_drop left CAP_NET_BIND_SERVICE permitted, not effective. */
static bool bind_parked;

/*
 * Keep only the two effective ones in the bounding set (needs
 * CAP_SETPCAP: as root).  The bounding set limits only what an exec
 * could gain: the parked capability stays permitted without it.
 */
static int
limit_bounding_set(void)
{
	int cap;

	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (cap != CAP_NET_RAW && cap != CAP_NET_ADMIN &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			return -1;
	}
	return errno == EINVAL ? 0 : -1;
}

/* What the permitted set keeps: less when the daemon came with less. */
static unsigned int kept = EFFECTIVE | PARKED;

/* This thread's sets (capabilities are per thread). */
static int
set_caps(unsigned int effective)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

	data[0].effective = effective & kept;
	data[0].permitted = kept;
	return (int)syscall(SYS_capset, &hdr, data);
}

/* This thread's permitted set (the first 32 capabilities), or 0. */
static unsigned int
permitted_now(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

	return syscall(SYS_capget, &hdr, data) == -1 ? 0 : data[0].permitted;
}

int
privs_port(const struct sockaddr *sa)
{
	in_port_t port;

	if (sa->sa_family == AF_INET)
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	else if (sa->sa_family == AF_INET6)
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	else
		return 0;
	return port < 1024 ? port : 0;
}

int
privs_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	int r, saved;

	if (!bind_parked || privs_port(sa) == 0)
		return bind(fd, sa, len);
	if (set_caps(EFFECTIVE | PARKED) == -1)
		return -1;
	r = bind(fd, sa, len);
	saved = errno;
	/* Lowering the effective set within the permitted one cannot fail;
	 * if it somehow did, going on would keep the capability raised. */
	if (set_caps(EFFECTIVE) == -1)
		abort();
	errno = saved;
	return r;
}

int
privs_drop(const struct privs_user *u, char *err, size_t errlen)
{
	if (geteuid() != 0)
		return fail(err, errlen, "--user needs to start as root");
	if (limit_bounding_set() == -1)
		return fail(err, errlen, "bounding set: %s", strerror(errno));
	if ((u->name != NULL ? initgroups(u->name, u->gid) :
	    setgroups(0, NULL)) == -1)
		return fail(err, errlen, "groups: %s", strerror(errno));
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
	    setresgid(u->gid, u->gid, u->gid) == -1 ||
	    setresuid(u->uid, u->uid, u->uid) == -1)
		return fail(err, errlen, "becoming uid %u gid %u: %s",
		    (unsigned)u->uid, (unsigned)u->gid, strerror(errno));
	if (set_caps(EFFECTIVE) == -1 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
		return fail(err, errlen, "capabilities: %s", strerror(errno));
	/* Must fail now: no CAP_SETUID, none in reach. */
	if (setresuid(0, 0, 0) == 0 || setresgid(0, 0, 0) == 0 ||
	    geteuid() == 0)
		return fail(err, errlen, "could regain root after dropping it");
	bind_parked = true;
	return 0;
}

/*
 * A root that was given fewer (a container's set, a unit's bounding set)
 * keeps what it has of the three: capset refuses to add any.  Without
 * CAP_SETPCAP the bounding set stays as it came; with no_new_privs and
 * nothing ever exec'd, it only bounds what an exec could gain.
 */
int
privs_drop_caps(char *err, size_t errlen)
{
	unsigned int have = permitted_now();

	kept &= have;
	if (((have & (1U << CAP_SETPCAP)) && limit_bounding_set() == -1) ||
	    set_caps(EFFECTIVE) == -1 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
		return fail(err, errlen, "capabilities: %s", strerror(errno));
	bind_parked = (kept & PARKED) != 0;
	return 0;
}

int
privs_no_new_privs(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}
