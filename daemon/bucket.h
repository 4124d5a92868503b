/*
 * A token bucket for tx_pps: frames a client may send per second, with a
 * burst of a tenth of a second's worth.  A uid has one, shared by all its
 * connections: the rule is the uid's.
 */
#ifndef BUCKET_H
#define BUCKET_H

#include <sys/types.h>

struct bucket {
	double		tokens;
	long long	last_ns;	/* CLOCK_MONOTONIC of the last refill */
};

/* How many of `want` frames may go now at `rate` per second (0: all). */
unsigned	bucket_take(struct bucket *b, long long rate, unsigned want,
		    long long now_ns);
/* Give back tokens taken but not used. */
void		bucket_refund(struct bucket *b, long long rate, unsigned n);
/* Nanoseconds until the next frame may go (at least 1 ms). */
long long	bucket_wait_ns(const struct bucket *b, long long rate);
/* uid's bucket, made on first use; every bucket_of_uid() is matched by a
 * bucket_release().  NULL when memory runs out. */
struct bucket	*bucket_of_uid(uid_t uid);
void		 bucket_release(struct bucket *b);
/* CLOCK_MONOTONIC in nanoseconds. */
long long	bucket_now_ns(void);

#endif
