/*
 * Helper threads.  A worker has its own lock and condition, is started
 * once and stopped by the loop: the socket pool is one.  worker_spawn
 * starts any thread (resolvers, closers) with the loop's signals
 * blocked.
 */
#ifndef WORKER_H
#define WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct worker {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	pthread_t	 thread;
	bool		 running;
	bool		 stopping;	/* read by fn with lock held */
};

#define WORKER_INIT { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, \
	0, false, false }

/* Run fn(NULL) on a new thread; -1 (errno) when it cannot start. */
int	worker_start(struct worker *w, void *(*fn)(void *));
/* Set stopping, wake the thread and wait for fn to return. */
void	worker_stop(struct worker *w);
/* Start fn(arg) on a thread that takes no signals (they are the loop's),
 * with a stack of stack bytes (0: the default); -1 (errno) on failure. */
int	worker_spawn(pthread_t *t, void *(*fn)(void *), void *arg,
	    size_t stack);

#endif
