/*
 * librawsock: a client of rawsockd, the daemon that hands raw and packet
 * sockets to unprivileged programs.  See proto/PROTOCOL.md for the wire
 * protocol this library speaks.
 */
#ifndef RAWSOCK_H
#define RAWSOCK_H

#include <netdb.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RS_DEFAULT_SOCKET "/run/rawsockd/rawsockd.sock"
#define RS_MAX_FDS 4

struct rs_conn;

/**
 * rs_conn_open() - connect to the daemon
 * @path: control socket, or NULL for $RAWSOCKD_SOCKET or the default
 *
 * Return: a connection, or NULL with errno set.
 */
struct rs_conn *rs_conn_open(const char *path);

/**
 * rs_conn_close() - close a connection and every handle it holds
 * @c: the connection (NULL is accepted)
 */
void rs_conn_close(struct rs_conn *c);

#define RS_BUSY_POLL_MAX_US 1000

/**
 * rs_conn_set_busy_poll() - spin briefly for responses instead of sleeping
 * @c: the connection
 * @usec: how long each call polls without sleeping before it waits as
 *        usual, 0 (the default) to never poll; at most RS_BUSY_POLL_MAX_US
 *
 * A response that arrives while the caller polls saves the wake-up of a
 * sleeping CPU (tens of us on some virtual machines) at the price of up to
 * @usec of CPU per call.  Worth it only for latency-bound callers, with
 * rawsockd --busy-poll-us on the daemon's side.
 *
 * Return: 0, or -1 with errno EINVAL for a budget over the maximum.
 */
int rs_conn_set_busy_poll(struct rs_conn *c, unsigned usec);

/**
 * rs_last_error() - the daemon's message for the last failed call
 * @c: the connection
 *
 * Return: "code: message", valid until the next call on @c.
 */
const char *rs_last_error(const struct rs_conn *c);

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

/*
 * The socket API through the daemon.  Functions that make a socket come in
 * two kinds: rs_socket() and friends return a passed fd the caller owns;
 * rs_open() returns a managed handle, an int naming a socket the daemon
 * keeps for this connection.  Every function returns -1 and sets errno on
 * failure: the errno the kernel gave the daemon, or EACCES (denied),
 * EDQUOT (quota), EINVAL (bad_request), EBADF (no_such_handle).
 */

/** rs_socket() - a socket set up by the daemon and passed to the caller.
 * @ifname: bind a packet socket to it (SO_BINDTODEVICE for IP), or NULL.
 * Return: the fd (close-on-exec). */
int rs_socket(struct rs_conn *c, int domain, int type, int protocol,
    const char *ifname);
/** rs_open() - like rs_socket() but managed.  Return: the handle. */
int rs_open(struct rs_conn *c, int domain, int type, int protocol,
    const char *ifname);
/** rs_open_json() - open with any "open" parameters as a JSON object text
 * (e.g. "{\"filter\":\"icmp\"}"); pass=true in it gives an fd. */
int rs_open_json(struct rs_conn *c, const char *params);
/** rs_socketpair() - two connected AF_UNIX sockets into sv. */
int rs_socketpair(struct rs_conn *c, int type, int sv[2]);
/** rs_pass() - turn handle into a passed fd (the handle is gone). */
int rs_pass(struct rs_conn *c, int handle);
int rs_close(struct rs_conn *c, int handle);
int rs_bind(struct rs_conn *c, int handle, const struct sockaddr *sa,
    socklen_t len);
int rs_connect(struct rs_conn *c, int handle, const struct sockaddr *sa,
    socklen_t len);
int rs_listen(struct rs_conn *c, int handle, int backlog);
/** rs_accept() - a new handle; the peer into sa/len if not NULL. */
int rs_accept(struct rs_conn *c, int handle, struct sockaddr *sa,
    socklen_t *len, int timeout_ms);
int rs_shutdown(struct rs_conn *c, int handle, int how);
int rs_getsockname(struct rs_conn *c, int handle, struct sockaddr *sa,
    socklen_t *len);
int rs_getpeername(struct rs_conn *c, int handle, struct sockaddr *sa,
    socklen_t *len);
ssize_t rs_send(struct rs_conn *c, int handle, const void *buf, size_t len,
    int flags);
ssize_t rs_sendto(struct rs_conn *c, int handle, const void *buf, size_t len,
    int flags, const struct sockaddr *sa, socklen_t salen);
/** rs_recvfrom() - wait at most timeout_ms (0: not at all, -1: forever).
 * Return: the datagram's real length (it may exceed len: truncated). */
