/*
 * rawsockctl capture and send: the subcommands that stream frames over a
 * binary channel (PROTOCOL.md section 7) rather than make one request.
 * Frames are read from and written to pcap files with libpcap.
 */
#include <net/if_arp.h>
#include <linux/if_packet.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <pcap/pcap.h>

#include "bytes.h"
#include "ctl.h"
#include "rawsock-channel.h"
#include "rawsock.h"


/* A managed packet socket on ifname, with an optional pcap filter. */
static int
open_packet(struct rs_conn *c, const char *ifname, const char *filter)
{
	json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "domain", "packet",
	    "type", "raw", "protocol", "all", "ifname", ifname);
	char *text;
	int h;

	if (filter != NULL)
		json_object_set_new(req, "filter", json_string(filter));
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	h = rs_open_json(c, text);
	free(text);
	if (h == -1)
		fprintf(stderr, "rawsockctl: open %s: %s\n", ifname,
		    ctl_why(c));
	return h;
}

static int
subscribe(struct rs_conn *c, int h, size_t snaplen)
{
	int chan;

	if ((chan = rs_subscribe_batch(c, h, 0, snaplen)) == -1)
		fprintf(stderr, "rawsockctl: subscribe: %s\n", ctl_why(c));
	return chan;
}

/* A channel to send on only (the daemon does not watch the socket). */
static int
subscribe_send(struct rs_conn *c, int h)
{
	int chan;

	if ((chan = rs_subscribe_send(c, h, 0)) == -1)
		fprintf(stderr, "rawsockctl: subscribe: %s\n", ctl_why(c));
	return chan;
}

/*
 * The 802.1Q tag the kernel took off an Ethernet frame goes back after
 * its addresses, as libpcap does, so the file holds the frame as it was
 * on the wire.  Returns the frame to write.
 */
static const uint8_t *
retag(const struct rs_frame_hdr *hdr, const uint8_t *frame, size_t *flen,
    struct pcap_pkthdr *ph)
{
	static uint8_t tagged[RS_FRAME_BATCH_MAX + 4];
	uint16_t tpid = hdr->vlan_tpid != 0 ? hdr->vlan_tpid : 0x8100;

	if (!(hdr->flags & RS_FRAME_VLAN) || *flen < 12 ||
	    *flen > RS_FRAME_BATCH_MAX)
		return frame;
	memcpy(tagged, frame, 12);
	tagged[12] = (uint8_t)(tpid >> 8);
	tagged[13] = (uint8_t)tpid;
	tagged[14] = (uint8_t)(hdr->vlan_tci >> 8);
	tagged[15] = (uint8_t)hdr->vlan_tci;
	memcpy(tagged + 16, frame + 12, *flen - 12);
	*flen += 4;
	ph->len += 4;
	return tagged;
}

/* Write the frames of one channel message as pcap records, at most
 * max of them; returns how many. */
static long long
dump_message(pcap_dumper_t *d, int dlt, const uint8_t *buf, size_t len,
    long long max, unsigned long long *drops)
{
	struct rs_frame_hdr hdr;
	struct pcap_pkthdr ph;
	const void *addr, *frame;
	const uint8_t *out;
	size_t flen, off = 0;
	long long n = 0;

	while (n < max && rs_frame_next(buf, len, &off, &hdr, &addr, &frame,
	    &flen) == 1) {
		*drops += hdr.drops;
		ph.ts.tv_sec = (time_t)(hdr.ts_ns / 1000000000);
		/* A nanosecond dump keeps nanoseconds in tv_usec. */
		ph.ts.tv_usec = (suseconds_t)(hdr.ts_ns % 1000000000);
		ph.len = hdr.orig_len;
		out = dlt == DLT_EN10MB ? retag(&hdr, frame, &flen, &ph) :
		    frame;
		ph.caplen = (bpf_u_int32)flen;
		if (ph.len < ph.caplen)		/* a record pcap can read */
			ph.len = ph.caplen;
		pcap_dump((u_char *)d, &ph, out);
		n++;
	}
	return n;
}

/* The pcap link type of a packet socket's interface (by its ARPHRD_*
 * type), or -1 for one whose frames we cannot label. */
static int
link_dlt(struct rs_conn *c, int h)
{
	struct sockaddr_ll sll;
	socklen_t len = sizeof sll;

	if (rs_getsockname(c, h, (struct sockaddr *)&sll, &len) == -1 ||
	    len < sizeof sll || sll.sll_family != AF_PACKET)
		return -1;
	switch (sll.sll_hatype) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK:
		return DLT_EN10MB;
	case ARPHRD_NONE:	/* tun: the frame is the IP packet */
	case ARPHRD_RAWIP:
	case ARPHRD_TUNNEL:
	case ARPHRD_TUNNEL6:
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:
		return DLT_RAW;
	}
	return -1;
}

