/*
 * pcap-count: counts the test frames of one run (bench.h) in a pcap or
 * pcapng stream on standard input, as tcpdump -w - and dumpcap -w - write
 * it, until all have arrived, nothing came for the idle time, the time
 * limit, or the end of the stream.  The rate is taken when frames come out
 * of the pipe, like the other receivers'.  A thread reads (libpcap's reads
 * block); the main thread watches the clock.
 */
#include <err.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

struct counter {
	pthread_mutex_t	 lock;
	struct bench_rx	 rx;
	pcap_t		*p;
	int		 ended;		/* the stream ended or failed */
};

static void
usage(void)
{
	fprintf(stderr, "usage: pcap-count -r run -n count [-t seconds] "
	    "[-T idle_ms] [-z size] < capture\n");
	exit(2);
}

static void *
read_stream(void *arg)
{
	struct counter *c = arg;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *ph;
	const u_char *data;
	int r, done = 0;

	/* Blocks until the capture tool writes its file header. */
	if ((c->p = pcap_fopen_offline(stdin, errbuf)) == NULL) {
		warnx("reading the capture: %s", errbuf);
		done = 1;
	}
	while (!done) {
		if ((r = pcap_next_ex(c->p, &ph, &data)) != 1) {
			if (r == PCAP_ERROR)
				warnx("reading the capture: %s",
				    pcap_geterr(c->p));
			break;
		}
		pthread_mutex_lock(&c->lock);
		done = bench_rx_frame(&c->rx, data, ph->caplen,
		    bench_now_ns());
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_lock(&c->lock);
	c->ended = 1;
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int
main(int argc, char **argv)
{
	static struct counter c = { .lock = PTHREAD_MUTEX_INITIALIZER };
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	struct bench_rx_opts o = BENCH_RX_OPTS_INIT;
	uint64_t deadline, now;
	pthread_t th;
	int ch, stop = 0;

	while ((ch = getopt(argc, argv, BENCH_RX_OPTS)) != -1) {
		switch (ch) {
		default:
			if (!bench_rx_opt(&o, ch, optarg))
				usage();
		}
	}
	if (optind != argc || o.count == 0)
		usage();
	if (bench_rx_init(&c.rx, o.run, o.count, o.size) == -1)
		err(1, "bench_rx_init");
	if (pthread_create(&th, NULL, read_stream, &c) != 0)
		errx(1, "pthread_create failed");
	bench_ready();
	deadline = bench_now_ns() + o.seconds * 1000000000u;
	while (!stop) {
		nanosleep(&tick, NULL);
		pthread_mutex_lock(&c.lock);
		/* Under the lock: last_ns is never ahead of now. */
		now = bench_now_ns();
		stop = c.ended || bench_rx_done(&c.rx) || now >= deadline ||
		    (c.rx.received && now - c.rx.last_ns > o.idle_ms * 1000000u);
		if (stop)
			bench_rx_report(&c.rx, "");
		pthread_mutex_unlock(&c.lock);
	}
	/* The reader may still be blocked in read(2): leave without it. */
	_exit(0);
}
