/*
 * chan-floor: what one channel message a frame costs with nothing else in
 * the way, the floor under the daemon's contract-format rows.  Two
 * processes on a SOCK_SEQPACKET pair, both on the core bench/run pins
 * this to, move numbered test frames (bench.h) as contract messages
 * (rawsock-channel.h), batched like the daemon and the clients batch them.
 *
 * -m rx: a writer plays the daemon (sendmmsg of RX_OUT messages, each a
 * header, a packet address and the frame), the reader plays rx-client
 * (recvmmsg of BATCH, rs_frame_next, bench_rx_frame) and reports as every
 * receiver does.  Nothing is dropped: the writer blocks.
 *
 * -m tx -i ifname: a writer plays tx-client, the reader plays the daemon
 * sending each frame on a packet socket with sendmmsg; it reports as
 * tx-gen does.  Needs CAP_NET_RAW.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <linux/if_packet.h>

#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "rawsock-channel.h"

#define BATCH		64		/* what the readers take at once */
#define RX_OUT		256		/* what the daemon sends at once */
#define CHAN_BYTES	(2 * 1024 * 1024)	/* the default queue */
#define MSG_MAX		(RS_FRAME_HDR_SIZE + RS_FRAME_ADDR_MAX + \
			    BENCH_MAX_FRAME)

static struct bench_tx_opts o = BENCH_TX_OPTS_INIT;
static const char *ifname;
static int tx_mode;

static void
usage(void)
{
	fprintf(stderr, "usage: chan-floor -m rx|tx -r run -n count -s size "
	    "[-S srcmac -D dstmac -i ifname] [-t seconds]\n");
	exit(2);
}

/* Write count contract messages, n at a time, blocking. */
static void
writer(int fd, unsigned int n)
{
	static unsigned char bufs[RX_OUT][MSG_MAX];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
	    .sll_protocol = htons(BENCH_ETHERTYPE), .sll_ifindex = 2,
	    .sll_halen = 6 };
	struct mmsghdr msgs[RX_OUT];
	struct iovec iov[RX_OUT];
	size_t off[RX_OUT], alen = tx_mode ? 0 : sizeof sll;
	uint32_t seq = 0;
	unsigned int i, k, done;
	int r;

	memset(msgs, 0, sizeof msgs);
	for (i = 0; i < n; i++) {
		off[i] = rs_frame_build(bufs[i], 1, &sll, alen, o.size);
		bench_frame_fill(bufs[i] + off[i], o.size, o.src, o.dst, o.run,
		    0);
		iov[i] = (struct iovec){ bufs[i], off[i] + o.size };
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (seq < o.count) {
		k = o.count - seq < n ? o.count - seq : n;
		for (i = 0; i < k; i++)
			bench_frame_set_seq(bufs[i] + off[i], seq + i);
		for (done = 0; done < k; done += (unsigned int)r)
			if ((r = sendmmsg(fd, msgs + done, k - done, 0)) == -1)
				err(1, "sendmmsg channel");
		seq += k;
	}
}

struct reader {
	int		 fd;
	struct bench_rx	 rx;
	int		 sock;		/* -m tx: the packet socket */
	uint64_t	 sent;
};

