/*
 * librawsock internals shared by its files.
 */
#ifndef RS_INTERNAL_H
#define RS_INTERNAL_H

#include <jansson.h>

#include "rawsock.h"

/*
 * One round trip: sets req's "id" (req stays the caller's), returns the
 * response object (ok or not; rs_last_error() describes a failure), or
 * NULL with errno set when the daemon could not be reached.
 */
json_t	*rs_call(struct rs_conn *c, json_t *req, int *fds, size_t *nfds);

#endif
