/*
 * ctl-rate: control requests per second.  Opens -c connections to the
 * daemon's socket and keeps one ping in flight on each, driven by -T
 * threads with epoll, for a fixed time or request count; reports the
 * answered requests per second.  -b polls (epoll_wait without sleeping)
 * for up to that many us after the last answer before sleeping, as a
 * latency-bound client would.  Runs as the unprivileged benchmark user.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define MAX_CLIENTS	1024
#define MAX_THREADS	16
#define PING		"{\"id\":1,\"op\":\"ping\"}"

struct worker {
	pthread_t	 th;
	int		 ep;
	int		*fds;
	size_t		 nfds;
	uint64_t	 ok;
	uint64_t	 failed;
};

static uint64_t			 deadline_ns;
static unsigned long		 max_requests;
static uint64_t			 busy_poll_ns;
static atomic_ulong		 issued;
static pthread_barrier_t	 start;

static void
usage(void)
{
	fprintf(stderr, "usage: ctl-rate -p socket -c clients [-T threads] "
	    "[-d duration_ms] [-n max_requests] [-b busy_poll_us]\n");
	exit(2);
}

static int
connect_one(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof sun.sun_path)
		errx(1, "%s: path too long", path);
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		err(1, "connect %s", path);
	return fd;
}

/* Send the next ping on fd unless the time or the request budget is up. */
static int
send_ping(int fd)
{
	if (bench_now_ns() >= deadline_ns ||
	    atomic_fetch_add(&issued, 1) >= max_requests)
		return 0;
	if (send(fd, PING, sizeof PING - 1, 0) != (ssize_t)sizeof PING - 1)
		err(1, "send ping");
	return 1;
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[64];
	char buf[4096];
	size_t i, inflight = 0;
	uint64_t last;
	ssize_t len;
	int n, j;

	pthread_barrier_wait(&start);
	for (i = 0; i < w->nfds; i++)
		inflight += (size_t)send_ping(w->fds[i]);
	last = bench_now_ns();
	while (inflight > 0) {
		n = 0;
		while (n == 0 && bench_now_ns() - last < busy_poll_ns &&
		    (n = epoll_wait(w->ep, evs, 64, 0)) == 0)
			sched_yield();
		if (n == 0)
			n = epoll_wait(w->ep, evs, 64, 1000);
		last = bench_now_ns();
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err(1, "epoll_wait");
		}
		if (n == 0)
			errx(1, "no answer within a second");
		for (j = 0; j < n; j++) {
			len = recv(evs[j].data.fd, buf, sizeof buf - 1, 0);
			if (len == -1 && errno == EAGAIN)
				continue;
			if (len <= 0)
				errx(1, "the daemon closed a connection");
			buf[len] = '\0';
			if (strstr(buf, "\"ok\":true") != NULL)
				w->ok++;
			else
				w->failed++;
			inflight--;
			inflight += (size_t)send_ping(evs[j].data.fd);
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct worker w[MAX_THREADS] = { 0 };
	struct epoll_event ev = { .events = EPOLLIN };
	const char *path = NULL;
	unsigned long clients = 0, threads = 2, duration_ms = 2000, i;
	uint64_t t0, t1, ok = 0, failed = 0;
	int opt, fd;

	max_requests = 10000000;
	while ((opt = getopt(argc, argv, "p:c:T:d:n:b:")) != -1) {
		switch (opt) {
		case 'p':
			path = optarg;
			break;
		case 'c':
			clients = bench_arg_num("-c", optarg, 1, MAX_CLIENTS);
			break;
		case 'T':
			threads = bench_arg_num("-T", optarg, 1, MAX_THREADS);
			break;
		case 'd':
			duration_ms = bench_arg_num("-d", optarg, 1, 60000);
			break;
		case 'n':
			max_requests = bench_arg_num("-n", optarg, 1,
			    1ul << 40);
			break;
		case 'b':
			busy_poll_ns = bench_arg_num("-b", optarg, 0, 1000) *
			    1000;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || path == NULL || clients == 0)
		usage();
	if (threads > clients)
		threads = clients;
	for (i = 0; i < threads; i++) {
		if ((w[i].ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
			err(1, "epoll_create1");
		if ((w[i].fds = calloc(clients, sizeof(int))) == NULL)
			err(1, "calloc");
	}
	for (i = 0; i < clients; i++) {
		struct worker *wk = &w[i % threads];

		fd = connect_one(path);
		ev.data.fd = fd;
		if (epoll_ctl(wk->ep, EPOLL_CTL_ADD, fd, &ev) == -1)
			err(1, "epoll_ctl");
		wk->fds[wk->nfds++] = fd;
	}
	if (pthread_barrier_init(&start, NULL, (unsigned)threads + 1) != 0)
		errx(1, "pthread_barrier_init failed");
	for (i = 0; i < threads; i++)
		if (pthread_create(&w[i].th, NULL, work, &w[i]) != 0)
			errx(1, "pthread_create failed");
	t0 = bench_now_ns();
	deadline_ns = t0 + duration_ms * 1000000u;
	pthread_barrier_wait(&start);
	for (i = 0; i < threads; i++) {
		pthread_join(w[i].th, NULL);
		ok += w[i].ok;
		failed += w[i].failed;
	}
	t1 = bench_now_ns();
	/* The rate counts requests answered ok; failed ones are apart. */
	printf("{\"clients\":%lu,\"threads\":%lu,\"ok\":%llu,\"failed\":%llu,"
	    "\"span_s\":%.6f,\"rate\":%.0f}\n", clients, threads,
	    (unsigned long long)ok, (unsigned long long)failed,
	    (t1 - t0) / 1e9, ok / ((t1 - t0) / 1e9));
	return 0;
}
