/*
 * open-lat: how long it takes to get a packet socket.  -m daemon times
 * librawsock's open with pass:true (the daemon creates, binds and passes
 * the fd); -m bare times socket(AF_PACKET, SOCK_RAW, 0) itself (needs
 * CAP_NET_RAW); -m bind adds the bind to the interface the daemon does.
 * Only the open is timed: closing a packet socket waits for an RCU grace
 * period (8-36 ms), so the fds of a round of -k opens (100) are kept and
 * then closed together, untimed, by a pool of threads whose waits
 * overlap.  -m echo is the floor under -m daemon: the same request sent
 * on a SOCK_SEQPACKET pair to a forked process that answers each with a
 * message of the response's size and a socket fd (SCM_RIGHTS), no work
 * between.  Keeping many would cost: packet_create() appends each socket
 * to the tail of the namespace's list of packet sockets, walking it
 * (3 us with 100 open here, 27 us with 2000, 145 us with 5000), so the
 * rounds hold the count to what a host usually has, for the daemon's
 * opens and the bare ones alike.  The close leaves both sides idle for
 * a few ms, and the first open after it pays for waking them (on this VM
 * an idle vCPU's wake-up and cold caches: 200-300 us through the daemon
 * where the next take 30): at a round of 100 that first open is the 1%
 * a p99 would show, so it is reported apart ("after_pause") and the
 * p50/p99 are of the others, back to back; p99_all is of every open.
 * -b polls for each response for up to that many us before sleeping
 * (rs_conn_set_busy_poll); -C pins the echo server to a CPU.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <sched.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>

#include <err.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "rawsock.h"

#define MAX_N		20000
#define WARMUP		20
#define CLOSERS		64

struct closer {
	int		*fds;
	size_t		 n;
	size_t		 first;		/* then every CLOSERS-th */
};

static void
usage(void)
{
	fprintf(stderr, "usage: open-lat -m daemon|bare|bind|echo -i ifname "
	    "[-p socket] [-n count] [-k kept] [-b busy_poll_us] [-C cpu]\n");
	exit(2);
}

static int
open_bare(const char *ifname, int do_bind)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	int fd;

	if ((fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket(AF_PACKET)");
	if (!do_bind)
		return fd;
	if ((sll.sll_ifindex = (int)if_nametoindex(ifname)) == 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof sll) == -1)
		err(1, "bind %s", ifname);
	return fd;
}

static int
open_daemon(struct rs_conn *c, const char *params)
{
	int fd;

	if ((fd = rs_open_json(c, params)) == -1)
		errx(1, "open: %s", rs_last_error(c));
	return fd;
}

/* The echo server: answer every request with a response-sized message
 * carrying fd, until the other end closes. */
static void
echo_serve(int s, int fd)
{
	char buf[512], resp[] = "{\"id\":1,\"ok\":true,\"handle\":1,"
	    "\"passed\":true,\"domain\":\"AF_PACKET\","
	    "\"type\":\"SOCK_RAW\",\"protocol\":\"ETH_P_ALL\"}";
	char cbuf[CMSG_SPACE(sizeof fd)] = { 0 };
	struct iovec iov = { resp, sizeof resp - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof fd);
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	while (recv(s, buf, sizeof buf, 0) > 0)
		if (sendmsg(s, &m, 0) == -1)
			err(1, "echo: sendmsg");
	_exit(0);
}

/* Start the echo server (on cpu, unless -1); the socket to it. */
static int
echo_start(pid_t *pid, int cpu)
{
	cpu_set_t set;

	int sv[2], fd;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1 ||
	    (fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "echo: socket");
	if ((*pid = fork()) == -1)
		err(1, "fork");
	if (*pid == 0) {
		close(sv[0]);
		CPU_ZERO(&set);
		if (cpu >= 0)
			CPU_SET(cpu, &set);
		if (cpu >= 0 && sched_setaffinity(0, sizeof set, &set) == -1)
			err(1, "echo: sched_setaffinity");
		echo_serve(sv[1], fd);
	}
	close(sv[1]);
	close(fd);
	return sv[0];
}

static int
open_echo(int s, const char *params)
{
	char buf[512], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, sizeof buf };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm;
	int fd;

	if (send(s, params, strlen(params), 0) == -1 ||
	    recvmsg(s, &m, MSG_CMSG_CLOEXEC) <= 0)
		err(1, "echo");
	if ((cm = CMSG_FIRSTHDR(&m)) == NULL || cm->cmsg_type != SCM_RIGHTS)
		errx(1, "echo: no fd");
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void *
close_some(void *arg)
{
	struct closer *cl = arg;
	size_t i;

	for (i = cl->first; i < cl->n; i += CLOSERS)
		close(cl->fds[i]);
	return NULL;
}

/* Close n fds on CLOSERS threads: each close sleeps in synchronize_net(),
 * so together they take a few grace periods instead of n. */
static void
close_all(int *fds, size_t n)
{
	pthread_t th[CLOSERS];
	struct closer cl[CLOSERS];
	size_t i;

	for (i = 0; i < CLOSERS; i++) {
		cl[i] = (struct closer){ .fds = fds, .n = n, .first = i };
		if (pthread_create(&th[i], NULL, close_some, &cl[i]) != 0)
			errx(1, "pthread_create failed");
	}
	for (i = 0; i < CLOSERS; i++)
		pthread_join(th[i], NULL);
}

