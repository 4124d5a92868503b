/*
 * The listening socket: create or inherit it, accept, back off on EMFILE.
 */
#ifndef SERVER_H
#define SERVER_H

#include <sys/types.h>

struct daemon;
struct privs_user;

/* Listen on path (mode applied; owned by owner unless NULL, and so is a
 * directory made for it), or on a socket-activated fd if one was passed;
 * returns 0 or -errno (and logs why). */
int	server_start(struct daemon *d, const char *path, mode_t mode,
	    const struct privs_user *owner);
void	server_stop(struct daemon *d);

#endif
