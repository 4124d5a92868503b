/*
 * What stream.c, stream-rx.c and stream-tx.c share: the subscription.
 */
#ifndef STREAM_INT_H
#define STREAM_INT_H

#include <stdint.h>
#include <sys/socket.h>

#include <event2/util.h>

#include "handle.h"
#include "stream.h"

struct ring;
struct stream_tx;

struct stream {
	struct handle		*h;
	enum stream_format	 format;
	size_t			 snaplen;	/* 0: whole frames */
	size_t			 queue_bytes;
	size_t			 batch_bytes;	/* 0: a message a frame */
	int			 chan;		/* our end; -1 for json */
	int			 saved_opts;	/* SO_TIMESTAMPNS etc. it had */
	uint32_t		 kernel_drops;	/* SO_RXQ_OVFL last seen */
	struct event		*ev_rx;		/* the socket is readable */
	struct event		*ev_tx;		/* the channel is readable */
	struct event		*ev_tx_write;	/* the socket is writable again */
	struct event		*ev_tx_timer;	/* the bucket has tokens again */
	struct event		*ev_report;	/* deferred events */
	struct event		*ev_down;	/* look at a down interface */
	bool			 broken;	/* the client closed the channel */
	uint32_t		 drops_unsent;	/* since the last frame delivered */
	uint64_t		 drops_unreported;	/* since the last event */
	uint64_t		 rejected_unreported;
	char			 reject_reason[128];
	long long		 last_report_ns;
	struct stream_tx	*tx;		/* made by the first frame sent */
	struct ring		*ring;		/* frames come from it, or NULL */
};

/* A received frame, from the ring or from recvmmsg. */
struct rx_frame {
	const uint8_t		*data;
	size_t			 caplen;
	uint32_t		 orig_len;
	const struct sockaddr	*addr;
	socklen_t		 addr_len;
	uint64_t		 ts_ns;
	uint8_t			 flags;		/* RS_FRAME_* */
	uint16_t		 vlan_tci;
	uint16_t		 vlan_tpid;
};

/* stream-rx.c */
void	 stream_rx_cb(evutil_socket_t fd, short what, void *arg);
void	 stream_ring_cb(evutil_socket_t fd, short what, void *arg);
/* Count the kernel's drops into a ring since the last time. */
void	 stream_ring_drops(struct stream *s);
void	 stream_down_cb(evutil_socket_t fd, short what, void *arg);
/* stream-tx.c */
void	 stream_tx_cb(evutil_socket_t fd, short what, void *arg);
void	 stream_tx_resume_cb(evutil_socket_t fd, short what, void *arg);
void	 stream_tx_free(struct stream *s);

/* stream.c */
void	 stream_json_frame(struct stream *s, const struct rx_frame *f);
void	 stream_count_in(struct stream *s, uint64_t frames, uint64_t bytes);
void	 stream_count_out(struct stream *s, uint64_t frames, uint64_t bytes);
void	 stream_count_drops(struct stream *s, uint64_t n, bool kernel);
/* The socket's drop total (SO_RXQ_OVFL, SO_MEMINFO) as just seen: count
 * what is new since the last look (or the subscription's start). */
void	 stream_kernel_total(struct stream *s, uint32_t total);
void	 stream_reject(struct stream *s, const char *reason);
/* Send dropped / tx_rejected events now or soon (rate-limited, and only
 * while the client reads its control connection). */
void	 stream_report(struct stream *s);

#endif
