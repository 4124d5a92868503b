/*
 * Receive rings (ring.h).  A job belongs to the loop and to the closer
 * thread at once; whichever lets go last frees it, unmapping a ring
 * nobody took (a client gone during the set-up).
 */
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "closer.h"
#include "log.h"
#include "ring.h"

#define RING_BLOCK_MIN	(128 * 1024)	/* bytes a block, at least */
#define RING_BLOCK_MAX	(1024 * 1024)	/* and at most */
#define RING_BLOCKS_MIN	4
#define RING_BLOCKS_FOR	16		/* blocks a ring grows to first */
#define RING_BLOCKS_MAX	1024
#define RING_FRAME	2048		/* V3 packs frames; only a unit */
#define RING_RETIRE_MS	2		/* a part-filled block goes this soon */

struct ring {
	uint8_t		*map;
	size_t		 size, bsize;
	unsigned	 nblocks, cur;
	int		 version;	/* PACKET_VERSION to restore */
};

struct ring_job {
	int		 fd;		/* a dup of the socket */
	int		 efd;
	size_t		 bytes;
	int		 version;	/* PACKET_VERSION before */
	struct ring	*ring;		/* made, not yet taken */
	int		 err;
	atomic_int	 refs;		/* the loop, the thread */
};

static void
unmap(struct ring *r)
{
	if (r == NULL)
		return;
	munmap(r->map, r->size);
	free(r);
}

static void
job_release(struct ring_job *j)
{
	if (atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	unmap(j->ring);
	close(j->efd);
	free(j);
}

/* Take the ring off and the old version back; on the closer thread. */
static void
take_off(int fd, int version)
{
	struct tpacket_req3 none = { 0 };

	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &none,
	    sizeof none) == -1 ||
	    setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version,
	    sizeof version) == -1)
		log_warn("ring: cannot take a ring off: %s", strerror(errno));
}

static int
put_on(struct ring_job *j, struct ring *r)
{
	socklen_t len = sizeof j->version;
	int v3 = TPACKET_V3;
	struct tpacket_req3 req = {
		.tp_block_size = (unsigned)r->bsize,
		.tp_block_nr = r->nblocks,
		.tp_frame_size = RING_FRAME,
		.tp_frame_nr = (unsigned)(r->bsize / RING_FRAME) * r->nblocks,
		.tp_retire_blk_tov = RING_RETIRE_MS,
	};
	struct tpacket_stats_v3 st;
	socklen_t slen = sizeof st;
	void *map;

	/* Reading the counters resets them: the ring's drops count from
	 * here, not what the socket dropped before. */
	getsockopt(j->fd, SOL_PACKET, PACKET_STATISTICS, &st, &slen);
	if (getsockopt(j->fd, SOL_PACKET, PACKET_VERSION, &j->version,
	    &len) == -1 ||
	    setsockopt(j->fd, SOL_PACKET, PACKET_VERSION, &v3,
	    sizeof v3) == -1)
		return -1;
	if (setsockopt(j->fd, SOL_PACKET, PACKET_RX_RING, &req,
	    sizeof req) == -1) {
		j->err = errno;
		setsockopt(j->fd, SOL_PACKET, PACKET_VERSION, &j->version,
		    sizeof j->version);
		errno = j->err;
		return -1;
	}
	map = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, j->fd,
	    0);
	if (map == MAP_FAILED) {
		j->err = errno;
		take_off(j->fd, j->version);
		errno = j->err;
		return -1;
	}
	r->map = map;
	return 0;
}

/*
 * Blocks grow with the ring, up to 1 MiB: the kernel wakes the reader
 * once a block, and a ring of small blocks at full rate costs the
 * sender's core a wake-up every few dozen frames (a tenth of its rate at
 * 1514 B).  A small ring keeps small blocks, so it still has several.
 */
