/*
 * The resolver pool: getaddrinfo and getnameinfo run on a few worker
 * threads so a look-up that waits 30 s for a DNS server never stalls the
 * event loop.  A job's eventfd turns readable when it is done; the op
 * parks on it.  Jobs are bounded per uid and in all, and a uid runs at
 * most RESOLVE_RUNNING_UID at once: slow look-ups of a few uids leave
 * threads for the others.
 */
#ifndef RESOLVE_H
#define RESOLVE_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netdb.h>

#include "error.h"

#define RESOLVE_THREADS		16	/* workers, started on demand */
#define RESOLVE_PER_UID		4	/* a uid's jobs queued or running */
#define RESOLVE_RUNNING_UID	2	/* of them, running at once */
#define RESOLVE_MAX_JOBS	64	/* all jobs queued or running */

struct resolve_job;

/*
 * Queue getaddrinfo(node, service, hints) (node or service may be NULL;
 * hints' ai_flags/family/socktype/protocol are used) or getnameinfo for
 * uid.  Returns the job, or NULL with e set: quota past RESOLVE_PER_UID,
 * EAI_AGAIN past RESOLVE_MAX_JOBS, an errno when out of resources.
 */
struct resolve_job *resolve_getaddrinfo(uid_t uid, const char *node,
		     const char *service, const struct addrinfo *hints,
		     struct rs_error *e);
struct resolve_job *resolve_getnameinfo(uid_t uid, const struct sockaddr *sa,
		     socklen_t len, int flags, struct rs_error *e);

/* Readable (EV_READ) once the job is done. */
int		 resolve_fd(const struct resolve_job *j);
/*
 * The outcome of a done job: 0, or the EAI_* value with e set (EAI name,
 * gai_strerror text).  Results stay valid until resolve_release.
 */
int		 resolve_result(const struct resolve_job *j, struct rs_error *e);
const struct addrinfo *resolve_addrinfo(const struct resolve_job *j);
const char	*resolve_host(const struct resolve_job *j);
const char	*resolve_serv(const struct resolve_job *j);

/*
 * The loop is done with j, finished or not (a client gone mid-look-up):
 * a queued job is dropped, a running one is freed by its worker.
 * Takes a void * to serve as a request's state_free.
 */
void		 resolve_release(void *j);

#endif
