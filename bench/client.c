/*
 * The benchmark clients' subscription set-up and the daemon's counters
 * (see client.h).
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "client.h"
#include "rawsock.h"

int
bench_sub_opt(struct bench_sub_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case 'B':
		o->batch = true;
		return 1;
	case 'O':
		o->send_only = true;
		return 1;
	case 'p':
		o->path = arg;
		return 1;
	case 'i':
		o->ifname = arg;
		return 1;
	case 'q':
		o->queue_bytes = bench_arg_num("-q", arg, 0, 1ul << 30);
		return 1;
	}
	return 0;
}

bool
bench_sub_opts_complete(const struct bench_sub_opts *o)
{
	return o->path != NULL && o->ifname != NULL;
}

int
bench_subscribe(struct rs_conn *c, const struct bench_sub_opts *o,
    const char *protocol, size_t snaplen, int *handle)
{
	char params[256];
	int ch;

	snprintf(params, sizeof params, "{\"domain\":\"AF_PACKET\","
	    "\"type\":\"SOCK_RAW\",\"protocol\":%s,\"ifname\":\"%s\"}",
	    protocol, o->ifname);
	if ((*handle = rs_open_json(c, params)) == -1)
		errx(1, "open: %s", rs_last_error(c));
	if (o->send_only)
		ch = rs_subscribe_send(c, *handle, o->batch);
	else if (o->batch)
		ch = rs_subscribe_batch(c, *handle, o->queue_bytes, snaplen);
	else
		ch = rs_subscribe(c, *handle, o->queue_bytes, snaplen);
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
