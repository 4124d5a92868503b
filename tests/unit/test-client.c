/*
 * Unit tests: librawsock's handling of what the daemon answers, against a
 * fake daemon: the test accepts the library's connection and writes the
 * answers by hand.  They are queued before the call (the socket holds
 * them) and the fake daemon then hangs up, so an answer the library drops
 * fails the call with ECONNRESET instead of blocking the test.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "envelope.h"
#include "rawsock.h"

struct fake {
	struct rs_conn	*c;
	int		 srv;	/* the daemon's end */
};

static int
setup(void **state)
{
	static struct fake f;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/rs-unit-XXXXXX";
	int l;

	assert_non_null(mkdtemp(dir));
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s/sock", dir);
	l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_non_null(f.c = rs_conn_open(sun.sun_path));
	assert_true((f.srv = accept4(l, NULL, NULL, SOCK_CLOEXEC)) >= 0);
	close(l);
	unlink(sun.sun_path);
	rmdir(dir);
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fake *f = *state;

	rs_conn_close(f->c);
	close(f->srv);
	return 0;
}

/* One message from the fake daemon, passing fd unless it is -1. */
static void
send_msg(struct fake *f, const char *buf, size_t len, int fd)
{
	union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} u;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd != -1) {
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof u.buf;
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof fd);
		memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	}
	assert_int_equal(sendmsg(f->srv, &msg, 0), (ssize_t)len);
}

static void
answer(struct fake *f, const char *text)
{
	send_msg(f, text, strlen(text), -1);
}

static void
hang_up(struct fake *f)
{
	assert_int_equal(shutdown(f->srv, SHUT_WR), 0);
}

/* {"op":"ping","p":"xx..."} with pad x's; the library adds "id". */
static char *
padded_ping(size_t pad)
{
	char *s;
	int n;

	assert_non_null(s = malloc(pad + 32));
	n = sprintf(s, "{\"op\":\"ping\",\"p\":\"");
	memset(s + n, 'x', pad);
	strcpy(s + n + pad, "\"}");
	return s;
}

/* A request the daemon would not read whole (it answers "id": null) is
 * refused unsent; one of exactly RS_MAX_REQUEST bytes goes out. */
static void
test_request_too_long(void **state)
{
	struct fake *f = *state;
	size_t pad = RS_MAX_REQUEST -
	    strlen("{\"op\":\"ping\",\"p\":\"\",\"id\":1}");
	char *req, *resp, *buf;

	assert_non_null(buf = malloc(RS_MAX_REQUEST + 1));
	answer(f, "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"denied\","
	    "\"message\":\"no\"}}");
	hang_up(f);
	req = padded_ping(pad);
	assert_non_null(resp = rs_call_json(f->c, req, NULL, NULL));
	free(resp);
	free(req);
	assert_string_equal(rs_last_error(f->c), "denied: no");
	assert_int_equal(recv(f->srv, buf, RS_MAX_REQUEST + 1, MSG_DONTWAIT),
	    RS_MAX_REQUEST);
	req = padded_ping(pad + 1);
	errno = 0;
	assert_null(rs_call_json(f->c, req, NULL, NULL));
	assert_int_equal(errno, EMSGSIZE);
	assert_non_null(strstr(rs_last_error(f->c), "reads at most"));
	free(req);
	assert_int_equal(recv(f->srv, buf, RS_MAX_REQUEST + 1, MSG_DONTWAIT),
	    -1);
	assert_int_equal(errno, EAGAIN);
	free(buf);
}

/* "id": null answers a request whose id the daemon could not read: the
 * one in flight.  An event before it is still skipped. */
static void
test_null_id_answers(void **state)
{
	struct fake *f = *state;
	char *resp;

	answer(f, "{\"event\":\"dropped\",\"handle\":1,\"count\":2}");
	answer(f, "{\"id\":null,\"ok\":false,\"error\":{\"code\":"
	    "\"bad_request\",\"message\":\"request larger than 131072 "
	    "bytes\"}}");
	hang_up(f);
	assert_non_null(resp = rs_call_json(f->c, "{\"op\":\"ping\"}", NULL,
	    NULL));
	assert_non_null(strstr(resp, "\"ok\":false"));
	free(resp);
	assert_string_equal(rs_last_error(f->c),
	    "bad_request: request larger than 131072 bytes");
}

