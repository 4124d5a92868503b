/*
 * The daemon's shared state: the event base, the policy in force, the
 * connections and the counters.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

struct conn;
struct event;
struct event_base;
struct evconnlistener;
struct policy;

/* Counters kept per daemon, per connection and (later) per handle. */
struct stats {
	uint64_t	requests;
	uint64_t	errors;
	uint64_t	bad_requests;
	uint64_t	fds_rejected;
	uint64_t	frames_in;
	uint64_t	bytes_in;
	uint64_t	frames_out;
	uint64_t	bytes_out;
	uint64_t	drops_queue;
	uint64_t	drops_kernel;
	uint64_t	tx_rejected;	/* frames refused on a channel */
};

struct daemon {
	struct event_base	*base;
	struct policy		*policy;
	const char		*policy_path;

	struct evconnlistener	*listener;
	struct event		*accept_retry;	/* EMFILE back-off */
	char			*socket_path;	/* unlinked at exit; NULL if inherited */

	TAILQ_HEAD(, conn)	 conns;
	unsigned		 nconns;
	uint64_t		 next_conn_id;
	uint64_t		 clients_total;
	unsigned		 sockets_open;
	struct stats		 stats;

	char			*rxbuf;		/* one request, shared by all connections */
};

#endif