/*
 * capture [-c COUNT] [-f FILTER] [-s SNAPLEN] [-t SECONDS] IFNAME FILE
 * FILE "-" is stdout.  Ends after COUNT frames, SECONDS, or a signal.
 */
int
ctl_capture(const char *path, int argc, char **argv)
{
	struct rs_conn *c;
	const char *filter = NULL;
	long long count = -1, seconds = -1, snaplen = 0, deadline, got = 0;
	unsigned long long drops = 0;
	pcap_dumper_t *dump;
	struct pollfd pfd;
	uint8_t *buf = NULL;
	pcap_t *dead = NULL;
	int ch, h, chan, dlt, r = 1;
	ssize_t n;

	optind = 1;
	while ((ch = getopt(argc, argv, "c:f:s:t:")) != -1) {
		switch (ch) {
		case 'c': count = atoll(optarg); break;
		case 'f': filter = optarg; break;
		case 's': snaplen = atoll(optarg); break;
		case 't': seconds = atoll(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind != 2 || snaplen < 0)
		return 2;
	if ((c = ctl_connect(path)) == NULL)
		return 1;
	if ((h = open_packet(c, argv[optind], filter)) == -1 ||
	    (chan = subscribe(c, h, (size_t)snaplen)) == -1) {
		rs_conn_close(c);
		return 1;
	}
	if ((dlt = link_dlt(c, h)) == -1) {
		fprintf(stderr, "rawsockctl: %s: a link type pcap has no "
		    "name for here\n", argv[optind]);
		goto out;
	}
	/* A tag put back (retag) makes a record 4 bytes longer. */
	dead = pcap_open_dead_with_tstamp_precision(dlt, snaplen > 0 ?
	    (int)snaplen + (dlt == DLT_EN10MB ? 4 : 0) : 262144,
	    PCAP_TSTAMP_PRECISION_NANO);
	buf = malloc(RS_FRAME_BATCH_MAX);
	if (dead == NULL || buf == NULL ||
	    (dump = pcap_dump_open(dead, argv[optind + 1])) == NULL) {
		fprintf(stderr, "rawsockctl: %s: %s\n", argv[optind + 1],
		    dead != NULL ? pcap_geterr(dead) : strerror(ENOMEM));
		goto out;
	}
	ctl_catch_signals();
	deadline = seconds >= 0 ? ctl_now_ms() + seconds * 1000 : -1;
	pfd = (struct pollfd){ .fd = chan, .events = POLLIN };
	while (!ctl_stop && (count < 0 || got < count)) {
		long long left = deadline < 0 ? 1000 : deadline - ctl_now_ms();

		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int)(left < 1000 ? left : 1000)) <= 0)
			continue;
		if ((n = recv(chan, buf, RS_FRAME_BATCH_MAX, 0)) <= 0)
			break;
		got += dump_message(dump, dlt, buf, (size_t)n,
		    count < 0 ? LLONG_MAX : count - got, &drops);
	}
	pcap_dump_close(dump);
	fprintf(stderr, "rawsockctl: %lld frames captured, %llu dropped\n",
	    got, drops);
	r = 0;
out:
	if (dead != NULL)
		pcap_close(dead);
	free(buf);
	close(chan);
	rs_conn_close(c);
	return r;
}

/* Wait until the daemon closes its end of the channel, or ms pass. */
static void
wait_hangup(int chan, long long ms)
{
	struct pollfd pfd = { .fd = chan, .events = POLLIN };
	long long deadline = ctl_now_ms() + ms;
	char buf[2048];

	while (ctl_now_ms() < deadline) {
		if (poll(&pfd, 1, 100) != 1)
			continue;
		if (pfd.revents & POLLHUP)
			return;
		if (recv(chan, buf, sizeof buf, MSG_DONTWAIT) == 0)
			return;
	}
}

/* Write one frame on the channel, waiting while it is full. */
static int
write_frame(int chan, const void *frame, size_t len)
{
	uint8_t hdr[RS_FRAME_HDR_SIZE];
	struct iovec iov[2] = {
		{ hdr, rs_frame_build(hdr, 0, NULL, 0, len) },
		{ (void *)frame, len },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

	return sendmsg(chan, &msg, MSG_NOSIGNAL) == -1 ? -1 : 0;
}

/* One frame given in hex, written repeat times. */
static int
send_hex(int chan, const char *hex, long long repeat, long long *sent)
{
	struct rs_bytes frame;
	long long i;
	int r = 0;

	if (rs_hex_decode(hex, strlen(hex), &frame) == -1) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < repeat && !ctl_stop; i++, (*sent)++) {
		if ((r = write_frame(chan, frame.p, frame.n)) == -1)
			break;
	}
	rs_bytes_free(&frame);
	return r;
}

