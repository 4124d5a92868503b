/*
 * The benchmark clients' subscription set-up and the daemon's counters
 * (see client.h).
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>

#include "client.h"
#include "rawsock.h"

int
bench_subscribe(struct rs_conn *c, const char *ifname, const char *protocol,
    size_t queue_bytes, size_t snaplen, bool batch, int *handle)
{
	char params[256];
	int ch;

	snprintf(params, sizeof params, "{\"domain\":\"AF_PACKET\","
	    "\"type\":\"SOCK_RAW\",\"protocol\":%s,\"ifname\":\"%s\"}",
	    protocol, ifname);
	if ((*handle = rs_open_json(c, params)) == -1)
		errx(1, "open: %s", rs_last_error(c));
	ch = batch ? rs_subscribe_batch(c, *handle, queue_bytes, snaplen) :
	    rs_subscribe(c, *handle, queue_bytes, snaplen);
	if (ch == -1)
		errx(1, "subscribe: %s", rs_last_error(c));
	return ch;
}

void
bench_print_stats(struct rs_conn *c, int handle)
{
	char req[64], *resp;

	snprintf(req, sizeof req, "{\"op\":\"stats\",\"handle\":%d}", handle);
	if ((resp = rs_call_json(c, req, NULL, NULL)) == NULL)
		errx(1, "stats: %s", rs_last_error(c));
	printf("{\"stats\":%s}\n", resp);
	fflush(stdout);
	free(resp);
}
