/*
 * Unit tests: the closer (daemon/closer.c) with real packet sockets,
 * whose last close waits for a grace period.  Many such closes at once
 * are all done soon; a quick close handed over while every other thread
 * waits (and older ones still queue) is done at once, not after them;
 * the jobs on one socket run in order, one at a time; a uid's queue of
 * jobs delays its own, not another's; a job does not wait behind a close
 * that waits out a grace period.  The close tests need CAP_NET_RAW
 * and skip otherwise.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
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
	int		*seen;		/* the ids of the jobs run, in turn */
	atomic_int	*n;
	int		 id;
	long		 ms;		/* how long it waits */
	long long	 done;		/* bucket_now_ns() when it ended */
};

static atomic_int	 now_running, most_running;

static void
record(void *arg)
{
	struct job *j = arg;
	int r = atomic_fetch_add(&now_running, 1) + 1, m;

	m = atomic_load(&most_running);
	while (r > m && !atomic_compare_exchange_weak(&most_running, &m, r))
		;
	sleep_ms(j->ms);	/* a job that waits, as a grace period does */
	j->seen[atomic_fetch_add(j->n, 1)] = j->id;
	j->done = bucket_now_ns();
	atomic_fetch_sub(&now_running, 1);
}

static void
test_jobs_on_one_socket_run_in_order(void **state)
{
	struct job jobs[NJOBS];
	int seen[NJOBS], fd[2], i;
	atomic_int n = 0;

	(void)state;
	assert_int_equal(pipe(fd), 0);
	atomic_store(&most_running, 0);
	assert_int_equal(closer_start(), 0);
	for (i = 0; i < NJOBS; i++) {
		jobs[i] = (struct job){ seen, &n, i, 1, 0 };
		closer_run(record, &jobs[i], fd[0], QUICK_UID);
	}
	closer_stop();	/* runs what is queued first */
	assert_int_equal(atomic_load(&n), NJOBS);
	for (i = 0; i < NJOBS; i++)
		assert_int_equal(seen[i], i);
	assert_int_equal(atomic_load(&most_running), 1);
	close(fd[0]);
	close(fd[1]);
}

/*
 * One uid queues NJOBS slow jobs, each on its own socket, then another
 * uid one: the other's is done after about one job's wait, not after the
 * queue ahead of it; the first uid's run side by side, but never more
 * than two at once.
 */
static void
test_a_uid_waits_for_its_own_jobs(void **state)
{
	struct job jobs[NJOBS + 1];
	int seen[NJOBS + 1], fds[NJOBS + 1][2], i;
	atomic_int n = 0;
	long long t0, other_ms, all_ms;

	(void)state;
	for (i = 0; i <= NJOBS; i++)
		assert_int_equal(pipe(fds[i]), 0);
	atomic_store(&most_running, 0);
	assert_int_equal(closer_start(), 0);
	t0 = bucket_now_ns();
	for (i = 0; i <= NJOBS; i++) {
		jobs[i] = (struct job){ seen, &n, i, 20, 0 };
		closer_run(record, &jobs[i], fds[i][0], i < NJOBS ? SLOW_UID :
		    QUICK_UID);
	}
	closer_stop();
	assert_int_equal(atomic_load(&n), NJOBS + 1);
	other_ms = (jobs[NJOBS].done - t0) / 1000000;
	for (i = 0, all_ms = 0; i < NJOBS; i++)
		if ((jobs[i].done - t0) / 1000000 > all_ms)
			all_ms = (jobs[i].done - t0) / 1000000;
	print_message("the other uid's job done in %lld ms, %d of one uid's "
	    "in %lld ms, at most %d at once\n", other_ms, NJOBS, all_ms,
	    atomic_load(&most_running));
	/* Serialized, the other would wait NJOBS * 20 ms = 640 ms. */
	assert_true(other_ms < 200);
	assert_true(all_ms >= NJOBS / 2 * 20);
	assert_int_equal(atomic_load(&most_running), 3);
	for (i = 0; i <= NJOBS; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
}

static void
stamp(void *arg)
{
	atomic_store((atomic_llong *)arg, bucket_now_ns());
}

/*
 * A job handed over while the one thread awake waits out a last close's
 * grace period runs at once on another, not after the close (8-36 ms).
 */
static void
test_a_job_does_not_wait_behind_a_slow_close(void **state)
{
	struct timespec ts = { 0, 600 * 1000 };
	atomic_llong started = 0;
	long long t0;
	int fd, pipefd[2];

	(void)state;
	if ((fd = packet_socket()) == -1)
		skip();
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(closer_start(), 0);
	sleep_ms(20);		/* every thread asleep */
	closer_close(fd);	/* the last reference: a grace period */
	nanosleep(&ts, NULL);	/* a thread has it */
	t0 = bucket_now_ns();
	closer_run(stamp, &started, pipefd[0], QUICK_UID);
	/* Not closer_stop() yet: it wakes every thread. */
	while (atomic_load(&started) == 0 && bucket_now_ns() - t0 <
	    100 * 1000 * 1000)
		sleep_ms(1);
	closer_stop();
	print_message("the job started %lld us after it was handed over\n",
	    (atomic_load(&started) - t0) / 1000);
	assert_true(atomic_load(&started) > 0);
	assert_true(atomic_load(&started) - t0 < 2 * 1000 * 1000);
	close(pipefd[0]);
	close(pipefd[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slow_closes_and_a_quick_one),
		cmocka_unit_test(test_jobs_on_one_socket_run_in_order),
		cmocka_unit_test(test_a_uid_waits_for_its_own_jobs),
		cmocka_unit_test(test_a_job_does_not_wait_behind_a_slow_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
