/*
 * What the benchmark clients of the daemon share: a managed packet socket
 * with a binary subscription, and the daemon's counters for it.
 */
#ifndef BENCH_CLIENT_H
#define BENCH_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct rs_conn;

/* Open a managed packet socket on ifname for protocol (JSON: "ETH_P_ALL"
 * or 0) and subscribe to it, in batches or not; returns the channel, sets *handle.  Exits on
 * failure with the daemon's message. */
int	bench_subscribe(struct rs_conn *, const char *ifname,
	    const char *protocol, size_t queue_bytes, size_t snaplen,
	    bool batch, int *handle);
/* Print the daemon's stats response for handle as one JSON line
 * {"stats": ...}. */
void	bench_print_stats(struct rs_conn *, int handle);

#endif
