/*
 * Interface names, indexes and link types, read by ioctl on one socket the
 * daemon keeps (libc's if_nametoindex and if_indextoname make and close a
 * socket on every call).
 */
#ifndef IFCTL_H
#define IFCTL_H

#include <net/if.h>

/* Open the socket now (lookups open it too); 0 or -errno. */
int		 ifctl_open(void);
void		 ifctl_close(void);
/* name -> index; 0 when there is no such interface, as if_nametoindex. */
unsigned	 ifctl_index(const char *name);
/* index -> name in name; NULL when there is none, as if_indextoname. */
char		*ifctl_name(unsigned index, char name[IF_NAMESIZE]);
/* The interface's ARPHRD_* type; 0 when unknown. */
int		 ifctl_arphrd(const char *name);

#endif
