/*
 * The socket pool (sockpool.h).  A socket made with protocol 0 and never
 * bound has no protocol hook: no frame reaches it, so one that waited in
 * the pool is the socket socket() would make now.  A type is kept ready
 * once an open has asked for it; the thread tops it up when it runs low,
 * and backs off for a second when the kernel refuses.
 */
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "closer.h"
#include "log.h"
#include "sockpool.h"
#include "worker.h"

#define POOL_SIZE	8	/* sockets ready, per type */
#define POOL_LOW	4	/* topped up below this */
#define POOL_BACKOFF_S	1	/* after socket() failed */

struct pool {
	int		 type;
	bool		 wanted;
	unsigned	 n;
	int		 fds[POOL_SIZE];
};

static struct pool	 pools[] = {
	{ .type = SOCK_RAW },
	{ .type = SOCK_DGRAM },
};
#define NPOOLS		(sizeof pools / sizeof pools[0])

static struct worker	 w = WORKER_INIT;

static struct pool *
pool_of(int type)
{
	size_t i;

	for (i = 0; i < NPOOLS; i++)
		if (pools[i].type == type)
			return &pools[i];
	return NULL;
}

/* A wanted pool below its size; with the lock held. */
static struct pool *
short_pool(void)
{
	size_t i;

	for (i = 0; i < NPOOLS; i++)
		if (pools[i].wanted && pools[i].n < POOL_SIZE)
			return &pools[i];
	return NULL;
}

static void
back_off(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += POOL_BACKOFF_S;
	while (!w.stopping && pthread_cond_timedwait(&w.cond, &w.lock,
	    &until) != ETIMEDOUT)
		;
}

static void *
pool_main(void *arg)
{
	struct pool *p;
	bool failing = false;
	int fd, type;

	pthread_mutex_lock(&w.lock);
	while (!w.stopping) {
		if ((p = short_pool()) == NULL) {
			pthread_cond_wait(&w.cond, &w.lock);
			continue;
		}
		type = p->type;
		pthread_mutex_unlock(&w.lock);
		fd = socket(AF_PACKET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd == -1 && !failing)
			log_warn("socket pool: socket(AF_PACKET): %s",
			    strerror(errno));
		failing = fd == -1;
		pthread_mutex_lock(&w.lock);
		if (fd == -1) {
			back_off();
		} else if (p->n < POOL_SIZE && !w.stopping) {
			p->fds[p->n++] = fd;
		} else {
			closer_close(fd);	/* stopping: no grace period here */
		}
	}
	pthread_mutex_unlock(&w.lock);
	return NULL;
}

int
sockpool_start(void)
{
	return worker_start(&w, pool_main);
}

void
sockpool_stop(void)
{
	size_t i;

	worker_stop(&w);
	for (i = 0; i < NPOOLS; i++) {
		while (pools[i].n > 0)
			closer_close(pools[i].fds[--pools[i].n]);
		pools[i].wanted = false;
	}
}

int
sockpool_take(int type)
{
	struct pool *p;
	int fd = -1;

	if (!w.running || (p = pool_of(type)) == NULL)
		return -1;
	pthread_mutex_lock(&w.lock);
	if (p->n > 0)
		fd = p->fds[--p->n];
	if (!p->wanted || p->n < POOL_LOW) {
		p->wanted = true;
		pthread_cond_signal(&w.cond);
	}
	pthread_mutex_unlock(&w.lock);
	return fd;
}