static void
ring_size(struct ring *r, size_t bytes)
{
	r->bsize = RING_BLOCK_MIN;
	while (r->bsize < RING_BLOCK_MAX &&
	    bytes / (2 * r->bsize) >= RING_BLOCKS_FOR)
		r->bsize *= 2;
	r->nblocks = (unsigned)(bytes / r->bsize);
	if (r->nblocks < RING_BLOCKS_MIN)
		r->nblocks = RING_BLOCKS_MIN;
	if (r->nblocks > RING_BLOCKS_MAX)
		r->nblocks = RING_BLOCKS_MAX;
	r->size = (size_t)r->nblocks * r->bsize;
}

static void
setup_job(void *arg)
{
	struct ring_job *j = arg;
	uint64_t one = 1;
	struct ring *r;

	if ((r = calloc(1, sizeof *r)) == NULL) {
		j->err = ENOMEM;
	} else {
		ring_size(r, j->bytes);
		if (put_on(j, r) == 0) {
			r->version = j->version;
			j->ring = r;
		} else {
			j->err = errno;
			free(r);
		}
	}
	close(j->fd);
	if (write(j->efd, &one, sizeof one) != sizeof one)
		log_warn("ring: cannot signal a set-up: %s", strerror(errno));
	job_release(j);
}

struct ring_job *
ring_setup(int fd, size_t bytes, uid_t uid)
{
	struct ring_job *j;

	if ((j = calloc(1, sizeof *j)) == NULL)
		return NULL;
	j->bytes = bytes;
	atomic_init(&j->refs, 2);
	if ((j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		free(j);
		return NULL;
	}
	if ((j->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		close(j->efd);
		free(j);
		return NULL;
	}
	closer_run(setup_job, j, fd, uid);
	return j;
}

int
ring_job_fd(const struct ring_job *j)
{
	return j->efd;
}

struct ring *
ring_job_finish(struct ring_job *j, int *err)
{
	struct ring *r = j->ring;

	j->ring = NULL;
	*err = j->err;
	job_release(j);
	return r;
}

void
ring_job_abandon(void *j)
{
	job_release(j);
}

struct tpacket_block_desc *
ring_block(struct ring *r)
{
	struct tpacket_block_desc *b;

	b = (struct tpacket_block_desc *)(r->map + (size_t)r->cur *
	    r->bsize);
	if ((__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
	    TP_STATUS_USER) == 0)
		return NULL;
	return b;
}

void
ring_block_done(struct ring *r)
{
	struct tpacket_block_desc *b;

	b = (struct tpacket_block_desc *)(r->map + (size_t)r->cur *
	    r->bsize);
	__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL,
	    __ATOMIC_RELEASE);
	r->cur = (r->cur + 1) % r->nblocks;
}

size_t
ring_block_size(const struct ring *r)
{
	return r->bsize;
}

struct unring {
	int	fd;
	int	version;
	int	efd;		/* a dup of the caller's, or -1 */
};

static void
teardown_job(void *arg)
{
	struct unring *u = arg;
	uint64_t one = 1;

	take_off(u->fd, u->version);
	close(u->fd);
	if (u->efd != -1) {
		if (write(u->efd, &one, sizeof one) != sizeof one)
			log_warn("ring: cannot signal a take-down: %s",
			    strerror(errno));
		close(u->efd);
	}
	free(u);
}

int
ring_free(struct ring *r, int fd, uid_t uid)
{
	struct unring *u;
	int version, efd;

	if (r == NULL)
		return -1;
	version = r->version;
	unmap(r);
	if ((u = malloc(sizeof *u)) == NULL ||
	    (u->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		log_warn("ring: cannot take a ring off: %s", strerror(errno));
		free(u);
		return -1;
	}
	u->version = version;
	u->efd = -1;
	if ((efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) != -1 &&
	    (u->efd = fcntl(efd, F_DUPFD_CLOEXEC, 0)) == -1) {
		close(efd);
		efd = -1;
	}
	closer_run(teardown_job, u, fd, uid);
	return efd;
}
