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
	const char *path = NULL, *ifname = NULL;
	unsigned long n = 100, nconn = 10, seconds = 60, i;
	size_t queue = 0;
	bool batch = false;
	uint64_t deadline;
	char buf[64];
	int *chans, opt, h;

	while ((opt = getopt(argc, argv, "Bp:i:n:c:q:t:")) != -1) {
		switch (opt) {
		case 'B':
			batch = true;
			break;
		case 'p':
			path = optarg;
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'n':
			n = bench_arg_num("-n", optarg, 1, MAX_SUBS);
			break;
		case 'c':
			nconn = bench_arg_num("-c", optarg, 1, MAX_CONNS);
			break;
		case 'q':
			queue = bench_arg_num("-q", optarg, 0, 1ul << 30);
			break;
		case 't':
			seconds = bench_arg_num("-t", optarg, 1, 600);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || path == NULL || ifname == NULL)
		usage();
	if ((chans = calloc(n, sizeof *chans)) == NULL)
		err(1, "calloc");
	for (i = 0; i < nconn; i++)
		if ((conns[i] = rs_conn_open(path)) == NULL)
			err(1, "connect %s", path);
	for (i = 0; i < n; i++)
		chans[i] = bench_subscribe(conns[i % nconn], ifname,
		    "\"ETH_P_ALL\"", queue, 0, batch, &h);
	printf("{\"subscriptions\":%lu,\"connections\":%lu}\n", n, nconn);
	fflush(stdout);
	bench_ready();
	deadline = bench_now_ns() + seconds * 1000000000u;
	while (bench_now_ns() < deadline && poll(&pfd, 1, 100) != -1 &&
	    (pfd.revents == 0 || read(STDIN_FILENO, buf, sizeof buf) > 0))
		continue;
	for (i = 0; i < n; i++)
		close(chans[i]);
	for (i = 0; i < nconn; i++)
		rs_conn_close(conns[i]);
	free(chans);
	return 0;
}
