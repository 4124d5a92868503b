/*
 * Helper threads (worker.h).
 */
#include <errno.h>
#include <signal.h>

#include "worker.h"

int
worker_spawn(pthread_t *t, void *(*fn)(void *), void *arg, size_t stack)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int r;

	if ((r = pthread_attr_init(&attr)) != 0) {
		errno = r;
		return -1;
	}
	if (stack > 0 && (r = pthread_attr_setstacksize(&attr, stack)) != 0) {
		pthread_attr_destroy(&attr);
		errno = r;
		return -1;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(t, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		errno = r;
		return -1;
	}
	return 0;
}

int
worker_start(struct worker *w, void *(*fn)(void *))
{
	if (worker_spawn(&w->thread, fn, NULL, 0) == -1)
		return -1;
	w->running = true;
	return 0;
}

void
worker_stop(struct worker *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->running = w->stopping = false;
}
