/*
 * The event loop.  Plainly, libevent's: it sleeps in epoll_wait whenever
 * nothing is ready.  With a busy-poll budget, a wake-up that brought a
 * request is followed by polling without sleeping until budget us pass
 * with no new request, so a client's next request finds the daemon awake
 * instead of paying for an idle CPU's wake-up (tens of us on a VM).  The
 * polling is bounded: at most the budget after each request, and an idle
 * daemon sleeps as before.  Wake-ups without a request (frames, timers)
 * never poll.
 */
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "bucket.h"
#include "loop.h"

static bool
loop_done(struct event_base *base)
{
	return event_base_got_exit(base) || event_base_got_break(base);
}

int
loop_run(struct daemon *d, unsigned busy_poll_us)
{
	long long budget_ns = busy_poll_us * 1000LL, last = 0;
	uint64_t seen = d->stats.requests;
	bool polling;
	int r;

	if (busy_poll_us == 0)
		return event_base_dispatch(d->base);
	for (;;) {
		polling = bucket_now_ns() - last < budget_ns;
		r = event_base_loop(d->base, polling ? EVLOOP_NONBLOCK :
		    EVLOOP_ONCE);
		if (r != 0 || loop_done(d->base))
			return r;
		if (d->stats.requests != seen) {
			seen = d->stats.requests;
			last = bucket_now_ns();
		} else if (polling)
			sched_yield();	/* whoever shares this CPU goes first */
	}
}
