/*
 * The closer: a stack of fds to close and a queue of jobs to run, guarded
 * by a mutex, taken one at a time by up to CLOSER_THREADS threads.  The
 * jobs on one socket run one at a time, in order (a ring's set-up and
 * take-down must not cross); others run side by side, their grace periods
 * overlapping, at most CLOSER_JOBS at once (threads stay free for closes)
 * and CLOSER_JOBS_UID of one uid's: a uid that queues many waits for its
 * own, not others for it.  The fds stay allocated until closed, so their
 * numbers cannot be reused by the loop while queued.  A thread that has
 * worked lingers for CLOSER_LINGER_NS before it sleeps, and looks only
 * when that ends: while one lingers, a hand-over is a mutex lock, not a
 * futex call and a context switch per request (which on this VM cost
 * more than the rest of an open).
 *
 * Most closes take a microsecond, but the last close of a packet socket
 * waits for a grace period (8-36 ms), and the daemon's close of a passed
 * socket is the last one whenever its client closed first.  A closer
 * that let fresh closes wait behind such waits would make them last ones
 * too (their clients close meanwhile), fall further behind and never
 * catch up.  So the newest close goes first; a hand-over that finds every
 * awake thread stuck (holding an item for over CLOSER_SLOW_NS) wakes
 * another; and the last free thread never takes a close that has waited
 * that long (likely a last one).  closer_pending() and
 * closer_pending_for() (what one uid's sockets left) let opens refuse
 * while the stack is deep.
 *
 * An fd a client sent (closer_close_received) may be anything, and its
 * close may wait as long as the sender likes (a file on its own FUSE
 * mount, a TCP socket lingering on a full queue: sockets get no linger
 * first); so may the close of any unix socket, which releases the fds
 * still queued in it.  Of those at most CLOSER_RECEIVED_UID of one uid's
 * and CLOSER_RECEIVED of all run at once, so the daemon's own closes and
 * jobs always have threads; they count against their uid only
 * (closer_pending_made() leaves them out).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bucket.h"
#include "closer.h"
#include "log.h"
#include "worker.h"

#define CLOSER_LINGER_NS	(500 * 1000)
#define CLOSER_THREADS		16
#define CLOSER_STACK		(64 * 1024)
#define CLOSER_SLOW_NS		(1000 * 1000)	/* a close that waits */
#define CLOSER_OWNERS		64
#define CLOSER_JOBS		8
#define CLOSER_JOBS_UID		2
#define CLOSER_RECEIVED_UID	2
#define CLOSER_RECEIVED		(CLOSER_THREADS - CLOSER_JOBS - 2)

/* A job, or an fd to close when fn is NULL. */
struct item {
	void		(*fn)(void *);
	void		*arg;
	int		 fd;
	int		 owner;		/* slot in owners[], or -1 */
	long long	 queued;	/* bucket_now_ns() */
	ino_t		 sock;		/* a job's socket */
	uid_t		 uid;		/* a job's, a received fd's sender */
	bool		 received;	/* an fd a client sent */
};

/* items[head..tail): jobs are taken at head, closes at tail. */
struct fifo {
	struct item	*items;
	size_t		 head, tail, capacity;
};

/* Everything below is under lock. */
static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 cond = PTHREAD_COND_INITIALIZER;
static bool		 running, stopping, lingering;
static struct fifo	 closes, jobs;
static struct {
	pthread_t	 thread;
	long long	 since;		/* holding an item since; 0: none */
	bool		 asleep;
	bool		 job;		/* the item held is a job */
	bool		 received;	/* ... or a received fd */
	ino_t		 sock;		/* its socket */
	uid_t		 uid;		/* its uid */
}			 threads[CLOSER_THREADS];
static int		 jobs_running;
static int		 nthreads;
/* The fds handed over per uid that asked for them; a uid past the table's
 * size goes uncounted. */
static struct {
	uid_t		 uid;
	size_t		 n;
}			 owners[CLOSER_OWNERS];
static atomic_size_t	 pending;	/* fds handed over, not yet closed */
static atomic_size_t	 pending_received;	/* of them, clients' */

