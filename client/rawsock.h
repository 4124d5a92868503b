/*
 * librawsock: a client of rawsockd, the daemon that hands raw and packet
 * sockets to unprivileged programs.  See proto/PROTOCOL.md for the wire
 * protocol this library speaks.
 */
#ifndef RAWSOCK_H
#define RAWSOCK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RS_DEFAULT_SOCKET "/run/rawsockd/rawsockd.sock"
#define RS_MAX_FDS 4

struct rs_conn;

/**
 * rs_connect() - connect to the daemon
 * @path: control socket, or NULL for $RAWSOCKD_SOCKET or the default
 *
 * Return: a connection, or NULL with errno set.
 */
struct rs_conn *rs_connect(const char *path);

/**
 * rs_close() - close a connection (NULL is accepted)
 * @c: the connection
 */
void rs_close(struct rs_conn *c);

/**
 * rs_call_json() - send one request and wait for its response
 * @c: the connection
 * @request: a JSON object as text, without "id" (the library sets it)
 * @fds: receives the fds passed with the response (at most RS_MAX_FDS),
 *       or NULL to close any that arrive
 * @nfds: receives how many fds were passed (may be NULL with @fds NULL)
 *
 * Events that arrive before the response are skipped.
 *
 * Return: the response as malloc'd JSON text, or NULL with errno set
 * (EPROTO for a malformed response, EINVAL for a malformed request).
 */
char *rs_call_json(struct rs_conn *c, const char *request, int *fds,
    size_t *nfds);

/**
 * rs_errno_from_code() - errno for a response error code
 * @code: "denied", "ENODEV", "bad_request", ...
 *
 * Return: the errno the library sets for that code (EACCES for denied,
 * EINVAL for bad_request, EDQUOT for quota, EBADF for no_such_handle,
 * ENOSYS for unknown_op, the errno itself for an errno name).
 */
int rs_errno_from_code(const char *code);

#ifdef __cplusplus
}
#endif

#endif
