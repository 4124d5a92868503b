/*
 * The daemon's event loop, optionally busy-polling after requests.
 */
#ifndef LOOP_H
#define LOOP_H

#include "daemon.h"

#define LOOP_BUSY_POLL_MAX_US	1000

/* Run until event_base_loopexit/loopbreak; returns as event_base_dispatch
 * (0 told to stop, 1 no events left, -1 error).  busy_poll_us 0:
 * libevent's plain loop. */
int	loop_run(struct daemon *d, unsigned busy_poll_us);

#endif
