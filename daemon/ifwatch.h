/*
 * Interface change notifications from rtnetlink, for the caches that keep
 * interface facts (MAC, addresses, MTU) off the per-frame path.
 */
#ifndef IFWATCH_H
#define IFWATCH_H

/* Join the link and address groups; 0 or -errno. */
int		 ifwatch_open(void);
void		 ifwatch_close(void);
/*
 * A number that changes whenever a link or address changed since the
 * last call (pending notifications are consumed, so a change the kernel
 * has made is seen at once).  Without a watch it changes on every call.
 */
unsigned long	 ifwatch_generation(void);

#endif