/* Take what the channel holds: count it (rx), or send it on (tx). */
static int
drain(void *arg)
{
	static unsigned char bufs[BATCH][MSG_MAX];
	struct reader *c = arg;
	struct mmsghdr msgs[BATCH], out[BATCH];
	struct iovec iov[BATCH], out_iov[BATCH];
	struct rs_frame_hdr hdr;
	const void *addr, *frame;
	size_t flen, off;
	uint64_t now;
	int i, n, k, r, done;

	for (i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], MSG_MAX };
		msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i],
		    .msg_iovlen = 1 };
	}
	for (;;) {
		if ((n = recvmmsg(c->fd, msgs, BATCH, MSG_DONTWAIT, NULL)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			err(1, "recvmmsg channel");
		}
		if ((now = bench_now_ns()) > c->rx.deadline_ns)
			return 1;	/* frames without end: time is up */
		for (i = k = 0; i < n; i++) {
			if (msgs[i].msg_len == 0)
				return 1;
			off = 0;
			if (rs_frame_next(bufs[i], msgs[i].msg_len, &off, &hdr,
			    &addr, &frame, &flen) != 1)
				errx(1, "a malformed message");
			if (!tx_mode) {
				if (bench_rx_frame(&c->rx, frame, flen, now))
					return 1;
				continue;
			}
			out_iov[k] = (struct iovec){ (void *)frame, flen };
			out[k].msg_hdr = (struct msghdr){
			    .msg_iov = &out_iov[k], .msg_iovlen = 1 };
			k++;
		}
		for (done = 0; done < k; done += r)
			if ((r = sendmmsg(c->sock, out + done,
			    (unsigned int)(k - done), 0)) == -1) {
				if (errno != ENOBUFS && errno != EAGAIN &&
				    errno != EINTR)
					err(1, "sendmmsg");
				if (bench_now_ns() > c->rx.deadline_ns)
					errx(1, "sendmmsg: the device stayed "
					    "full");
				r = 0;
			}
		c->sent += (uint64_t)k;
		if (tx_mode && c->sent == o.count)
			return 1;
	}
}

int
main(int argc, char **argv)
{
	struct reader c = { .sock = -1 };
	struct rusage ru;
	char extra[64];
	uint64_t start, end, cpu;
	int sv[2], opt, bytes = CHAN_BYTES, status;
	pid_t pid;

	while ((opt = getopt(argc, argv, "m:i:" BENCH_TX_OPTS)) != -1) {
		switch (opt) {
		case 'm':
			if (strcmp(optarg, "rx") != 0 && strcmp(optarg, "tx") != 0)
				usage();
			tx_mode = strcmp(optarg, "tx") == 0;
			break;
		case 'i':
			ifname = optarg;
			break;
		default:
			if (!bench_tx_opt(&o, opt, optarg))
				usage();
		}
	}
	if (optind != argc || o.count == 0 || o.size < BENCH_MIN_FRAME ||
	    (tx_mode && (ifname == NULL || !bench_tx_opts_complete(&o))))
		usage();
	if (tx_mode)
		c.sock = bench_send_socket(ifname);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		err(1, "socketpair");
	/* The daemon's channel: its sending end holds the queue. */
	if (setsockopt(sv[1], SOL_SOCKET, SO_SNDBUFFORCE, &bytes,
	    sizeof bytes) == -1)
		err(1, "SO_SNDBUFFORCE");
	if (bench_rx_init(&c.rx, o.run, o.count, o.size) == -1)
		err(1, "bench_rx_init");
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		close(sv[0]);
		writer(sv[1], tx_mode ? BATCH : RX_OUT);
		_exit(0);
	}
	close(sv[1]);
	c.fd = sv[0];
	cpu = bench_cpu_ns();
	start = bench_now_ns();
	bench_rx_loop(&c.rx, c.fd, drain, &c, o.seconds, 1000);
	end = bench_now_ns();
	/* The writer has written all by now, or the time limit ends it. */
	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) == -1)
		err(1, "waitpid");
	if (getrusage(RUSAGE_CHILDREN, &ru) == -1)
		err(1, "getrusage");
	snprintf(extra, sizeof extra, ",\"cpu_writer_s\":%.6f",
	    (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	if (!tx_mode)
		bench_rx_report(&c.rx, extra);
	else
		printf("{\"sent\":%llu,\"rate\":%.0f,\"cpu_s\":%.6f%s}\n",
		    (unsigned long long)c.sent, end > start ? c.sent /
		    ((double)(end - start) / 1e9) : 0.0,
		    (double)(bench_cpu_ns() - cpu) / 1e9, extra);
	bench_rx_free(&c.rx);
	return 0;
}
