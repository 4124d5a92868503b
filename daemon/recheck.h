/*
 * What a policy reload does to what is already open.
 */
#ifndef RECHECK_H
#define RECHECK_H

#include <stddef.h>

struct daemon;

/* Look up every connection's rule in d's (new) policy again and close or
 * give back what it would not allow; the number of handles closed. */
size_t	recheck_conns(struct daemon *d);

#endif
