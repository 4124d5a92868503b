/*
 * TPACKET_V3 receive rings for batch subscriptions (proto/PROTOCOL.md,
 * Batches): the kernel copies each frame into a block of shared memory,
 * the daemon takes whole blocks.  Putting a ring on a socket or taking it
 * off waits for an RCU grace period (8-36 ms here), so the closer does
 * both, in order, on a dup of the socket; the loop hears of a set-up
 * through an eventfd.
 */
#ifndef RING_H
#define RING_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <linux/if_packet.h>

struct ring;
struct ring_job;

/* Start putting a ring of about bytes on packet socket fd, uid's.  NULL
 * (errno) when it cannot even start. */
struct ring_job	*ring_setup(int fd, size_t bytes, uid_t uid);
/* Readable once the set-up is done. */
int		 ring_job_fd(const struct ring_job *j);
/* The ring, or NULL with *err set; frees the job. */
struct ring	*ring_job_finish(struct ring_job *j, int *err);
/* Forget a job (a void * for request state_free): what it made is undone
 * when it ends. */
void		 ring_job_abandon(void *j);

/* The block the kernel handed over, in order, or NULL. */
struct tpacket_block_desc *ring_block(struct ring *r);
/* Give the current block back and move to the next. */
void		 ring_block_done(struct ring *r);
/* The bytes of the ring's blocks. */
size_t		 ring_block_size(const struct ring *r);

/* Unmap r and take it off fd, uid's (off the loop: dups fd), so the
 * socket reads through recv() again.  An eventfd, readable once the ring
 * is off, for the caller to close; -1 when there was none or nobody can
 * tell. */
int		 ring_free(struct ring *r, int fd, uid_t uid);

#endif