static void
run_item(const struct item *it)
{
	if (it->fn != NULL) {
		it->fn(it->arg);
		return;
	}
	close(it->fd);
	if (it->owner >= 0) {
		pthread_mutex_lock(&lock);
		owners[it->owner].n--;
		pthread_mutex_unlock(&lock);
	}
	if (it->received)
		atomic_fetch_sub(&pending_received, 1);
	atomic_fetch_sub(&pending, 1);
}

/* The newest close a thread may take, as an index into closes.items, or
 * -1: a received one waits while CLOSER_RECEIVED run, or
 * CLOSER_RECEIVED_UID of its uid's.  With lock held. */
static ssize_t
next_close(void)
{
	size_t i;
	int t, of_uid, all = 0;

	for (t = 0; t < nthreads; t++)
		all += threads[t].received;
	for (i = closes.tail; i-- > 0;) {
		if (!closes.items[i].received)
			return (ssize_t)i;
		if (all >= CLOSER_RECEIVED)
			continue;
		for (t = of_uid = 0; t < nthreads; t++) {
			if (threads[t].received &&
			    threads[t].uid == closes.items[i].uid)
				of_uid++;
		}
		if (of_uid < CLOSER_RECEIVED_UID)
			return (ssize_t)i;
	}
	return -1;
}

/* Whether a thread but self is asleep or free; with lock held. */
static bool
another_free(int self)
{
	int i;

	for (i = 0; i < nthreads; i++)
		if (i != self && (threads[i].asleep || threads[i].since == 0))
			return true;
	return false;
}

/*
 * The queued job to run next, as an index into jobs.items, or -1: the
 * first whose socket has no job running and whose uid has fewer than
 * CLOSER_JOBS_UID.  It is the first of its socket's (an earlier one on
 * the socket, of the same uid, would have been as free).  With lock held.
 */
static ssize_t
next_job(void)
{
	size_t i;
	int t, of_uid;

	if (jobs_running >= CLOSER_JOBS)
		return -1;
	for (i = jobs.head; i < jobs.tail; i++) {
		for (t = of_uid = 0; t < nthreads; t++) {
			if (!threads[t].job)
				continue;
			if (threads[t].sock == jobs.items[i].sock)
				break;
			if (threads[t].uid == jobs.items[i].uid)
				of_uid++;
		}
		if (t == nthreads && of_uid < CLOSER_JOBS_UID)
			return (ssize_t)i;
	}
	return -1;
}

/*
 * Whether thread self may take an item now; with lock held.  A close
 * queued CLOSER_SLOW_NS ago or more is likely a last one (its client has
 * had time to close): the last thread free leaves it alone, for the fresh
 * ones to come.
 */
static bool
takeable(int self, long long now)
{
	ssize_t i;

	if (next_job() != -1)
		return true;
	if ((i = next_close()) == -1)
		return false;
	return stopping || now - closes.items[i].queued < CLOSER_SLOW_NS ||
	    another_free(self);
}

static bool
all_done(void)
{
	return closes.tail == 0 && jobs.head == jobs.tail && jobs_running == 0;
}

/* Thread self takes the next item: a job first, then the newest close.
 * With lock held. */
static struct item
take(int self)
{
	struct item it;
	ssize_t i;

	if ((i = next_job()) == -1) {
		i = next_close();
		it = closes.items[i];
		memmove(closes.items + i, closes.items + i + 1,
		    (closes.tail - (size_t)i - 1) * sizeof *closes.items);
		closes.tail--;
		threads[self].received = it.received;
		threads[self].uid = it.uid;
		return it;
	}
	it = jobs.items[i];
	memmove(jobs.items + i, jobs.items + i + 1, (jobs.tail - (size_t)i -
	    1) * sizeof *jobs.items);
	jobs.tail--;
	threads[self].job = true;
	threads[self].sock = it.sock;
	threads[self].uid = it.uid;
	jobs_running++;
	/* Another may run beside it: a thread awake for it. */
	if (next_job() != -1)
		pthread_cond_signal(&cond);
	return it;
}

