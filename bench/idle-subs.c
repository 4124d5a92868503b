/*
 * idle-subs: holds many idle subscriptions so bench/run can read the
 * daemon's memory with them.  Opens -n managed packet sockets on an
 * interface spread over -c connections, subscribes to each (binary, the
 * policy's queue size unless -q), says "ready" and keeps them until its
 * standard input closes or the time is up.  Runs as the benchmark user.
 */
#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"
#include "client.h"
#include "rawsock.h"

#define MAX_SUBS	4096
#define MAX_CONNS	256

static void
usage(void)
{
	fprintf(stderr, "usage: idle-subs -p socket -i ifname [-n subs] "
	    "[-c connections] [-q queue_bytes] [-B] [-t seconds]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct rs_conn *conns[MAX_CONNS];
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	struct bench_sub_opts so = { 0 };
	unsigned long n = 100, nconn = 10, seconds = 60, i;
	uint64_t deadline;
	char buf[64];
	int *chans, opt, h;

	while ((opt = getopt(argc, argv, "n:c:t:" BENCH_SUB_OPTS)) != -1) {
		switch (opt) {
		case 'n':
			n = bench_arg_num("-n", optarg, 1, MAX_SUBS);
			break;
		case 'c':
			nconn = bench_arg_num("-c", optarg, 1, MAX_CONNS);
			break;
		case 't':
			seconds = bench_arg_num("-t", optarg, 1, 600);
			break;
		default:
			if (!bench_sub_opt(&so, opt, optarg))
				usage();
		}
	}
	if (optind != argc || !bench_sub_opts_complete(&so))
		usage();
	if ((chans = calloc(n, sizeof *chans)) == NULL)
		err(1, "calloc");
	for (i = 0; i < nconn; i++)
		if ((conns[i] = rs_conn_open(so.path)) == NULL)
			err(1, "connect %s", so.path);
	for (i = 0; i < n; i++)
		chans[i] = bench_subscribe(conns[i % nconn], &so,
		    "\"ETH_P_ALL\"", 0, &h);
	printf("{\"subscriptions\":%lu,\"connections\":%lu}\n", n, nconn);
	fflush(stdout);
	bench_ready();
	deadline = bench_now_ns() + seconds * 1000000000u;
	while (bench_now_ns() < deadline && poll(&pfd, 1, 100) != -1 &&
	    (pfd.revents == 0 || read(STDIN_FILENO, buf, sizeof buf) > 0))
		continue;
	/* The last subscription's counters: a flooded one has dropped. */
	bench_print_stats(conns[(n - 1) % nconn], h);
	for (i = 0; i < n; i++)
		close(chans[i]);
	for (i = 0; i < nconn; i++)
		rs_conn_close(conns[i]);
	free(chans);
	return 0;
}
