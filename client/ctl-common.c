/*
 * What rawsockctl's multi-request subcommands share (ctl.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "rawsock.h"

volatile sig_atomic_t ctl_stop;

static void
on_signal(int sig)
{
	ctl_stop = 1;
}

void
ctl_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

long long
ctl_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

long long
ctl_now_ms(void)
{
	return ctl_now_us() / 1000;
}

const char *
ctl_why(const struct rs_conn *c)
{
	const char *e = rs_last_error(c);

	return e[0] != '\0' ? e : strerror(errno);
}

struct rs_conn *
ctl_connect(const char *path)
{
	struct rs_conn *c;

	if ((c = rs_conn_open(path)) == NULL)
		fprintf(stderr, "rawsockctl: connect: %s\n", strerror(errno));
	return c;
}
