/*
 * The resolver pool.  One mutex guards the queue, the per-uid counts and
 * every job's state.  A job belongs to the loop until it is queued, to
 * the queue, then to a worker while it runs, then to the loop again once
 * its eventfd is written; a job the loop released while it ran is freed
 * by its worker instead, so a client that leaves mid-look-up costs
 * nothing after the look-up ends.  Workers are detached and started on
 * demand: at exit a worker may still sit in a 30 s look-up, and nothing
 * waits for it.
 */
#include <sys/eventfd.h>
#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "resolve.h"
#include "worker.h"

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct resolve_job {
	TAILQ_ENTRY(resolve_job) entry;
	enum job_state		 state;
	bool			 released;	/* the loop is gone */
	bool			 reverse;	/* getnameinfo */
	uid_t			 uid;
	int			 efd;
	/* getaddrinfo */
	char			*node, *service;
	struct addrinfo		 hints;
	struct addrinfo		*res;
	/* getnameinfo */
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 flags;
	char			 host[NI_MAXHOST], serv[NI_MAXSERV];
	/* outcome */
	int			 rc, err;
};

struct uid_count {
	uid_t		 uid;
	unsigned	 n;		/* 0: free slot */
	unsigned	 running;
};

static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 cond = PTHREAD_COND_INITIALIZER;
static TAILQ_HEAD(, resolve_job) queue = TAILQ_HEAD_INITIALIZER(queue);
static unsigned		 njobs, nqueued, nthreads, nidle;
static struct uid_count	 uids[RESOLVE_MAX_JOBS];

/* The count slot of uid, or a free one when create; NULL otherwise. */
static struct uid_count *
uid_slot(uid_t uid, bool create)
{
	struct uid_count *free_slot = NULL;
	size_t i;

	for (i = 0; i < RESOLVE_MAX_JOBS; i++) {
		if (uids[i].n > 0 && uids[i].uid == uid)
			return &uids[i];
		if (uids[i].n == 0 && free_slot == NULL)
			free_slot = &uids[i];
	}
	if (!create || free_slot == NULL)
		return NULL;
	free_slot->uid = uid;
	return free_slot;
}

/* Free a job that was never queued (or whose counts are given back). */
static void
job_discard(struct resolve_job *j)
{
	if (j->res != NULL)
		freeaddrinfo(j->res);
	close(j->efd);
	free(j->node);
	free(j->service);
	free(j);
}

/* Free a queued job and give its uid's slot back; lock held. */
static void
job_free(struct resolve_job *j)
{
	struct uid_count *u;

	if ((u = uid_slot(j->uid, false)) != NULL)
		u->n--;
	njobs--;
	job_discard(j);
}

static void
job_run(struct resolve_job *j)
{
	errno = 0;
	if (j->reverse)
		j->rc = getnameinfo((struct sockaddr *)&j->ss, j->sslen,
		    j->host, sizeof j->host, j->serv, sizeof j->serv,
		    j->flags);
	else
		j->rc = getaddrinfo(j->node, j->service, &j->hints, &j->res);
	j->err = errno;
}

/* The first queued job whose uid runs fewer than RESOLVE_RUNNING_UID;
 * lock held. */
static struct resolve_job *
next_job(void)
{
	struct resolve_job *j;
	struct uid_count *u;

	TAILQ_FOREACH(j, &queue, entry) {
		if ((u = uid_slot(j->uid, false)) == NULL ||
		    u->running < RESOLVE_RUNNING_UID)
			return j;
	}
	return NULL;
}

static void *
worker_main(void *arg)
{
	struct resolve_job *j;
	struct uid_count *u;
	uint64_t one = 1;

	pthread_mutex_lock(&lock);
	for (;;) {
		while ((j = next_job()) == NULL) {
			nidle++;
			pthread_cond_wait(&cond, &lock);
			nidle--;
		}
		TAILQ_REMOVE(&queue, j, entry);
		nqueued--;
		j->state = JOB_RUNNING;
		if ((u = uid_slot(j->uid, false)) != NULL)
			u->running++;
		pthread_mutex_unlock(&lock);
		job_run(j);
		pthread_mutex_lock(&lock);
		j->state = JOB_DONE;
		if ((u = uid_slot(j->uid, false)) != NULL)
			u->running--;
		/* A job of this uid held back may run now. */
		if (nqueued > 0)
			pthread_cond_broadcast(&cond);
		if (j->released)
			job_free(j);
		else if (write(j->efd, &one, sizeof one) != sizeof one)
			log_warn("resolver: cannot signal a job: %s",
			    strerror(errno));
	}
	return NULL;
}

/* One more worker while queued jobs outnumber the idle ones (an idle one
 * counts as idle until it wakes: two jobs queued in one pass must not
 * both count on it); lock held. */
static void
spawn_worker(void)
{
	pthread_t t;

	if (nqueued <= nidle || nthreads >= RESOLVE_THREADS)
		return;
	if (worker_spawn(&t, worker_main, NULL, 0) == 0) {
		pthread_detach(t);
		nthreads++;
	} else if (nthreads == 0)
		log_warn("resolver: cannot start a worker: %s", strerror(errno));
}

