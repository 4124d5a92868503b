/*
 * The closer: threads that close socket fds for the event loop.  Closing
 * an AF_PACKET socket waits for an RCU grace period (8-36 ms here), so the
 * loop never closes a socket itself.  Other socket work that waits for
 * one (setting up a packet ring, taking it down) runs there too: the
 * jobs on one socket one at a time, in the order they were handed over,
 * those of others beside them.
 */
#ifndef CLOSER_H
#define CLOSER_H

#include <sys/types.h>

#include <stddef.h>

int	closer_start(void);
/* Close everything still queued, then stop the threads. */
void	closer_stop(void);
/* Hand fd over; it is closed soon, off the loop thread.  Never blocks on
 * the close itself.  Closes inline when the thread is not running. */
void	closer_close(int fd);
/* closer_close for a socket a client had: counted as that uid's (and a
 * unix socket's as closer_close_received's: its queue may hold fds). */
void	closer_close_for(int fd, uid_t uid);
/* closer_close_for an fd uid sent (any kind, its close as slow as the
 * sender likes): at most two of a uid's run at once. */
void	closer_close_received(int fd, uid_t uid);
/* How many fds handed over are not closed yet: in all, those the daemon
 * made (not received), and of one uid. */
size_t	closer_pending(void);
size_t	closer_pending_made(void);
size_t	closer_pending_for(uid_t uid);
/* Run fn(arg), work on socket sock for uid, on a closer thread (inline
 * when none runs), after the jobs on sock handed over before. */
void	closer_run(void (*fn)(void *), void *arg, int sock, uid_t uid);

#endif