static const char *
dlt_name(int dlt)
{
	const char *n = pcap_datalink_val_to_name(dlt);

	return n != NULL ? n : "unknown";
}

/*
 * The frames of a pcap file, repeat times over, on an interface of link
 * type dlt.  A record cut short at capture (caplen < len) is not sent
 * but counted in *cut; a file that ends mid-record is an error.
 */
static int
send_pcap(int chan, const char *file, int dlt, long long repeat,
    long long *sent, long long *cut)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *ph;
	const u_char *data;
	long long i;
	pcap_t *p;
	int r = 0, got = 0;

	for (i = 0; i < repeat && !ctl_stop && r == 0; i++) {
		if ((p = pcap_open_offline(file, err)) == NULL) {
			fprintf(stderr, "rawsockctl: %s\n", err);
			errno = EINVAL;
			return -1;
		}
		if (pcap_datalink(p) != dlt) {
			fprintf(stderr, "rawsockctl: %s: link type %s, the "
			    "interface's is %s\n", file,
			    dlt_name(pcap_datalink(p)), dlt_name(dlt));
			pcap_close(p);
			errno = EINVAL;
			return -1;
		}
		while (!ctl_stop && r == 0 &&
		    (got = pcap_next_ex(p, &ph, &data)) == 1) {
			if (ph->caplen < ph->len)
				(*cut)++;
			else if ((r = write_frame(chan, data, ph->caplen)) == 0)
				(*sent)++;
		}
		if (r == 0 && got == PCAP_ERROR) {
			fprintf(stderr, "rawsockctl: %s: %s\n", file,
			    pcap_geterr(p));
			errno = EINVAL;
			r = -1;
		}
		pcap_close(p);
	}
	return r;
}

/* The handle's counters as JSON text (malloc'd), or NULL. */
static char *
handle_stats(struct rs_conn *c, int h)
{
	char req[64], *resp, *out = NULL;
	json_t *j;

	snprintf(req, sizeof req, "{\"op\":\"stats\",\"handle\":%d}", h);
	if ((resp = rs_call_json(c, req, NULL, NULL)) == NULL)
		return NULL;
	if ((j = json_loads(resp, 0, NULL)) != NULL)
		out = json_dumps(json_object_get(j, "handle"), JSON_COMPACT);
	json_decref(j);
	free(resp);
	return out;
}

/*
 * send [-n REPEAT] IFNAME HEXFRAME | send [-n REPEAT] -r FILE IFNAME
 * Frames go through the daemon's checks; refused ones are reported.
 */
int
ctl_send(const char *path, int argc, char **argv)
{
	struct rs_conn *c;
	const char *file = NULL;
	long long repeat = 1, sent = 0, cut = 0;
	char *stats;
	int ch, h, chan, r;

	optind = 1;
	while ((ch = getopt(argc, argv, "n:r:")) != -1) {
		switch (ch) {
		case 'n': repeat = atoll(optarg); break;
		case 'r': file = optarg; break;
		default: return 2;
		}
	}
	if (argc - optind != (file != NULL ? 1 : 2) || repeat < 1)
		return 2;
	if ((c = ctl_connect(path)) == NULL)
		return 1;
	if ((h = open_packet(c, argv[optind], NULL)) == -1 ||
	    (chan = subscribe_send(c, h)) == -1) {
		rs_conn_close(c);
		return 1;
	}
	ctl_catch_signals();
	if (file != NULL)
		r = send_pcap(chan, file, link_dlt(c, h), repeat, &sent, &cut);
	else
		r = send_hex(chan, argv[optind + 1], repeat, &sent);
	if (r == -1)
		fprintf(stderr, "rawsockctl: send: %s\n", strerror(errno));
	if (cut > 0) {
		fprintf(stderr, "rawsockctl: %s: %lld records cut short at "
		    "capture, not sent\n", file, cut);
		r = -1;
	}
	/* Our end of writing: the daemon ends the subscription once it has
	 * read (and sent or refused) every frame before it. */
	shutdown(chan, SHUT_WR);
	wait_hangup(chan, 30000);
	stats = handle_stats(c, h);
	printf("{\"written\": %lld, \"handle\": %s}\n", sent,
	    stats != NULL ? stats : "null");
	free(stats);
	close(chan);
	rs_conn_close(c);
	return r == -1 ? 1 : 0;
}
