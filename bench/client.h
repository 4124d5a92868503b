/*
 * What the benchmark clients of the daemon share: a managed packet socket
 * with a binary subscription, and the daemon's counters for it.
 */
#ifndef BENCH_CLIENT_H
#define BENCH_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct rs_conn;

/* What every subscribing client takes: -p socket -i ifname
 * [-q queue_bytes] [-B: batches]. */
struct bench_sub_opts {
	const char	*path;
	const char	*ifname;
	size_t		 queue_bytes;
	bool		 batch;
	bool		 send_only;	/* -O: rs_subscribe_send() */
};
#define BENCH_SUB_OPTS	"BOp:i:q:"
/* 1 if ch was one of them; 0 if not. */
int	bench_sub_opt(struct bench_sub_opts *, int ch, const char *arg);
/* Whether -p and -i were given. */
bool	bench_sub_opts_complete(const struct bench_sub_opts *);

/* Open a managed packet socket on o->ifname for protocol (JSON:
 * "ETH_P_ALL" or 0) and subscribe to it on c; returns the channel, sets
 * *handle.  Exits on failure with the daemon's message. */
int	bench_subscribe(struct rs_conn *c, const struct bench_sub_opts *o,
	    const char *protocol, size_t snaplen, int *handle);
/* Print the daemon's stats response for handle as one JSON line
 * {"stats": ...}. */
void	bench_print_stats(struct rs_conn *, int handle);

#endif
