/*
 * The listening socket.  Either inherited from systemd (LISTEN_FDS) and
 * checked to really be a UNIX SOCK_SEQPACKET listener, or created at the
 * configured path.  Accepting stops for a second on EMFILE/ENFILE instead
 * of spinning on a socket that stays readable.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "conn.h"
#include "daemon.h"
#include "log.h"
#include "privs.h"
#include "server.h"

#define LISTEN_FDS_START 3

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	conn_new(arg, fd);
}

static void
accept_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	evconnlistener_enable(d->listener);
}

static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv = { 1, 0 };
	int err = EVUTIL_SOCKET_ERROR();

	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		log_warn("accept: %s; pausing for a second", strerror(err));
		evconnlistener_disable(l);
		evtimer_add(d->accept_retry, &tv);
		return;
	}
	log_warn("accept: %s", strerror(err));
}

#ifdef HAVE_LIBSYSTEMD
static int
listen_fds(void)
{
	return sd_listen_fds(1);
}

static bool
is_seqpacket_listener(int fd)
{
	return sd_is_socket(fd, AF_UNIX, SOCK_SEQPACKET, 1) > 0;
}
#else
/* sd_listen_fds(): how many fds the manager passed (from 3 on), if the
 * variables are meant for this process; they are cleared either way. */
static int
listen_fds(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int n;

	n = pid == NULL || fds == NULL || atol(pid) != (long)getpid() ? 0 :
	    atoi(fds);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return n;
}

static bool
is_seqpacket_listener(int fd)
{
	socklen_t len = sizeof(int);
	int v;

	return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 &&
	    v == AF_UNIX &&
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) == 0 &&
	    v == SOCK_SEQPACKET &&
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 &&
	    v == 1;
}
#endif

/* The fd systemd passed, if any and if it is what we serve on. */
static int
inherited_listener(void)
{
	int fd = LISTEN_FDS_START, n;

	if ((n = listen_fds()) == 0)
		return -1;
	if (n < 0) {
		log_err("socket activation: %s", strerror(-n));
		return -EINVAL;
	}
	if (n != 1) {
		log_err("socket activation: expected 1 socket, got %d", n);
		return -EINVAL;
	}
	if (!is_seqpacket_listener(fd)) {
		log_err("socket activation: fd %d is not a listening UNIX "
		    "SOCK_SEQPACKET socket", fd);
		return -EINVAL;
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    evutil_make_socket_nonblocking(fd) == -1)
		return -errno;
	return fd;
}

/* The socket's directory; one we make belongs to owner (--user) so the
 * daemon can still remove its socket after dropping root. */
static int
make_parent(const char *path, const struct privs_user *owner)
{
	char *copy, *dir;
	int r = 0;

	if ((copy = strdup(path)) == NULL)
		return -ENOMEM;
	dir = dirname(copy);
	if (mkdir(dir, 0755) == 0) {
		if (owner != NULL && chown(dir, owner->uid, owner->gid) == -1)
			r = -errno;
	} else if (errno != EEXIST)
		r = -errno;
	free(copy);
	return r;
}

static int
bound_listener(const char *path, mode_t mode, const struct privs_user *owner)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof sun.sun_path)
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	if ((r = make_parent(path, owner)) < 0)
		return r;
	/* A stale socket from an earlier run; never unlink anything else. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -errno;
	/*
	 * The mode comes with the bind (through the umask), and the owner is
	 * given without following a link: a directory given to the --user
	 * could have the socket swapped for a link to a file of root's
	 * between the bind and a chmod or chown by path.
	 */
	old = umask(~mode & 0777);
	r = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (r == -1 || (owner != NULL && fchownat(AT_FDCWD, path, owner->uid,
	    owner->gid, AT_SYMLINK_NOFOLLOW) == -1) ||
	    listen(fd, SOMAXCONN) == -1) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int
server_start(struct daemon *d, const char *path, mode_t mode,
    const struct privs_user *owner)
{
	int fd;

	if ((fd = inherited_listener()) < -1)
		return fd;
	if (fd >= 0)
		log_info("serving on the socket-activated listener");
	else {
		if ((fd = bound_listener(path, mode, owner)) < 0) {
			log_err("%s: %s", path, strerror(-fd));
			return fd;
		}
		if ((d->socket_path = strdup(path)) == NULL) {
			close(fd);
			return -ENOMEM;
		}
		log_info("listening on %s (mode %04o)", path, (unsigned)mode);
	}
	d->listener = evconnlistener_new(d->base, accept_cb, d,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	d->accept_retry = evtimer_new(d->base, accept_retry_cb, d);
	if (d->listener == NULL || d->accept_retry == NULL) {
		if (d->listener == NULL)
			close(fd);
		return -ENOMEM;
	}
	evconnlistener_set_error_cb(d->listener, accept_error_cb);
	return 0;
}

void
server_stop(struct daemon *d)
{
	if (d->listener != NULL)
		evconnlistener_free(d->listener);
	if (d->accept_retry != NULL)
		event_free(d->accept_retry);
	if (d->socket_path != NULL) {
		unlink(d->socket_path);
		free(d->socket_path);
	}
	d->listener = NULL;
	d->accept_retry = NULL;
	d->socket_path = NULL;
}