/* Wait until deadline (bucket_now_ns()) or a signal; with lock held. */
static void
wait_until(long long deadline)
{
	struct timespec ts = { deadline / 1000000000LL,
	    deadline % 1000000000LL };

	pthread_cond_clockwait(&cond, &lock, CLOCK_MONOTONIC, &ts);
}

static void *
closer_main(void *arg)
{
	int self = (int)(intptr_t)arg;
	bool worked = false;
	long long now, deadline;
	struct item it;

	pthread_mutex_lock(&lock);
	for (;;) {
		now = bucket_now_ns();
		if (takeable(self, now)) {
			threads[self].since = now;
			it = take(self);
			pthread_mutex_unlock(&lock);
			run_item(&it);
			pthread_mutex_lock(&lock);
			threads[self].since = 0;
			worked = true;
			if (it.fn != NULL) {
				threads[self].job = false;
				jobs_running--;
				if (next_job() != -1)
					pthread_cond_signal(&cond);
			}
			/* A uid's received close may have waited for it. */
			if (it.received) {
				threads[self].received = false;
				if (next_close() != -1)
					pthread_cond_signal(&cond);
			}
			if (stopping && all_done())
				pthread_cond_broadcast(&cond);
			continue;
		}
		if (stopping && all_done())
			break;
		if (worked && !lingering && !stopping) {
			/* Free, not asleep: the hand-overs of the next
			 * CLOSER_LINGER_NS wake nobody. */
			lingering = true;
			worked = false;
			deadline = now + CLOSER_LINGER_NS;
			while (!stopping && !takeable(self, now) &&
			    now < deadline) {
				wait_until(deadline);
				now = bucket_now_ns();
			}
			lingering = false;
			continue;
		}
		threads[self].asleep = true;
		while (!takeable(self, bucket_now_ns()) &&
		    !(stopping && all_done()))
			pthread_cond_wait(&cond, &lock);
		threads[self].asleep = false;
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* After a hand-over, with lock held: see that a thread will take it soon.
 * One awake and free will; for a close, so will one busy with a close for
 * less than CLOSER_SLOW_NS (most take a microsecond).  A job is not left
 * to one: its close may be a last one, waiting out a grace period.  Else
 * wake one. */
static void
kick(long long now, bool job)
{
	bool sleeper = false;
	int i;

	for (i = 0; i < nthreads; i++) {
		if (threads[i].asleep)
			sleeper = true;
		else if (threads[i].since == 0 || (!job && !threads[i].job &&
		    now - threads[i].since < CLOSER_SLOW_NS))
			return;
	}
	if (sleeper)
		pthread_cond_signal(&cond);
}

/* All the threads start at once: starting one on demand would take the
 * loop's time when it can least spare it. */
int
closer_start(void)
{
	int saved;

	pthread_mutex_lock(&lock);
	for (nthreads = 0; nthreads < CLOSER_THREADS; nthreads++) {
		threads[nthreads].since = 0;
		threads[nthreads].asleep = threads[nthreads].job = false;
		if (worker_spawn(&threads[nthreads].thread, closer_main,
		    (void *)(intptr_t)nthreads, CLOSER_STACK) == -1)
			break;
	}
	running = nthreads > 0;
	pthread_mutex_unlock(&lock);
	if (nthreads == CLOSER_THREADS)
		return 0;
	saved = errno;
	closer_stop();
	errno = saved;
	return -1;
}

void
closer_stop(void)
{
	int i;

	if (!running)
		return;
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i].thread, NULL);
	free(closes.items);
	free(jobs.items);
	closes = jobs = (struct fifo){ NULL, 0, 0, 0 };
	nthreads = jobs_running = 0;
	running = stopping = false;
}

/* The slot counting uid's fds, taking a free one; -1 when all are taken.
 * With lock held. */