int
main(int argc, char **argv)
{
	const char *mode = NULL, *path = NULL, *ifname = NULL;
	struct rs_conn *c = NULL;
	struct rlimit rl;
	uint64_t *lat, *first, *all, t0, dt, sum = 0;
	unsigned long n = 2000, kept = 100, busy_poll_us = 0, i, j;
	unsigned long nlat = 0, nfirst = 0;
	bool paused = false;
	char params[256];
	int *fds, opt, daemon, do_bind, echo, echo_fd = -1, echo_cpu = -1;
	pid_t echo_pid = -1;

	while ((opt = getopt(argc, argv, "m:p:i:n:k:b:C:")) != -1) {
		switch (opt) {
		case 'm':
			mode = optarg;
			break;
		case 'p':
			path = optarg;
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'n':
			n = bench_arg_num("-n", optarg, 1, MAX_N);
			break;
		case 'k':
			kept = bench_arg_num("-k", optarg, 1, MAX_N);
			break;
		case 'C':
			echo_cpu = (int)bench_arg_num("-C", optarg, 0,
			    CPU_SETSIZE - 1);
			break;
		case 'b':
			busy_poll_us = bench_arg_num("-b", optarg, 0,
			    RS_BUSY_POLL_MAX_US);
			break;

		default:
			usage();
		}
	}
	if (optind != argc || mode == NULL || ifname == NULL)
		usage();
	daemon = strcmp(mode, "daemon") == 0;
	do_bind = strcmp(mode, "bind") == 0;
	echo = strcmp(mode, "echo") == 0;
	if (!daemon && !do_bind && !echo && strcmp(mode, "bare") != 0)
		usage();
	if (daemon && path == NULL)
		usage();
	/* A round's fds stay open until it ends. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < kept +
	    WARMUP + 64) {
		rl.rlim_cur = kept + WARMUP + 64;
		if (rl.rlim_max < rl.rlim_cur)
			errx(1, "RLIMIT_NOFILE hard limit %llu is too low for "
			    "-k %lu", (unsigned long long)rl.rlim_max, kept);
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			err(1, "setrlimit");
	}
	if ((lat = calloc(n, sizeof *lat)) == NULL ||
	    (first = calloc(n, sizeof *first)) == NULL ||
	    (fds = calloc(kept + WARMUP, sizeof *fds)) == NULL)
		err(1, "calloc");
	if (daemon && ((c = rs_conn_open(path)) == NULL ||
	    rs_conn_set_busy_poll(c, (unsigned)busy_poll_us) == -1))
		err(1, "connect %s", path);
	if (echo)
		echo_fd = echo_start(&echo_pid, echo_cpu);
	snprintf(params, sizeof params, "{\"domain\":\"AF_PACKET\","
	    "\"type\":\"SOCK_RAW\",\"protocol\":\"ETH_P_ALL\","
	    "\"ifname\":\"%s\",\"pass\":true}", ifname);
	for (i = 0, j = 0; i < n + WARMUP; i++) {
		t0 = bench_now_ns();
		if (daemon)
			fds[j++] = open_daemon(c, params);
		else if (echo)
			fds[j++] = open_echo(echo_fd, params);
		else
			fds[j++] = open_bare(ifname, do_bind);
		dt = bench_now_ns() - t0;
		if (paused)
			first[nfirst++] = dt;
		else if (i >= WARMUP)
			lat[nlat++] = dt;
		paused = false;
		if ((i >= WARMUP && j >= kept) || i + 1 == n + WARMUP) {
			close_all(fds, j);
			j = 0;
			paused = true;
		}
	}
	rs_conn_close(c);
	if (echo) {
		close(echo_fd);
		waitpid(echo_pid, NULL, 0);
	}
	if ((all = calloc(nlat + nfirst, sizeof *all)) == NULL)
		err(1, "calloc");
	memcpy(all, lat, nlat * sizeof *lat);
	memcpy(all + nlat, first, nfirst * sizeof *first);
	qsort(all, nlat + nfirst, sizeof *all, cmp_u64);
	qsort(lat, nlat, sizeof *lat, cmp_u64);
	qsort(first, nfirst, sizeof *first, cmp_u64);
	for (i = 0; i < nlat; i++)
		sum += lat[i];
	printf("{\"mode\":\"%s\",\"n\":%lu,\"kept\":%lu,\"p50_us\":%.1f,"
	    "\"p99_us\":%.1f,\"mean_us\":%.1f,\"max_us\":%.1f,"
	    "\"after_pause\":%lu,\"after_pause_p50_us\":%.1f,"
	    "\"after_pause_max_us\":%.1f,\"p99_all_us\":%.1f}\n", mode, nlat,
	    kept,
	    lat[nlat / 2] / 1e3, lat[(nlat * 99) / 100] / 1e3,
	    (double)sum / (double)nlat / 1e3, lat[nlat - 1] / 1e3, nfirst,
	    nfirst > 0 ? first[nfirst / 2] / 1e3 : 0.0,
	    nfirst > 0 ? first[nfirst - 1] / 1e3 : 0.0,
	    all[((nlat + nfirst) * 99) / 100] / 1e3);
	free(all);
	free(lat);
	free(first);
	free(fds);
	return 0;
}