ssize_t rs_recvfrom(struct rs_conn *c, int handle, void *buf, size_t len,
    int flags, struct sockaddr *sa, socklen_t *salen, int timeout_ms);
ssize_t rs_recv(struct rs_conn *c, int handle, void *buf, size_t len,
    int flags, int timeout_ms);
/** rs_setsockopt_int() / rs_getsockopt_int() - int-typed options. */
int rs_setsockopt_int(struct rs_conn *c, int handle, int level, int option,
    int value);
int rs_getsockopt_int(struct rs_conn *c, int handle, int level, int option,
    int *value);
/** rs_setsockopt_json() - any option, its value as JSON text
 * ("{\"sec\":1,\"usec\":0}", "\"veth0\""). */
int rs_setsockopt_json(struct rs_conn *c, int handle, const char *level,
    const char *option, const char *value);
/** rs_attach_filter() - a pcap expression; Return: instructions. */
int rs_attach_filter(struct rs_conn *c, int handle, const char *expr,
    int lock);
int rs_detach_filter(struct rs_conn *c, int handle);

/**
 * rs_subscribe() - stream a managed socket's frames on a binary channel
 * @c: the connection
 * @handle: a managed socket
 * @queue_bytes: the daemon's queue for this subscription (0: the policy's
 *               max_queue_bytes); frames beyond it are dropped and counted
 * @snaplen: cut frames to this many bytes (0: whole frames)
 *
 * Each message read from the channel is one frame laid out as in
 * <rawsock-channel.h>; a message of the same layout written to it sends a
 * frame on the socket, after the same policy checks as rs_sendto().
 *
 * Return: the channel fd (SOCK_SEQPACKET, close-on-exec), or -1.
 */
int rs_subscribe(struct rs_conn *c, int handle, size_t queue_bytes,
    size_t snaplen);
/**
 * rs_subscribe_batch() - the same, several frames a message
 *
 * Each message read from the channel (at most RS_FRAME_BATCH_MAX bytes)
 * holds one or more batch records: walk them with rs_frame_next().  The
 * client may write batches too.  Fewer messages, far fewer system calls.
 *
 * Return: the channel fd, or -1.
 */
int rs_subscribe_batch(struct rs_conn *c, int handle, size_t queue_bytes,
    size_t snaplen);
/**
 * rs_subscribe_send() - a channel that only sends frames
 * @c: the connection
 * @handle: a managed socket
 * @batch: write batch records (rs_frame_next()'s layout), not one frame
 *         a message
 *
 * Nothing received is streamed: the daemon leaves the socket unwatched
 * (a watch costs it a wake-up for every frame sent) and puts no ring on
 * it.  Frames the socket receives meanwhile stay in its buffer.
 *
 * Return: the channel fd, or -1.
 */
int rs_subscribe_send(struct rs_conn *c, int handle, int batch);
/** rs_unsubscribe() - end a subscription; the channel reads EOF. */
int rs_unsubscribe(struct rs_conn *c, int handle);

/*
 * Checksums, computed locally: no daemon, no connection (the same code as
 * the daemon's "checksum" op).
 */

/**
 * enum rs_checksum_kind - which checksum rs_checksum() writes
 * @RS_CHECKSUM_IP: the IPv4 header checksum
 * @RS_CHECKSUM_ICMP: ICMP over IPv4 (over IPv6: ICMPv6)
 * @RS_CHECKSUM_ICMPV6: ICMPv6, IPv6 only
 * @RS_CHECKSUM_TCP: TCP over IPv4 or IPv6 (pseudo-header included)
 * @RS_CHECKSUM_UDP: UDP over IPv4 or IPv6; a computed 0 is written 0xffff
 * @RS_CHECKSUM_ALL: what fix_checksums does: the IPv4 header checksum,
 *	then the L4 one the protocol names (TCP, UDP, ICMP, ICMPv6; other
 *	protocols and fragments keep their L4 bytes)
 */
enum rs_checksum_kind {
	RS_CHECKSUM_IP,
	RS_CHECKSUM_ICMP,
	RS_CHECKSUM_ICMPV6,
	RS_CHECKSUM_TCP,
	RS_CHECKSUM_UDP,
	RS_CHECKSUM_ALL,
};

