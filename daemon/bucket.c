/*
 * Token buckets.  Tokens accrue continuously; a full bucket holds a tenth
 * of a second's worth (at least one), so a client that was idle may send a
 * short burst but never more than rate frames in a second on average.
 */
#include <sys/queue.h>

#include <stddef.h>
#include <stdlib.h>
#include <time.h>

#include "bucket.h"

struct uid_bucket {
	struct bucket		 b;		/* first: the one handed out */
	uid_t			 uid;
	unsigned		 refs;
	LIST_ENTRY(uid_bucket)	 entry;
};

static LIST_HEAD(, uid_bucket) uid_buckets = LIST_HEAD_INITIALIZER(uid_buckets);

static double
capacity(long long rate)
{
	return rate >= 10 ? (double)rate / 10 : 1;
}

unsigned
bucket_take(struct bucket *b, long long rate, unsigned want,
    long long now_ns)
{
	double cap = capacity(rate);
	unsigned n;

	if (rate <= 0)
		return want;
	if (b->last_ns == 0)
		b->tokens = cap;
	else if (now_ns > b->last_ns)
		b->tokens += (double)(now_ns - b->last_ns) * rate / 1e9;
	if (b->tokens > cap)
		b->tokens = cap;
	b->last_ns = now_ns;
	n = b->tokens >= want ? want : (unsigned)b->tokens;
	b->tokens -= n;
	return n;
}

void
bucket_refund(struct bucket *b, long long rate, unsigned n)
{
	if (rate > 0)
		b->tokens += n;
}

long long
bucket_wait_ns(const struct bucket *b, long long rate)
{
	long long ns;

	if (rate <= 0)
		return 1000000;
	ns = (long long)((1 - b->tokens) * 1e9 / rate);
	return ns < 1000000 ? 1000000 : ns;
}

long long
bucket_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct bucket *
bucket_of_uid(uid_t uid)
{
	struct uid_bucket *u;

	LIST_FOREACH(u, &uid_buckets, entry) {
		if (u->uid == uid) {
			u->refs++;
			return &u->b;
		}
	}
	if ((u = calloc(1, sizeof *u)) == NULL)
		return NULL;
	u->uid = uid;
	u->refs = 1;
	LIST_INSERT_HEAD(&uid_buckets, u, entry);
	return &u->b;
}

void
bucket_release(struct bucket *b)
{
	struct uid_bucket *u = (struct uid_bucket *)b;

	if (b == NULL || --u->refs > 0)
		return;
	LIST_REMOVE(u, entry);
	free(u);
}
