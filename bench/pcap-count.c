/*
 * pcap-count: counts the test frames of one run (bench.h) in a pcap or
 * pcapng stream on standard input, as tcpdump -w - and dumpcap -w - write
 * it, until all have arrived or the stream ends.  The rate is taken when
 * frames come out of the pipe, like the other receivers'.
 */
#include <err.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"

static void
usage(void)
{
	fprintf(stderr, "usage: pcap-count -r run -n count < capture\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *ph;
	const u_char *data;
	struct bench_rx rx;
	uint32_t run = 0, count = 0;
	pcap_t *p;
	int ch, r;

	while ((ch = getopt(argc, argv, "r:n:")) != -1) {
		switch (ch) {
		case 'r':
			run = (uint32_t)bench_arg_num("-r", optarg, 0,
			    UINT32_MAX);
			break;
		case 'n':
			count = (uint32_t)bench_arg_num("-n", optarg, 1,
			    BENCH_MAX_COUNT);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || count == 0)
		usage();
	if (bench_rx_init(&rx, run, count) == -1)
		err(1, "bench_rx_init");
	/* Blocks until the capture tool writes its file header. */
	if ((p = pcap_fopen_offline(stdin, errbuf)) == NULL)
		errx(1, "reading the capture: %s", errbuf);
	while (!bench_rx_done(&rx)) {
		if ((r = pcap_next_ex(p, &ph, &data)) != 1) {
			if (r == PCAP_ERROR)
				warnx("reading the capture: %s",
				    pcap_geterr(p));
			break;
		}
		bench_rx_frame(&rx, data, ph->caplen, bench_now_ns());
	}
	bench_rx_report(&rx, "");
	bench_rx_free(&rx);
	return 0;
}
