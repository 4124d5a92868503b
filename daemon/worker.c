/*
 * Helper threads (worker.h).
 */
#include "worker.h"

int
worker_start(struct worker *w, void *(*fn)(void *))
{
	if (pthread_create(&w->thread, NULL, fn, NULL) != 0)
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
