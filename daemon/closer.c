/*
 * The closer thread: a queue of fds to close and jobs to run, guarded by
 * a mutex, drained in batches, in order.  The fds stay allocated until
 * closed, so their numbers cannot be reused by the loop while queued.
 * Once woken the thread lets a batch gather for CLOSER_GATHER_NS: while
 * it gathers, a hand-over is a mutex lock, not a futex call and a context
 * switch per request.  The gather is short because the daemon's close of
 * a passed socket is the last one whenever its client closed first, and
 * the last close of a packet socket waits for a grace period (8-36 ms):
 * a closer that falls behind a client opening and closing fast makes
 * every close of its the last, falls further behind, and the queue grows
 * without end.  So a run of fds goes to up to CLOSER_THREADS threads at
 * once, whose waits share grace periods, as soon as one close of the run
 * is seen to wait; and closer_pending() and closer_pending_for() (what
 * one uid's sockets left) let opens refuse while the queue is long.
 */
#include <sys/types.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bucket.h"
#include "closer.h"
#include "log.h"
#include "worker.h"

#define CLOSER_GATHER_NS	(100 * 1000)
#define CLOSER_THREADS		16
#define CLOSER_STACK		(64 * 1024)
#define CLOSER_SLOW_NS		(1000 * 1000)	/* a close that waited */
#define CLOSER_OWNERS		64

static struct worker	 w = WORKER_INIT;
/* A job, or an fd to close when fn is NULL. */
struct item {
	void		(*fn)(void *);
	void		*arg;
	int		 fd;
	int		 owner;		/* slot in owners[], or -1 */
};

static struct item	*queue;
static size_t		 queued, capacity;
static atomic_size_t	 pending;	/* fds handed over, not yet closed */
/* The same per uid that asked for them, under w.lock; a uid past the
 * table's size goes uncounted. */
static struct {
	uid_t		 uid;
	size_t		 n;
}			 owners[CLOSER_OWNERS];

struct slice {
	struct item	*items;
	size_t		 n, first, step;
};

static void
close_fd(const struct item *it)
{
	close(it->fd);
	if (it->owner >= 0) {
		pthread_mutex_lock(&w.lock);
		owners[it->owner].n--;
		pthread_mutex_unlock(&w.lock);
	}
	atomic_fetch_sub(&pending, 1);
}

static void *
close_slice(void *arg)
{
	struct slice *sl = arg;
	size_t i;

	for (i = sl->first; i < sl->n; i += sl->step)
		close_fd(&sl->items[i]);
	return NULL;
}

/* Close the fds of n items on up to CLOSER_THREADS threads at once. */
static void
close_parallel(struct item *items, size_t n)
{
	pthread_t th[CLOSER_THREADS];
	struct slice sl[CLOSER_THREADS];
	bool started[CLOSER_THREADS];
	size_t i, nth = n < CLOSER_THREADS ? n : CLOSER_THREADS;

	for (i = 0; i < nth; i++) {
		sl[i] = (struct slice){ items, n, i, nth };
		started[i] = nth > 1 && worker_spawn(&th[i], close_slice,
		    &sl[i], CLOSER_STACK) == 0;
		if (!started[i])
			close_slice(&sl[i]);
	}
	for (i = 0; i < nth; i++)
		if (started[i])
			pthread_join(th[i], NULL);
}

/*
 * Close the fds of n items.  Most closes are not the last reference and
 * take a microsecond: one after the other.  Once one waits for a grace
 * period, the rest of the run likely will too: they go in parallel.
 */
static void
close_run(struct item *items, size_t n)
{
	long long t0;
	size_t i;

	for (i = 0; i < n; i++) {
		t0 = bucket_now_ns();
		close_fd(&items[i]);
		if (bucket_now_ns() - t0 > CLOSER_SLOW_NS && i + 1 < n) {
			close_parallel(items + i + 1, n - i - 1);
			break;
		}
	}
}

static void *
closer_main(void *arg)
{
	const struct timespec gather = { 0, CLOSER_GATHER_NS };
	struct item *batch;
	size_t n, i, run;

	pthread_mutex_lock(&w.lock);
	for (;;) {
		while (queued == 0 && !w.stopping)
			pthread_cond_wait(&w.cond, &w.lock);
		if (queued == 0 && w.stopping)
			break;
		if (!w.stopping) {
			pthread_mutex_unlock(&w.lock);
			nanosleep(&gather, NULL);
			pthread_mutex_lock(&w.lock);
		}
		batch = queue;
		n = queued;
		queue = NULL;
		queued = capacity = 0;
		pthread_mutex_unlock(&w.lock);
		for (i = 0; i < n; i += run) {
			for (run = 0; i + run < n && batch[i + run].fn == NULL;
			    run++)
				;
			if (run > 0) {
				close_run(&batch[i], run);
			} else {
				batch[i].fn(batch[i].arg);
				run = 1;
			}
		}
		free(batch);
		pthread_mutex_lock(&w.lock);
	}
	pthread_mutex_unlock(&w.lock);
	return NULL;
}

int
closer_start(void)
{
	return worker_start(&w, closer_main);
}

void
closer_stop(void)
{
	worker_stop(&w);
}

/* The slot counting uid's fds, taking a free one; -1 when all are taken.
 * With w.lock held. */
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

/* Queue it (an fd charged to its uid); false when memory runs out (the
 * caller does it inline). */
static bool
enqueue(struct item it, const uid_t *uid)
{
	struct item *nq;
	size_t ncap;

	pthread_mutex_lock(&w.lock);
	if (queued == capacity) {
		ncap = capacity == 0 ? 64 : capacity * 2;
		if ((nq = realloc(queue, ncap * sizeof *nq)) == NULL) {
			pthread_mutex_unlock(&w.lock);
			return false;
		}
		queue = nq;
		capacity = ncap;
	}
	if (uid != NULL && (it.owner = owner_slot(*uid, true)) != -1)
		owners[it.owner].n++;
	queue[queued++] = it;
	pthread_cond_signal(&w.cond);
	pthread_mutex_unlock(&w.lock);
	return true;
}

static void
close_charged(int fd, const uid_t *uid)
{
	if (fd < 0)
		return;
	atomic_fetch_add(&pending, 1);
	if (w.running && enqueue((struct item){ NULL, NULL, fd, -1 }, uid))
		return;
	atomic_fetch_sub(&pending, 1);
	if (w.running)
		log_warn("closer: out of memory, closing fd %d inline", fd);
	close(fd);
}

void
closer_close(int fd)
{
	close_charged(fd, NULL);
}

void
closer_close_for(int fd, uid_t uid)
{
	close_charged(fd, &uid);
}

void
closer_run(void (*fn)(void *), void *arg)
{
	if (w.running && enqueue((struct item){ fn, arg, -1, -1 }, NULL))
		return;
	if (w.running)
		log_warn("closer: out of memory, running a job inline");
	fn(arg);
}

size_t
closer_pending(void)
{
	return atomic_load(&pending);
}

size_t
closer_pending_for(uid_t uid)
{
	size_t n = 0;
	int i;

	pthread_mutex_lock(&w.lock);
	if ((i = owner_slot(uid, false)) != -1)
		n = owners[i].n;
	pthread_mutex_unlock(&w.lock);
	return n;
}
