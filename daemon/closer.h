/*
 * The closer: a thread that closes socket fds for the event loop.  Closing
 * an AF_PACKET socket waits for an RCU grace period (8-36 ms here), so the
 * loop never closes a socket itself.
 */
#ifndef CLOSER_H
#define CLOSER_H

int	closer_start(void);
/* Close everything still queued, then stop the thread. */
void	closer_stop(void);
/* Hand fd over; it is closed soon, off the loop thread.  Never blocks on
 * the close itself.  Closes inline when the thread is not running. */
void	closer_close(int fd);

#endif
