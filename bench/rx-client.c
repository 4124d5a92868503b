/*
 * rx-client: receive through the daemon.  Opens a managed packet socket
 * on an interface with librawsock, subscribes to it (binary channel,
 * PROTOCOL.md section 7) and counts the test frames of one run (bench.h)
 * read from the channel, like rx-ring does from its ring; -B asks for
 * batches (several frames a message).  Runs as the
 * unprivileged benchmark user.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"
#include "client.h"
#include "rawsock-channel.h"
#include "rawsock.h"

#define BATCH		64
/* Room for a batch or one whole frame. */
#define MSG_MAX		RS_FRAME_BATCH_MAX

struct reader {
	int		 ch;
	struct bench_rx	 rx;
	uint64_t	 channel_drops;	/* summed from the headers */
	uint64_t	 malformed;
	uint64_t	 truncated;
	int		 eof;
};

static void
usage(void)
{
	fprintf(stderr, "usage: rx-client -p socket -i ifname -r run -n count "
	    "[-B] [-q queue_bytes] [-S snaplen] [-t seconds] [-T idle_ms] "
	    "[-z size]\n");
	exit(2);
}

/* Read what the channel holds; returns 1 once all frames are counted. */
static int
channel_drain(void *arg)
{
	struct reader *c = arg;
	struct bench_rx *rx = &c->rx;
	static unsigned char bufs[BATCH][MSG_MAX];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct rs_frame_hdr hdr;
	const void *addr, *frame;
	size_t flen, off;
	uint64_t now;
	int i, n, r;

	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = MSG_MAX;
		msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i],
		    .msg_iovlen = 1 };
	}
	for (;;) {
		if ((n = recvmmsg(c->ch, msgs, BATCH, MSG_DONTWAIT, NULL)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return bench_rx_done(rx);
			err(1, "recvmmsg channel");
		}
		if ((now = bench_now_ns()) > rx->deadline_ns)
			return 1;	/* frames without end: time is up */
		for (i = 0; i < n; i++) {
			if (msgs[i].msg_len == 0) {
				c->eof = 1;
				return 1;
			}
			off = 0;
			while ((r = rs_frame_next(bufs[i], msgs[i].msg_len,
			    &off, &hdr, &addr, &frame, &flen)) == 1) {
				c->channel_drops += hdr.drops;
				if (hdr.flags & RS_FRAME_TRUNCATED)
					c->truncated++;
				bench_rx_frame(rx, frame, flen, now);
			}
			if (r == -1)
				c->malformed++;
		}
		if (bench_rx_done(rx))
			return 1;
	}
}

int
main(int argc, char **argv)
{
	struct bench_sub_opts so = { 0 };
	struct bench_rx_opts o = BENCH_RX_OPTS_INIT;
	size_t snap = 0;
	struct reader c = { 0 };
	struct rs_conn *conn;
	int h;
	char extra[160];
	int opt;

	while ((opt = getopt(argc, argv, "S:" BENCH_SUB_OPTS BENCH_RX_OPTS)) != -1) {
		switch (opt) {
		case 'S':
			snap = bench_arg_num("-S", optarg, 0, 65535);
			break;
		default:
			if (!bench_sub_opt(&so, opt, optarg) &&
			    !bench_rx_opt(&o, opt, optarg))
				usage();
		}
	}
	if (optind != argc || !bench_sub_opts_complete(&so) || o.count == 0)
		usage();
	if ((conn = rs_conn_open(so.path)) == NULL)
		err(1, "connect %s", so.path);
	c.ch = bench_subscribe(conn, &so, "\"ETH_P_ALL\"", snap, &h);
	if (bench_rx_init(&c.rx, o.run, o.count, o.size) == -1)
		err(1, "bench_rx_init");
	bench_rx_loop(&c.rx, c.ch, channel_drain, &c, o.seconds, o.idle_ms);
	snprintf(extra, sizeof extra, ",\"channel_drops\":%llu,"
	    "\"malformed\":%llu,\"truncated\":%llu,\"eof\":%d",
	    (unsigned long long)c.channel_drops,
	    (unsigned long long)c.malformed, (unsigned long long)c.truncated,
	    c.eof);
	bench_rx_report(&c.rx, extra);
	bench_print_stats(conn, h);
	bench_rx_free(&c.rx);
	close(c.ch);
	rs_conn_close(conn);
	return 0;
}
