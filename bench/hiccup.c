/*
 * hiccup: how often this CPU is taken away.  Reads CLOCK_MONOTONIC in a
 * tight loop for -d ms and counts the gaps between two reads longer than
 * 10, 50 and 100 us: the time something else ran instead (a tick, an
 * interrupt, another task, or the host running another vCPU, which the
 * guest cannot see).  A request of t us meets such a gap with a chance of
 * about t times their rate, which sets a floor under every p99 measured
 * here.  Run it pinned (taskset) to measure one core.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"

static void
usage(void)
{
	fprintf(stderr, "usage: hiccup [-d ms]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	uint64_t start, prev, now, gap, lost = 0, max = 0, end;
	unsigned long ms = 1000, over10 = 0, over50 = 0, over100 = 0;
	int opt;

	while ((opt = getopt(argc, argv, "d:")) != -1) {
		switch (opt) {
		case 'd':
			ms = bench_arg_num("-d", optarg, 10, 60000);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	start = prev = bench_now_ns();
	end = start + ms * 1000000ULL;
	while ((now = bench_now_ns()) < end) {
		gap = now - prev;
		prev = now;
		if (gap <= 10000)
			continue;
		over10++;
		over50 += gap > 50000;
		over100 += gap > 100000;
		lost += gap;
		if (gap > max)
			max = gap;
	}
	printf("{\"seconds\":%.3f,\"over_10us\":%lu,\"over_50us\":%lu,"
	    "\"over_100us\":%lu,\"max_us\":%.1f,\"lost_pct\":%.2f}\n",
	    (double)(now - start) / 1e9, over10, over50, over100,
	    (double)max / 1e3, 100.0 * (double)lost / (double)(now - start));
	return 0;
}