/* Allocate a job for uid within the limits; NULL with e set. */
static struct resolve_job *
job_new(uid_t uid, struct rs_error *e)
{
	struct resolve_job *j;

	if ((j = calloc(1, sizeof *j)) == NULL) {
		rs_error_set(e, RS_E_ERRNO, ENOMEM, "out of memory");
		return NULL;
	}
	j->uid = uid;
	if ((j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		rs_error_errno(e, errno, "resolver eventfd");
		free(j);
		return NULL;
	}
	return j;
}

/* Queue j (taking it) unless a limit is reached; NULL with e set. */
static struct resolve_job *
job_queue(struct resolve_job *j, struct rs_error *e)
{
	struct uid_count *u;

	pthread_mutex_lock(&lock);
	if (njobs >= RESOLVE_MAX_JOBS) {
		pthread_mutex_unlock(&lock);
		rs_error_set(e, RS_E_EAI, EAI_AGAIN, "%s (%d look-ups pending "
		    "in the daemon)", gai_strerror(EAI_AGAIN),
		    RESOLVE_MAX_JOBS);
		goto fail;
	}
	u = uid_slot(j->uid, true);
	if (u->n >= RESOLVE_PER_UID) {
		pthread_mutex_unlock(&lock);
		rs_error_set(e, RS_E_QUOTA, 0, "uid %u already has %d look-ups "
		    "in progress", (unsigned)j->uid, RESOLVE_PER_UID);
		goto fail;
	}
	u->n++;
	njobs++;
	j->state = JOB_QUEUED;
	TAILQ_INSERT_TAIL(&queue, j, entry);
	nqueued++;
	spawn_worker();
	if (nthreads == 0) {
		TAILQ_REMOVE(&queue, j, entry);
		nqueued--;
		job_free(j);
		pthread_mutex_unlock(&lock);
		rs_error_set(e, RS_E_ERRNO, EAGAIN, "no resolver thread");
		return NULL;
	}
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	return j;
fail:
	job_discard(j);
	return NULL;
}

struct resolve_job *
resolve_getaddrinfo(uid_t uid, const char *node, const char *service,
    const struct addrinfo *hints, struct rs_error *e)
{
	struct resolve_job *j;

	if ((j = job_new(uid, e)) == NULL)
		return NULL;
	j->hints.ai_flags = hints->ai_flags;
	j->hints.ai_family = hints->ai_family;
	j->hints.ai_socktype = hints->ai_socktype;
	j->hints.ai_protocol = hints->ai_protocol;
	if ((node != NULL && (j->node = strdup(node)) == NULL) ||
	    (service != NULL && (j->service = strdup(service)) == NULL)) {
		rs_error_set(e, RS_E_ERRNO, ENOMEM, "out of memory");
		job_discard(j);
		return NULL;
	}
	return job_queue(j, e);
}

struct resolve_job *
resolve_getnameinfo(uid_t uid, const struct sockaddr *sa, socklen_t len,
    int flags, struct rs_error *e)
{
	struct resolve_job *j;

	if (len > sizeof j->ss) {
		rs_error_set(e, RS_E_BAD_REQUEST, 0, "address: too long");
		return NULL;
	}
	if ((j = job_new(uid, e)) == NULL)
		return NULL;
	j->reverse = true;
	memcpy(&j->ss, sa, len);
	j->sslen = len;
	j->flags = flags;
	return job_queue(j, e);
}

int
resolve_fd(const struct resolve_job *j)
{
	return j->efd;
}

int
resolve_result(const struct resolve_job *j, struct rs_error *e)
{
	/* The lock orders the worker's writes before these reads. */
	pthread_mutex_lock(&lock);
	pthread_mutex_unlock(&lock);
	if (j->rc == 0)
		return 0;
	if (j->rc == EAI_SYSTEM)
		rs_error_set(e, RS_E_EAI, j->rc, "%s: %s", gai_strerror(j->rc),
		    strerror(j->err));
	else
		rs_error_set(e, RS_E_EAI, j->rc, "%s", gai_strerror(j->rc));
	return j->rc;
}

const struct addrinfo *
resolve_addrinfo(const struct resolve_job *j)
{
	return j->res;
}

const char *
resolve_host(const struct resolve_job *j)
{
	return j->host;
}

const char *
resolve_serv(const struct resolve_job *j)
{
	return j->serv;
}

void
resolve_release(void *arg)
{
	struct resolve_job *j = arg;

	pthread_mutex_lock(&lock);
	switch (j->state) {
	case JOB_QUEUED:
		TAILQ_REMOVE(&queue, j, entry);
		nqueued--;
		job_free(j);
		break;
	case JOB_RUNNING:
		j->released = true;
		break;
	case JOB_DONE:
		job_free(j);
		break;
	}
	pthread_mutex_unlock(&lock);
}
