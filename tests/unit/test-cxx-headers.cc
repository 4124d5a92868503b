/*
 * The installed headers in a C++ program: <rawsock.h> and
 * <rawsock-channel.h> compile as C++11, and a channel message built with
 * them reads back the same.
 */
#include <cstdio>
#include <cstring>

#include "rawsock.h"
#include "rawsock-channel.h"

int
main()
{
	unsigned char msg[64], frame[14];
	const unsigned char addr[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct rs_frame_hdr hdr;
	const void *a, *f;
	size_t off = 0, flen, at;

	std::memset(frame, 0xab, sizeof frame);
	at = rs_frame_build(msg, 7, addr, sizeof addr, sizeof frame);
	std::memcpy(msg + at, frame, sizeof frame);
	if (rs_frame_next(msg, at + sizeof frame, &off, &hdr, &a, &f,
	    &flen) != 1 || hdr.handle != 7 || hdr.addr_len != sizeof addr ||
	    hdr.orig_len != sizeof frame || flen != sizeof frame ||
	    std::memcmp(a, addr, sizeof addr) != 0 ||
	    std::memcmp(f, frame, sizeof frame) != 0 ||
	    rs_frame_next(msg, at + sizeof frame, &off, &hdr, &a, &f,
	    &flen) != 0) {
		std::fprintf(stderr, "the message did not read back\n");
		return 1;
	}
	return 0;
}
