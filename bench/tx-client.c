/*
 * tx-client: transmit through the daemon.  Opens a managed packet socket
 * on an interface with librawsock, subscribes to it and writes a fixed
 * count of numbered test frames (bench.h) on the binary channel with
 * sendmmsg, as fast as the daemon takes them (PROTOCOL.md section 7: no
 * address, so the daemon sends on the socket's bound interface); with -B,
 * as batches of -b frames a message.  The receiving end counts; this
 * program reports how fast it pushed.  Runs as the unprivileged benchmark
 * user.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"
#include "client.h"
#include "rawsock-channel.h"
#include "rawsock.h"


struct tx {
	struct bench_sub_opts s;
	const char	*protocol;	/* 0: the daemon's socket gets no
					   copies of its own frames */
	struct bench_tx_opts o;
	uint64_t	 rx_msgs;	/* frames the channel brought back */
};

static void
usage(void)
{
	fprintf(stderr, "usage: tx-client -p socket -i ifname -S srcmac "
	    "-D dstmac -r run -n count -s size [-B] [-O] [-b batch] "
	    "[-q queue_bytes] [-t seconds] [-P protocol]\n");
	exit(2);
}

/* Throw away whatever the channel brought (the socket's own traffic). */
static void
discard_incoming(int ch, struct tx *t)
{
	unsigned char buf[RS_FRAME_HDR_SIZE + RS_FRAME_ADDR_MAX + 2048];
	int i;

	for (i = 0; i < 1024; i++) {
		if (recv(ch, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC) < 0)
			return;
		t->rx_msgs++;
	}
}

/* The daemon is behind: wait for room, keep reading so it never blocks
 * on us. */
static void
wait_room(int ch, struct tx *t, int r)
{
	struct pollfd pfd = { .fd = ch, .events = POLLOUT };

	if (r == -1 && errno != EAGAIN && errno != EINTR && errno != ENOBUFS)
		err(1, "send channel");
	discard_incoming(ch, t);
	if (poll(&pfd, 1, 10) == -1 && errno != EINTR)
		err(1, "poll");
}

static uint32_t
send_all(int ch, struct tx *t)
{
	static unsigned char msgs_buf[BENCH_TX_MAX_BATCH][RS_FRAME_HDR_SIZE +
	    BENCH_MAX_FRAME];
	struct mmsghdr msgs[BENCH_TX_MAX_BATCH] = { 0 };
	struct iovec iov[BENCH_TX_MAX_BATCH];
	uint64_t deadline = bench_now_ns() + t->o.seconds * 1000000000u;
	unsigned int i, n, done;
	uint32_t seq = 0;
	size_t off = 0;
	int r;

	for (i = 0; i < t->o.batch; i++) {
		off = rs_frame_build(msgs_buf[i], 0, NULL, 0, t->o.size);
		bench_frame_fill(msgs_buf[i] + off, t->o.size, t->o.src, t->o.dst,
		    t->o.run, 0);
		iov[i].iov_base = msgs_buf[i];
		iov[i].iov_len = off + t->o.size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (seq < t->o.count && bench_now_ns() < deadline) {
		n = t->o.count - seq < t->o.batch ? t->o.count - seq : t->o.batch;
		for (i = 0; i < n; i++)
			bench_frame_set_seq(msgs_buf[i] + off, seq + i);
		for (done = 0; done < n && bench_now_ns() < deadline;) {
			r = sendmmsg(ch, msgs + done, n - done, MSG_DONTWAIT);
			if (r > 0)
				done += (unsigned int)r;
			else
				wait_room(ch, t, r);
		}
		seq += done;
	}
	return seq;
}

/* The same as batches: -b frames a message, as many as fit. */
static uint32_t
send_batches(int ch, struct tx *t)
{
	static unsigned char msg[RS_FRAME_BATCH_MAX];
	size_t rec = rs_frame_record_size(rs_frame_batch_hdr_len(0),
	    t->o.size), off = 0;
	uint64_t deadline = bench_now_ns() + t->o.seconds * 1000000000u;
	unsigned int per = RS_FRAME_BATCH_MAX / rec, i, n;
	uint32_t seq = 0;
	ssize_t r;

	if (per > t->o.batch)
		per = t->o.batch;
	for (i = 0; i < per; i++) {
		off = rs_frame_build_batch(msg + i * rec, 0, NULL, 0,
		    t->o.size);
		bench_frame_fill(msg + i * rec + off, t->o.size, t->o.src,
		    t->o.dst, t->o.run, 0);
	}
	while (seq < t->o.count && bench_now_ns() < deadline) {
		n = t->o.count - seq < per ? t->o.count - seq : per;
		for (i = 0; i < n; i++)
			bench_frame_set_seq(msg + i * rec + off, seq + i);
		while ((r = send(ch, msg, n * rec, MSG_DONTWAIT)) == -1 &&
		    bench_now_ns() < deadline)
			wait_room(ch, t, (int)r);
		if (r == -1)
			break;
		seq += n;
	}
	return seq;
}

/* Keep the channel open until bench/run closes our stdin (or time is up):
 * closing it at once could discard frames the daemon still holds. */
static void
linger(int ch, struct tx *t)
{
	struct pollfd pfd[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = ch, .events = POLLIN },
	};
	uint64_t deadline = bench_now_ns() + t->o.seconds * 1000000000u;
	char buf[256];

	while (bench_now_ns() < deadline) {
		if (poll(pfd, 2, 100) == -1 && errno != EINTR)
			err(1, "poll");
		if (pfd[1].revents & POLLIN)
			discard_incoming(ch, t);
		if ((pfd[1].revents & (POLLHUP | POLLERR)) ||
		    ((pfd[0].revents & (POLLIN | POLLHUP)) &&
		    read(STDIN_FILENO, buf, sizeof buf) <= 0))
			return;
	}
}

int
main(int argc, char **argv)
{
	struct tx t = { .o = BENCH_TX_OPTS_INIT, .protocol = "0" };
	struct rs_conn *conn;
	uint64_t start, end, cpu;
	uint32_t sent;
	int opt, ch, h;

	while ((opt = getopt(argc, argv, "P:" BENCH_SUB_OPTS BENCH_TX_OPTS)) != -1) {
		switch (opt) {
		case 'P':
			t.protocol = optarg;	/* JSON: 0 or "ETH_P_ALL" */
			break;
		default:
			if (!bench_sub_opt(&t.s, opt, optarg) &&
			    !bench_tx_opt(&t.o, opt, optarg))
				usage();
		}
	}
	if (optind != argc || !bench_sub_opts_complete(&t.s) ||
	    !bench_tx_opts_complete(&t.o))
		usage();
	if ((conn = rs_conn_open(t.s.path)) == NULL)
		err(1, "connect %s", t.s.path);
	ch = bench_subscribe(conn, &t.s, t.protocol, 0, &h);
	cpu = bench_cpu_ns();
	bench_ready();
	start = bench_now_ns();
	sent = t.s.batch ? send_batches(ch, &t) : send_all(ch, &t);
	end = bench_now_ns();
	printf("{\"sent\":%u,\"span_s\":%.6f,\"rate\":%.0f,\"cpu_s\":%.6f,"
	    "\"rx_msgs\":%llu}\n", sent, (double)(end - start) / 1e9,
	    end > start ? sent / ((double)(end - start) / 1e9) : 0.0,
	    (double)(bench_cpu_ns() - cpu) / 1e9,
	    (unsigned long long)t.rx_msgs);
	fflush(stdout);
	linger(ch, &t);
	bench_print_stats(conn, h);
	close(ch);
	rs_conn_close(conn);
	return 0;
}
