/*
 * The sd_notify protocol: datagrams of "KEY=value" lines to the AF_UNIX
 * socket named by $NOTIFY_SOCKET ("@name": abstract).  libsystemd's
 * sd_notify when built with it; otherwise the same in a few lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "notify.h"

static struct event *watchdog_ev;

#ifndef HAVE_LIBSYSTEMD
static int
sd_notify(int unset_environment, const char *msg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;
	ssize_t n;
	int fd;

	if (path == NULL)
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len >= sizeof sun.sun_path)
		return -EINVAL;
	memcpy(sun.sun_path, path, len);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -errno;
	n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, offsetof(struct sockaddr_un, sun_path) +
	    len);
	close(fd);
	return n == -1 ? -errno : 1;
}

/* Microseconds between keep-alives the manager expects; 0: none. */
static int
sd_watchdog_enabled(int unset_environment, uint64_t *usec)
{
	const char *v = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long u;
	char *end;

	if (v == NULL || (pid != NULL && atol(pid) != (long)getpid()))
		return 0;
	errno = 0;
	u = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || u == 0)
		return -EINVAL;
	*usec = u;
	return 1;
}
#endif

void
notify(const char *fmt, ...)
{
	static bool warned;	/* keep-alives would repeat it forever */
	char msg[512];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if ((r = sd_notify(0, msg)) < 0 && !warned) {
		log_warn("sd_notify to %s: %s", getenv("NOTIFY_SOCKET"),
		    strerror(-r));
		warned = true;
	}
}

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	notify("WATCHDOG=1");
}

int
notify_watchdog_start(struct event_base *base)
{
	struct timeval tv;
	uint64_t usec;
	int r;

	if ((r = sd_watchdog_enabled(0, &usec)) <= 0) {
		if (r < 0)
			log_warn("ignoring a bad WATCHDOG_USEC: %s",
			    strerror(-r));
		return 0;
	}
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	watchdog_ev = event_new(base, -1, EV_PERSIST, watchdog_cb, NULL);
	if (watchdog_ev == NULL || event_add(watchdog_ev, &tv) == -1)
		return -1;
	log_info("watchdog: a keep-alive every %llu ms",
	    (unsigned long long)usec / 1000);
	notify("WATCHDOG=1");
	return 0;
}

void
notify_watchdog_stop(void)
{
	if (watchdog_ev != NULL)
		event_free(watchdog_ev);
	watchdog_ev = NULL;
}
