/*
 * The closer thread: a queue of fds to close and jobs to run, guarded by
 * a mutex, drained in batches, in order.  The fds stay allocated until
 * closed, so their numbers cannot be reused by the loop while queued.
 * Once woken the thread lets a batch gather for CLOSER_GATHER_NS: the
 * loop hands over an fd per open with pass, and waking the thread for
 * each cost the loop a futex call and the machine a context switch per
 * request; while it gathers, a hand-over is a mutex lock and nothing more.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "closer.h"
#include "log.h"
#include "worker.h"

/* Small next to the grace period a packet socket's close waits anyway. */
#define CLOSER_GATHER_NS	(2 * 1000 * 1000)

static struct worker	 w = WORKER_INIT;
/* A job, or an fd to close when fn is NULL. */
struct item {
	void		(*fn)(void *);
	void		*arg;
	int		 fd;
};

static struct item	*queue;
static size_t		 queued, capacity;

static void *
closer_main(void *arg)
{
	const struct timespec gather = { 0, CLOSER_GATHER_NS };
	struct item *batch;
	size_t n, i;

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
		for (i = 0; i < n; i++) {
			if (batch[i].fn != NULL)
				batch[i].fn(batch[i].arg);
			else
				close(batch[i].fd);
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

/* Queue it; false when memory runs out (the caller does it inline). */
static bool
enqueue(struct item it)
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
	queue[queued++] = it;
	pthread_cond_signal(&w.cond);
	pthread_mutex_unlock(&w.lock);
	return true;
}

void
closer_close(int fd)
{
	if (fd < 0)
		return;
	if (w.running && enqueue((struct item){ NULL, NULL, fd }))
		return;
	if (w.running)
		log_warn("closer: out of memory, closing fd %d inline", fd);
	close(fd);
}

void
closer_run(void (*fn)(void *), void *arg)
{
	if (w.running && enqueue((struct item){ fn, arg, -1 }))
		return;
	if (w.running)
		log_warn("closer: out of memory, w.running a job inline");
	fn(arg);
}
