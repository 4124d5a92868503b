/*
 * tx-gen: the traffic generator and the direct transmit baseline.  Sends
 * a fixed count of numbered test frames (bench.h) on a packet socket with
 * sendmmsg, as fast as the kernel takes them; or, with -w, writes the very
 * same frames to a pcap file for tcpreplay.  Needs CAP_NET_RAW; bench/run
 * pins it to one core.
 */
#include <sys/socket.h>
#include <sys/uio.h>


#include <err.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"


struct gen {
	const char	*ifname;
	const char	*pcap_path;
	struct bench_tx_opts o;
};

static void
usage(void)
{
	fprintf(stderr, "usage: tx-gen -S srcmac -D dstmac -r run -n count "
	    "-s size [-b batch] [-t seconds] (-i ifname | -w file.pcap)\n");
	exit(2);
}

static void
send_all(const struct gen *g)
{
	static unsigned char frames[BENCH_TX_MAX_BATCH][BENCH_MAX_FRAME];
	struct mmsghdr msgs[BENCH_TX_MAX_BATCH];
	struct iovec iov[BENCH_TX_MAX_BATCH];
	uint64_t start, end, deadline, cpu = bench_cpu_ns();
	uint32_t seq = 0;
	unsigned int i, n, done;
	int fd = bench_send_socket(g->ifname), r;

	memset(msgs, 0, sizeof msgs);
	for (i = 0; i < g->o.batch; i++) {
		bench_frame_fill(frames[i], g->o.size, g->o.src, g->o.dst, g->o.run, 0);
		iov[i].iov_base = frames[i];
		iov[i].iov_len = g->o.size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	bench_ready();
	start = bench_now_ns();
	deadline = start + (uint64_t)g->o.seconds * 1000000000u;
	while (seq < g->o.count && bench_now_ns() < deadline) {
		n = g->o.count - seq < g->o.batch ? g->o.count - seq : g->o.batch;
		for (i = 0; i < n; i++)
			bench_frame_set_seq(frames[i], seq + i);
		for (done = 0; done < n && bench_now_ns() < deadline;) {
			r = sendmmsg(fd, msgs + done, n - done, 0);
			if (r == -1 && errno != ENOBUFS && errno != EAGAIN &&
			    errno != EINTR)
				err(1, "sendmmsg");
			if (r > 0)
				done += (unsigned int)r;
		}
		seq += done;
	}
	end = bench_now_ns();
	close(fd);
	printf("{\"sent\":%u,\"span_s\":%.6f,\"rate\":%.0f,"
	    "\"cpu_s\":%.6f}\n", seq, (double)(end - start) / 1e9,
	    end > start ? seq / ((double)(end - start) / 1e9) : 0.0,
	    (double)(bench_cpu_ns() - cpu) / 1e9);
}

static void
write_pcap(const struct gen *g)
{
	static unsigned char frame[BENCH_MAX_FRAME];
	struct pcap_pkthdr ph = { .caplen = (bpf_u_int32)g->o.size,
	    .len = (bpf_u_int32)g->o.size };
	pcap_dumper_t *d;
	pcap_t *p;
	uint32_t seq;

	if ((p = pcap_open_dead(DLT_EN10MB, BENCH_MAX_FRAME)) == NULL)
		errx(1, "pcap_open_dead failed");
	if ((d = pcap_dump_open(p, g->pcap_path)) == NULL)
		errx(1, "%s: %s", g->pcap_path, pcap_geterr(p));
	bench_frame_fill(frame, g->o.size, g->o.src, g->o.dst, g->o.run, 0);
	for (seq = 0; seq < g->o.count; seq++) {
		bench_frame_set_seq(frame, seq);
		/* One microsecond apart: --topspeed ignores them anyway. */
		ph.ts.tv_sec = seq / 1000000;
		ph.ts.tv_usec = seq % 1000000;
		pcap_dump((u_char *)d, &ph, frame);
	}
	if (pcap_dump_flush(d) == -1)
		errx(1, "%s: write failed", g->pcap_path);
	pcap_dump_close(d);
	pcap_close(p);
	printf("{\"written\":%u}\n", g->o.count);
}

int
main(int argc, char **argv)
{
	struct gen g = { .o = BENCH_TX_OPTS_INIT };
	int opt;

	g.o.seconds = 60;
	while ((opt = getopt(argc, argv, "i:w:" BENCH_TX_OPTS)) != -1) {
		switch (opt) {
		case 'i':
			g.ifname = optarg;
			break;
		case 'w':
			g.pcap_path = optarg;
			break;
		default:
			if (!bench_tx_opt(&g.o, opt, optarg))
				usage();
		}
	}
	if (optind != argc || !bench_tx_opts_complete(&g.o) ||
	    (g.ifname == NULL) == (g.pcap_path == NULL))
		usage();
	if (g.pcap_path != NULL)
		write_pcap(&g);
	else
		send_all(&g);
	return 0;
}
