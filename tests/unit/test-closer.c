/*
 * Unit tests: the closer (daemon/closer.c) with real packet sockets,
 * whose last close waits for a grace period.  Many such closes at once
 * are all done soon; a quick close handed over while every other thread
 * waits (and older ones still queue) is done at once, not after them;
 * jobs run in order.  Needs CAP_NET_RAW and skips otherwise.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "bucket.h"
#include "closer.h"

#define SLOW		64	/* four times the closer's threads */
#define QUICK_UID	7
#define SLOW_UID	8
#define NJOBS		32

/* A packet socket, or -1 (and the test skipped) without the privilege. */
static int
packet_socket(void)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd == -1 && (errno == EPERM || errno == EACCES))
		return -1;
	assert_true(fd >= 0);
	return fd;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Poll until uid has nothing waiting; how long it took, in ms, or -1
 * after limit_ms. */
static long long
drained_ms(uid_t uid, long long limit_ms)
{
	long long t0 = bucket_now_ns(), ms;

	for (;;) {
		ms = (bucket_now_ns() - t0) / 1000000;
		if (closer_pending_for(uid) == 0)
			return ms;
		if (ms > limit_ms)
			return -1;
		sleep_ms(1);
	}
}

static void
test_slow_closes_and_a_quick_one(void **state)
{
	int fds[SLOW], i, keep, quick;
	long long ms;
	size_t left;

	(void)state;
	for (i = 0; i < SLOW; i++) {
		if ((fds[i] = packet_socket()) == -1) {
			while (i-- > 0)
				close(fds[i]);
			skip();
		}
	}
	assert_int_equal(closer_start(), 0);
	/* Each the last reference: every thread waits a grace period, and
	 * the rest queue past the age at which a close counts as slow. */
	for (i = 0; i < SLOW; i++)
		closer_close_for(fds[i], SLOW_UID);
	assert_int_equal(closer_pending_for(SLOW_UID), SLOW);
	sleep_ms(3);
	assert_true(closer_pending_for(SLOW_UID) > 0);
	/* Not the last reference: closes at once, ahead of the old ones. */
	keep = packet_socket();
	assert_true((quick = dup(keep)) >= 0);
	closer_close_for(quick, QUICK_UID);
	ms = drained_ms(QUICK_UID, 1000);
	left = closer_pending_for(SLOW_UID);
	print_message("quick close done in %lld ms, %zu slow ones left\n",
	    ms, left);
	assert_true(ms >= 0);
	assert_true(left > SLOW / 2);
	/* All done within a few grace periods, not SLOW of them. */
	ms = drained_ms(SLOW_UID, 5000);
	print_message("%d slow closes done in %lld ms\n", SLOW, ms);
	assert_true(ms >= 0);
	assert_int_equal(closer_pending(), 0);
	closer_close(keep);
	closer_stop();
	assert_int_equal(closer_pending(), 0);
}

struct job {
	int	*seen;		/* the ids of the jobs run, in turn */
	int	*n;
	int	 id;
};

static void
record(void *arg)
{
	struct job *j = arg;

	sleep_ms(1);	/* a job that waits: the next still waits for it */
	j->seen[(*j->n)++] = j->id;
}

static void
test_jobs_run_in_order(void **state)
{
	struct job jobs[NJOBS];
	int seen[NJOBS], n = 0, i;

	(void)state;
	assert_int_equal(closer_start(), 0);
	for (i = 0; i < NJOBS; i++) {
		jobs[i] = (struct job){ seen, &n, i };
		closer_run(record, &jobs[i]);
	}
	closer_stop();	/* runs what is queued first */
	assert_int_equal(n, NJOBS);
	for (i = 0; i < NJOBS; i++)
		assert_int_equal(seen[i], i);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slow_closes_and_a_quick_one),
		cmocka_unit_test(test_jobs_run_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
