/*
 * Subscriptions (PROTOCOL.md sections 5-7): a managed socket's frames
 * streamed to its client, on a binary channel or as JSON events, and
 * frames the client writes on the channel sent on the socket.
 */
#ifndef STREAM_H
#define STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct handle;
struct ring;

enum stream_format {
	STREAM_BINARY,
	STREAM_JSON,
};

struct stream_opts {
	enum stream_format	format;
	size_t			queue_bytes;	/* already capped by policy */
	size_t			snaplen;	/* 0: whole frames */
	bool			batch;		/* several frames a message */
	bool			receive;	/* false: the channel only sends */
	struct ring		*ring;		/* batch: made for it, or NULL */
};

/* At start and at exit: keep the kernel's receive timestamps on. */
void	 stream_init(void);
void	 stream_fini(void);
/* Whether frames of this kind of socket can be streamed. */
bool	 stream_supported(const struct handle *h);
/*
 * Subscribe h.  Binary: *channel is the client's end of the channel, to
 * pass (owned by the caller).  0, or -1 with e set.  Takes o->ring, a
 * receive ring put on h's socket for the subscription, whatever happens.
 */
int	 stream_start(struct handle *h, const struct stream_opts *o,
	     int *channel, struct rs_error *e);
/* End h's subscription, if any: the channel reads EOF, the socket
 * receives through recv() again. */
void	 stream_stop(struct handle *h);
/* Count the kernel drops of h's subscription up to now (for stats). */
void	 stream_sync_drops(struct handle *h);
/* Close h and tell its client: a closed event {handle, reason}, after
 * what its subscription, if any, has still to report.  h is freed. */
void	 stream_close_handle(struct handle *h, const char *reason);

#endif
