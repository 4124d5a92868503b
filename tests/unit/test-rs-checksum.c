/*
 * Unit tests: librawsock's local rs_checksum() (linked against the shared
 * library, as a program would be): the seed frame, RS_CHECKSUM_ALL, and
 * the errno / message contract on failure.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rawsock.h"

/* CLISP test.tst's frame: IPv4, total length 40, in 1024 bytes. */
static void
seed(uint8_t f[1024])
{
	memset(f, 0, 1024);
	f[12] = 8;
	f[14] = 0x45;
	f[17] = 40;
	f[22] = 0x40;
	f[23] = 6;
	f[26] = 10;
	f[29] = 10;
}

static void
test_seed(void **state)
{
	uint8_t f[1024];
	uint16_t sum = 0;

	seed(f);
	assert_int_equal(rs_checksum(f, sizeof f, RS_CHECKSUM_IP, &sum, NULL),
	    0);
	assert_int_equal(sum, 28871);	/* 70 c7; CLISP's 51056 is c7 70 */
	assert_int_equal(f[24], 0x70);
	assert_int_equal(f[25], 0xc7);
	f[24] = f[25] = 0;
	assert_int_equal(rs_checksum(f, sizeof f, RS_CHECKSUM_IP, NULL, NULL),
	    0);
	assert_int_equal(f[24] << 8 | f[25], 28871);
}

/* RS_CHECKSUM_ALL: header and TCP (20 bytes of zeros: the TCP data offset
 * must be 5 for it to be valid). */
static void
test_all(void **state)
{
	uint8_t f[1024];
	uint16_t sum = 0;

	seed(f);
	f[34 + 12] = 0x50;
	assert_int_equal(rs_checksum(f, 54, RS_CHECKSUM_ALL, &sum, NULL), 0);
	assert_int_equal(f[24] << 8 | f[25], 28871);
	/* Independently: src 10.0.0.10, dst 0, proto 6, length 20, and
	 * 0x5000 in the header: ~(0x0a00 + 0x000a + 6 + 20 + 0x5000). */
	assert_int_equal(sum, (uint16_t)~(0x0a00 + 0x000a + 6 + 20 + 0x5000));
	assert_int_equal(f[34 + 16] << 8 | f[34 + 17], sum);
}

static void
test_errors(void **state)
{
	uint8_t f[1024], copy[1024];
	const char *why = NULL;

	seed(f);
	memcpy(copy, f, sizeof f);
	errno = 0;
	assert_int_equal(rs_checksum(f, sizeof f, 99, NULL, &why), -1);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(why, "unknown checksum kind");
	assert_int_equal(rs_checksum(f, sizeof f, -1, NULL, NULL), -1);
	assert_int_equal(rs_checksum(NULL, 10, RS_CHECKSUM_IP, NULL, &why),
	    -1);
	assert_string_equal(why, "no frame");
	assert_int_equal(rs_checksum(NULL, 0, RS_CHECKSUM_IP, NULL, &why), -1);
	assert_string_equal(why, "too short for an ethernet header");
	errno = 0;
	assert_int_equal(rs_checksum(f, sizeof f, RS_CHECKSUM_UDP, NULL, &why),
	    -1);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(why, "the IPv4 protocol is not UDP");
	assert_int_equal(rs_checksum(f, 53, RS_CHECKSUM_IP, NULL, &why), -1);
	assert_string_equal(why, "IPv4 total length beyond the end of the "
	    "frame");
	assert_memory_equal(f, copy, sizeof f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
