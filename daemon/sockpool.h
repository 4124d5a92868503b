/*
 * Packet sockets made ahead of need.  socket(AF_PACKET) appends the new
 * socket to the tail of the namespace's list of packet sockets, walking
 * it: 3 us with 100 open here, 27 us with 2000, 145 us with 5000.  A
 * thread keeps a few of each type that has been asked for ready, so an
 * open takes one instead of making it on the loop.
 */
#ifndef SOCKPOOL_H
#define SOCKPOOL_H

int	sockpool_start(void);
/* Stop the thread and hand what it made to the closer (before it stops). */
void	sockpool_stop(void);
/* A packet socket of type (SOCK_RAW or SOCK_DGRAM): protocol 0, unbound,
 * close-on-exec and non-blocking, as socket() makes it; or -1 when none is
 * ready (the type is then kept ready from now on). */
int	sockpool_take(int type);

#endif
