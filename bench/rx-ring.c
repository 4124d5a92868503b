/*
 * rx-ring: the direct receive baseline.  A TPACKET_V3 ring on one
 * interface counts the test frames of one run (bench.h) until all have
 * arrived, nothing came for the idle time, or the time limit; then prints
 * the report with the kernel's own drop count.  Needs CAP_NET_RAW.
 */
#include <sys/mman.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"

#define BLOCK_SIZE	(1u << 20)
#define BLOCK_NR	64u
#define FRAME_SIZE	2048u
#define RETIRE_MS	1u	/* hand over a part-filled block this soon */

struct ring {
	int		 fd;
	unsigned char	*map;
	unsigned int	 cur;
	struct bench_rx	 rx;
};

static void
usage(void)
{
	fprintf(stderr, "usage: rx-ring -i ifname -r run -n count "
	    "[-t seconds] [-T idle_ms] [-z size]\n");
	exit(2);
}

static void
ring_open(struct ring *r, const char *ifname)
{
	struct tpacket_req3 req = {
		.tp_block_size = BLOCK_SIZE,
		.tp_block_nr = BLOCK_NR,
		.tp_frame_size = FRAME_SIZE,
		.tp_frame_nr = BLOCK_SIZE / FRAME_SIZE * BLOCK_NR,
		.tp_retire_blk_tov = RETIRE_MS,
	};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	int v = TPACKET_V3;

	/* Protocol 0 until bound: nothing from other interfaces gets in. */
	if ((r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket(AF_PACKET)");
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) == -1)
		err(1, "PACKET_VERSION");
	if (setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req,
	    sizeof req) == -1)
		err(1, "PACKET_RX_RING");
	r->map = mmap(NULL, (size_t)BLOCK_SIZE * BLOCK_NR,
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, r->fd, 0);
	if (r->map == MAP_FAILED)
		err(1, "mmap ring");
	if ((sll.sll_ifindex = (int)if_nametoindex(ifname)) == 0)
		err(1, "%s", ifname);
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof sll) == -1)
		err(1, "bind %s", ifname);
	r->cur = 0;
}

/* Count the frames of every block the kernel has handed over. */
static int
ring_drain(void *arg)
{
	struct ring *r = arg;
	struct bench_rx *rx = &r->rx;
	struct tpacket_block_desc *bd;
	struct tpacket3_hdr *h;
	uint64_t now;
	uint32_t i;

	for (;;) {
		bd = (void *)(r->map + (size_t)r->cur * BLOCK_SIZE);
		if ((__atomic_load_n(&bd->hdr.bh1.block_status,
		    __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0)
			return bench_rx_done(rx);
		if ((now = bench_now_ns()) > rx->deadline_ns)
			return 1;	/* frames without end: time is up */
		h = (void *)((unsigned char *)bd +
		    bd->hdr.bh1.offset_to_first_pkt);
		for (i = 0; i < bd->hdr.bh1.num_pkts; i++) {
			bench_rx_frame(rx, (unsigned char *)h + h->tp_mac,
			    h->tp_snaplen, now);
			h = (void *)((unsigned char *)h + h->tp_next_offset);
		}
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
		    __ATOMIC_RELEASE);
		r->cur = (r->cur + 1) % BLOCK_NR;
	}
}

int
main(int argc, char **argv)
{
	struct tpacket_stats_v3 st = { 0 };
	socklen_t len = sizeof st;
	struct ring r;
	const char *ifname = NULL;
	struct bench_rx_opts o = BENCH_RX_OPTS_INIT;
	char extra[128];
	int ch;

	while ((ch = getopt(argc, argv, "i:" BENCH_RX_OPTS)) != -1) {
		switch (ch) {
		case 'i':
			ifname = optarg;
			break;
		default:
			if (!bench_rx_opt(&o, ch, optarg))
				usage();
		}
	}
	if (optind != argc || ifname == NULL || o.count == 0)
		usage();
	ring_open(&r, ifname);
	if (bench_rx_init(&r.rx, o.run, o.count, o.size) == -1)
		err(1, "bench_rx_init");
	bench_rx_loop(&r.rx, r.fd, ring_drain, &r, o.seconds, o.idle_ms);
	if (getsockopt(r.fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == -1)
		err(1, "PACKET_STATISTICS");
	snprintf(extra, sizeof extra, ",\"kernel_packets\":%u,"
	    "\"kernel_drops\":%u,\"freeze_q\":%u", st.tp_packets, st.tp_drops,
	    st.tp_freeze_q_cnt);
	bench_rx_report(&r.rx, extra);
	bench_rx_free(&r.rx);
	return 0;
}