/**
 * rs_checksum() - compute and write a checksum of an ethernet frame
 * @frame: an ethernet frame, with at most two 802.1Q/802.1ad tags; the
 *	checksum field is written in place
 * @len: the frame's length in bytes; nothing past it is read.  Bytes past
 *	the IP total / payload length (padding) are not covered.
 * @kind: an enum rs_checksum_kind
 * @sum: receives the 16-bit value written, read in network byte order
 *	(bytes 70 c7 are 0x70c7); may be NULL
 * @why: receives a static message saying what is wrong on failure ("IPv4
 *	header length (IHL) below 5 words"); may be NULL
 *
 * Every length (frame, IHL, total / payload length, IPv6 extension
 * headers, TCP data offset, UDP length) is checked before anything is
 * written: on failure the frame is untouched.
 *
 * Return: 0, or -1 with errno EINVAL (unknown kind, malformed frame).
 */
int rs_checksum(void *frame, size_t len, int kind, uint16_t *sum,
    const char **why);

/**
 * rs_configdev_json() - configure an interface (the seed's configdev)
 * @c: the connection
 * @ifname: the interface, which the caller's rule must list for configdev
 * @params: a JSON object as text with any of "address" ("198.18.0.5/24";
 *          IPv4 replaces the interface's IPv4 addresses, IPv6 is added),
 *          "prefix", "promisc", "noarp", "up" (booleans), or NULL
 * @state: receives the interface's new state as malloc'd JSON text
 *         ({"name","index","flags","mtu","mac","promiscuity","promisc",
 *         "addresses","promisc_held"}), or NULL
 *
 * promisc=true is held for this connection until promisc=false or until
 * the connection closes, however it closes.  Nothing changes unless every
 * parameter is valid.
 *
 * Return: 0, or -1 with errno set (EACCES denied, ENODEV unknown
 * interface, EINVAL a bad parameter).
 */
int rs_configdev_json(struct rs_conn *c, const char *ifname,
    const char *params, char **state);

/*
 * Name and interface look-ups, answered by the daemon (in its network
 * namespace).  The list ops (protocol, network, if_nameindex with no
 * argument, ifaddrs) and convert_address go through rs_call_json(), e.g.
 * "{\"op\":\"ifaddrs\",\"flags_and\":[\"IFF_UP\"]}".
 */

/**
 * rs_getaddrinfo() - getaddrinfo(3) through the daemon
 * @c: the connection
 * @node: host name or numeric address, or NULL
 * @service: service name or port number as text, or NULL
 * @hints: ai_flags (AI_*), ai_family, ai_socktype, ai_protocol; or NULL
 * @res: receives the list, to be freed with rs_freeaddrinfo()
 *
 * The look-up runs on the daemon's resolver threads; a slow one delays
 * only this connection.
 *
 * Return: 0, or an EAI_* value as getaddrinfo(3) returns (the daemon's
 * own, with its gai_strerror text in rs_last_error()); EAI_SYSTEM with
 * errno set when the daemon could not be asked or refused otherwise
 * (EDQUOT: too many look-ups in progress for this uid).
 */
int rs_getaddrinfo(struct rs_conn *c, const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res);

/**
 * rs_freeaddrinfo() - free a list from rs_getaddrinfo()
 * @res: the list (NULL is accepted)
 */
void rs_freeaddrinfo(struct addrinfo *res);

/**
 * rs_getnameinfo() - getnameinfo(3) through the daemon
 * @c: the connection
 * @sa: an AF_INET or AF_INET6 address
 * @salen: its length
 * @host: receives the host name (or NULL with @hostlen 0)
 * @hostlen: size of @host
 * @serv: receives the service name (or NULL with @servlen 0)
 * @servlen: size of @serv
 * @flags: NI_* flags
 *
 * Return: 0 or an EAI_* value, as rs_getaddrinfo().
 */
int rs_getnameinfo(struct rs_conn *c, const struct sockaddr *sa,
    socklen_t salen, char *host, size_t hostlen, char *serv, size_t servlen,
    int flags);

/**
 * rs_if_nametoindex() - an interface's index in the daemon's namespace
 * @c: the connection
 * @name: the interface name
 *
 * Return: the index, or 0 with errno set (ENODEV: no such interface).
 */
unsigned rs_if_nametoindex(struct rs_conn *c, const char *name);

/**
 * rs_if_indextoname() - an interface's name in the daemon's namespace
 * @c: the connection
 * @index: the interface index
 * @name: receives the name; IF_NAMESIZE bytes
 *
 * Return: @name, or NULL with errno set (ENXIO: no such interface).
 */
char *rs_if_indextoname(struct rs_conn *c, unsigned index, char *name);

#ifdef __cplusplus
}
#endif

#endif