static int
owner_slot(uid_t uid, bool take)
{
	int i, free_slot = -1;

	for (i = 0; i < CLOSER_OWNERS; i++) {
		if (owners[i].n > 0 && owners[i].uid == uid)
			return i;
		if (owners[i].n == 0 && free_slot == -1)
			free_slot = i;
	}
	if (take && free_slot != -1)
		owners[free_slot].uid = uid;
	return take ? free_slot : -1;
}

/* Append it to f; -1 when memory runs out.  With lock held. */
static int
push(struct fifo *f, struct item it)
{
	struct item *n;
	size_t ncap;

	if (f->tail == f->capacity && f->head > 0) {
		memmove(f->items, f->items + f->head, (f->tail - f->head) *
		    sizeof *f->items);
		f->tail -= f->head;
		f->head = 0;
	}
	if (f->tail == f->capacity) {
		ncap = f->capacity == 0 ? 64 : f->capacity * 2;
		if ((n = realloc(f->items, ncap * sizeof *n)) == NULL)
			return -1;
		f->items = n;
		f->capacity = ncap;
	}
	f->items[f->tail++] = it;
	return 0;
}

/* Queue it (an fd charged to its uid); false when memory runs out (the
 * caller does it inline). */
static bool
enqueue(struct item it, const uid_t *uid)
{
	it.queued = bucket_now_ns();
	pthread_mutex_lock(&lock);
	if (uid != NULL && (it.owner = owner_slot(*uid, true)) != -1)
		owners[it.owner].n++;
	if (push(it.fn != NULL ? &jobs : &closes, it) == -1) {
		if (it.owner >= 0)
			owners[it.owner].n--;
		pthread_mutex_unlock(&lock);
		return false;
	}
	kick(it.queued, it.fn != NULL);
	pthread_mutex_unlock(&lock);
	return true;
}

static void
close_charged(int fd, const uid_t *uid, bool received)
{
	if (fd < 0)
		return;
	atomic_fetch_add(&pending, 1);
	if (received)
		atomic_fetch_add(&pending_received, 1);
	if (running && enqueue((struct item){ NULL, NULL, fd, -1, 0, 0,
	    uid != NULL ? *uid : 0, received }, uid))
		return;
	if (received)
		atomic_fetch_sub(&pending_received, 1);
	atomic_fetch_sub(&pending, 1);
	if (running)
		log_warn("closer: out of memory, closing fd %d inline", fd);
	close(fd);
}

void
closer_close(int fd)
{
	close_charged(fd, NULL, false);
}

/* A unix socket's close releases what is queued in it, fds its peer
 * sent among them: as slow as theirs. */
static bool
is_unix(int fd)
{
	int domain;
	socklen_t len = sizeof domain;

	return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
	    domain == AF_UNIX;
}

void
closer_close_for(int fd, uid_t uid)
{
	close_charged(fd, &uid, is_unix(fd));
}

void
closer_close_received(int fd, uid_t uid)
{
	struct linger l = { 0, 0 };

	/* A socket's close then never waits to send what it holds. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	close_charged(fd, &uid, true);
}

void
closer_run(void (*fn)(void *), void *arg, int sock, uid_t uid)
{
	struct stat st;

	if (fstat(sock, &st) == -1)
		st.st_ino = 0;		/* EBADF: not a socket anybody has */
	if (running && enqueue((struct item){ fn, arg, -1, -1, 0, st.st_ino,
	    uid, false }, NULL))
		return;
	if (running)
		log_warn("closer: out of memory, running a job inline");
	fn(arg);
}

size_t
closer_pending(void)
{
	return atomic_load(&pending);
}

size_t
closer_pending_made(void)
{
	return atomic_load(&pending) - atomic_load(&pending_received);
}

size_t
closer_pending_for(uid_t uid)
{
	size_t n = 0;
	int i;

	pthread_mutex_lock(&lock);
	if ((i = owner_slot(uid, false)) != -1)
		n = owners[i].n;
	pthread_mutex_unlock(&lock);
	return n;
}
