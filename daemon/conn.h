/*
 * One client connection: its credentials, its bounded output queue, its
 * counters, and the single path that closes it.
 */
#ifndef CONN_H
#define CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <jansson.h>

#include "bucket.h"
#include "daemon.h"
#include "handle.h"
#include "peer.h"

#define CONN_MAX_PASS_FDS	4

struct promisc;
struct request;

struct outmsg {
	TAILQ_ENTRY(outmsg)	 entry;
	char			*buf;
	size_t			 len;
	int			 fds[CONN_MAX_PASS_FDS];	/* owned until sent */
	size_t			 nfds;
	uid_t			 uid;		/* whose they are */
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct daemon		*d;
	uint64_t		 id;
	int			 fd;
	struct peer		 peer;
	struct event		*ev_read;
	struct event		*ev_write;
	TAILQ_HEAD(, outmsg)	 outq;
	size_t			 out_bytes;
	bool			 dead;		/* closed, freed on the next loop turn */
	struct stats		 stats;
	struct handle_list	 handles;
	unsigned		 nhandles;
	long long		 next_handle;
	struct request		*pending;	/* a request waiting on a socket */
	struct bucket		*tx_bucket;	/* the uid's, for tx_pps */
	struct promisc		*promisc;	/* interfaces held promiscuous */
};

/* Take ownership of an accepted fd. */
void	 conn_new(struct daemon *d, int fd);
/* The one close path; safe to call from the connection's own callbacks. */
void	 conn_close(struct conn *c, const char *why);
void	 conn_close_all(struct daemon *d);
/* Stop reading requests (one is waiting) / start again. */
void	 conn_pause(struct conn *c);
void	 conn_resume(struct conn *c);

/*
 * Queue one JSON message (a response or an event) with fds to pass on the
 * same datagram.  Takes ownership of the fds whatever happens.  Returns
 * -1 if the connection had to be closed.
 */
int	 conn_send(struct conn *c, const json_t *msg, const int *fds,
	     size_t nfds);

/*
 * Queue an event to send from the write callback, never closing the
 * connection from here (a stream posting events must not see its
 * connection vanish under it).  -1, the event dropped, when the
 * connection is dead or memory runs out.
 */
int	 conn_post(struct conn *c, const json_t *msg);

/* A zero-length read is either an empty datagram or the peer's close:
 * true for the close. */
bool	 peer_hung_up(int fd);

#endif