/* Leave garbage where the next call's locals will be, so that one read
 * before it is set fails for sure, not by luck. */
static __attribute__((noinline)) void
dirty_stack(void)
{
	volatile unsigned char junk[1024];
	size_t i;

	for (i = 0; i < sizeof junk; i++)
		junk[i] = 0xa5;
}

/* An ok recvfrom answer without "data" is malformed.  A first call
 * binds the functions (the dynamic linker's resolver would clear the
 * stack dirty_stack() left). */
static void
test_recvfrom_without_data(void **state)
{
	struct fake *f = *state;
	char buf[16];

	answer(f, "{\"id\":1,\"ok\":true,\"data\":\"YWJj\",\"size\":3}");
	answer(f, "{\"id\":2,\"ok\":true,\"size\":3}");
	hang_up(f);
	assert_int_equal(rs_recv(f->c, 1, buf, sizeof buf, 0, 0), 3);
	dirty_stack();
	errno = 0;
	assert_int_equal(rs_recv(f->c, 1, buf, sizeof buf, 0, 0), -1);
	assert_int_equal(errno, EPROTO);
}

/* An error without a string "code" is EIO. */
static void
test_error_without_code(void **state)
{
	struct fake *f = *state;

	assert_int_equal(rs_errno_from_code(NULL), EIO);
	answer(f, "{\"id\":1,\"ok\":false,\"error\":{\"message\":\"odd\"}}");
	hang_up(f);
	errno = 0;
	assert_int_equal(rs_close(f->c, 1), -1);
	assert_int_equal(errno, EIO);
}

/*
 * The fake daemon passes a pipe's write end with len bytes of buf, which
 * the call must fail with err; the pipe then reads EOF only if the
 * library closed its copy.
 */
static void
passed_fd_closed(struct fake *f, const char *buf, size_t len, int err)
{
	int p[2], fds[RS_MAX_FDS];
	size_t nfds = 0;
	char ch;

	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	send_msg(f, buf, len, p[1]);
	close(p[1]);
	hang_up(f);
	errno = 0;
	assert_null(rs_call_json(f->c, "{\"op\":\"ping\"}", fds, &nfds));
	assert_int_equal(errno, err);
	assert_int_equal(read(p[0], &ch, 1), 0);
	close(p[0]);
}

/* An empty message, as the end of the connection reads: no answer. */
static void
test_fds_closed_with_empty_message(void **state)
{
	passed_fd_closed(*state, "", 0, ECONNRESET);
}

/* An answer longer than the library reads is refused.  Making one takes
 * a send buffer past the kernel's limit: SO_SNDBUFFORCE, CAP_NET_ADMIN. */
static void
test_fds_closed_with_truncated_answer(void **state)
{
	struct fake *f = *state;
	int size = 2 * RS_MAX_RESPONSE;
	char *big;

	if (setsockopt(f->srv, SOL_SOCKET, SO_SNDBUFFORCE, &size,
	    sizeof size) == -1)
		skip();
	assert_non_null(big = malloc(RS_MAX_RESPONSE + 1));
	memset(big, ' ', RS_MAX_RESPONSE + 1);
	passed_fd_closed(f, big, RS_MAX_RESPONSE + 1, EPROTO);
	free(big);
}

/* The daemon's EAI_SYSTEM has no errno field: errno is EIO then, else
 * the one given. */
static void
test_eai_system_sets_errno(void **state)
{
	struct fake *f = *state;
	struct addrinfo *res;

	answer(f, "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"EAI_SYSTEM\","
	    "\"message\":\"System error: Too many open files\"}}");
	answer(f, "{\"id\":2,\"ok\":false,\"error\":{\"code\":\"EAI_SYSTEM\","
	    "\"message\":\"System error\",\"errno\":24}}");	/* EMFILE */
	hang_up(f);
	errno = 0;
	assert_int_equal(rs_getaddrinfo(f->c, "localhost", NULL, NULL, &res),
	    EAI_SYSTEM);
	assert_int_equal(errno, EIO);
	errno = 0;
	assert_int_equal(rs_getaddrinfo(f->c, "localhost", NULL, NULL, &res),
	    EAI_SYSTEM);
	assert_int_equal(errno, EMFILE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_too_long, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_null_id_answers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_recvfrom_without_data,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_without_code, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_fds_closed_with_empty_message, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_fds_closed_with_truncated_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eai_system_sets_errno,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
