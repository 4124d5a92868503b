/*
 * Unit tests: <rawsock-channel.h>, the frame channel's messages.  Contract
 * messages and batches built with the builders walk back with
 * rs_frame_next() to the same frames; every message cut short, or with a
 * length field bent, is refused without a read past its end (the buffers
 * are exact-size heap blocks, so ASan sees any).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rawsock-channel.h"

#define NREC	5

static const uint8_t addr[20] = { 17, 0, 0, 3, 2 };

/* Where each record's frame ends and the next record starts. */
static size_t data_end[NREC], rec_end[NREC];

/* A batch of NREC frames of lengths 1, 8, 15, ...; returns its size. */
static size_t
batch(uint8_t *buf)
{
	size_t off = 0, hlen, len;
	int i;

	for (i = 0; i < NREC; i++) {
		len = 1 + 7 * (size_t)i;
		hlen = rs_frame_build_batch(buf + off, 7, i % 2 ? addr : NULL,
		    i % 2 ? sizeof addr : 0, len);
		memset(buf + off + hlen, 'a' + i, len);
		memset(buf + off + hlen + len, 0,
		    rs_frame_record_size(hlen, len) - hlen - len);
		data_end[i] = off + hlen + len;
		off += rs_frame_record_size(hlen, len);
		rec_end[i] = off;
	}
	return off;
}

/* Walk msg; the frames found, or -1 once it is refused. */
static int
walk(const uint8_t *msg, size_t len)
{
	struct rs_frame_hdr hdr;
	const void *a, *f;
	size_t off = 0, flen;
	int n = 0, r;

	while ((r = rs_frame_next(msg, len, &off, &hdr, &a, &f, &flen)) == 1) {
		assert_true((const uint8_t *)f + flen <= msg + len);
		assert_true(off <= len);
		n++;
	}
	return r == -1 ? -1 : n;
}

static void
test_batch_round_trip(void **state)
{
	uint8_t buf[1024];
	struct rs_frame_hdr hdr;
	const void *a = NULL, *f = NULL;
	size_t len = batch(buf), off = 0, flen;
	int i;

	assert_int_equal(len % 8, 0);
	for (i = 0; i < NREC; i++) {
		assert_int_equal(rs_frame_next(buf, len, &off, &hdr, &a, &f,
		    &flen), 1);
		assert_int_equal(hdr.version, RS_FRAME_VERSION_BATCH);
		assert_int_equal(hdr.handle, 7);
		assert_int_equal(flen, 1 + 7 * i);
		assert_int_equal(hdr.orig_len, flen);
		assert_int_equal(((const uint8_t *)f)[flen - 1], 'a' + i);
		if (i % 2) {
			assert_int_equal(hdr.addr_len, sizeof addr);
			assert_memory_equal(a, addr, sizeof addr);
			assert_int_equal(hdr.hdr_len, 64);
		} else {
			assert_null(a);
			assert_int_equal(hdr.hdr_len, RS_FRAME_BATCH_HDR_SIZE);
		}
	}
	assert_int_equal(rs_frame_next(buf, len, &off, &hdr, &a, &f, &flen),
	    0);
}

/*
 * A message cut inside a record's padding ends with that record (the
 * last record's padding may be left out); cut anywhere else but between
 * records, it is refused.
 */
static void
test_batch_cut(void **state)
{
	uint8_t full[1024];
	size_t len = batch(full), cut;
	int want, k;

	for (cut = 0; cut <= len; cut++) {
		uint8_t *m = malloc(cut ? cut : 1);

		want = cut == 0 ? 0 : -1;
		for (k = 0; k < NREC; k++)
			if (data_end[k] <= cut && cut <= rec_end[k])
				want = k + 1;
		memcpy(m, full, cut);
		assert_int_equal(walk(m, cut), want);
		free(m);
	}
}

/* Every header byte bent: refused, or still inside the message. */
static void
test_batch_bent(void **state)
{
	uint8_t full[1024];
	size_t len = batch(full), i;
	int v;

	for (i = 0; i < RS_FRAME_BATCH_HDR_SIZE; i++) {
		for (v = 0; v < 256; v += 51) {
			uint8_t *m = malloc(len);

			memcpy(m, full, len);
			m[i] = (uint8_t)v;
			(void)walk(m, len);	/* ASan: no read past len */
			free(m);
		}
	}
	/* caplen past the end, and an addr_len over the maximum. */
	full[RS_FRAME_HDR_SIZE] = 0xff;
	assert_int_equal(walk(full, len), -1);
	len = batch(full);
	full[24] = RS_FRAME_ADDR_MAX + 8;
	assert_int_equal(walk(full, len), -1);
}

/* A contract message is one frame, the rest of it; only at offset 0. */
static void
test_contract_message(void **state)
{
	uint8_t buf[256];
	struct rs_frame_hdr hdr;
	const void *a, *f;
	size_t off = 0, flen, hlen;

	hlen = rs_frame_build(buf, 3, addr, sizeof addr, 100);
	assert_int_equal(hlen, 56);
	memset(buf + hlen, 'x', 100);
	assert_int_equal(rs_frame_next(buf, hlen + 100, &off, &hdr, &a, &f,
	    &flen), 1);
	assert_int_equal(flen, 100);
	assert_int_equal(off, hlen + 100);
	assert_int_equal(walk(buf, hlen + 100), 1);
	/* A contract message after a batch record is malformed. */
	hlen = rs_frame_build_batch(buf, 3, NULL, 0, 8);
	memcpy(buf + 48, buf, 32);
	buf[48 + 2] = RS_FRAME_VERSION;
	assert_int_equal(walk(buf, 48 + 40), -1);
	/* Unknown versions are refused. */
	buf[2] = 3;
	assert_int_equal(walk(buf, 48), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_round_trip),
		cmocka_unit_test(test_batch_cut),
		cmocka_unit_test(test_batch_bent),
		cmocka_unit_test(test_contract_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
