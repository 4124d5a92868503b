/*
 * The binary frame channel (PROTOCOL.md section 7): one SOCK_SEQPACKET
 * message per frame, a 32-byte header in host byte order, the sockaddr
 * padded to 8 bytes, then the frame.  The batch extension (version 2,
 * proto/PROTOCOL.md) packs several frames in one message, each record
 * with a 40-byte header that adds the frame's length.  Shared by the
 * daemon, librawsock, the tests and the benchmarks; installed with
 * librawsock, so it depends on nothing but <stdint.h> and <string.h>,
 * and compiles as C++ too.
 */
#ifndef RAWSOCK_CHANNEL_H
#define RAWSOCK_CHANNEL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RS_FRAME_MAGIC		0x5246	/* "RF" */
#define RS_FRAME_VERSION	1
#define RS_FRAME_HDR_SIZE	32
/* Batch records: the same header, then caplen (4) and 4 bytes of zeros. */
#define RS_FRAME_VERSION_BATCH	2
#define RS_FRAME_BATCH_HDR_SIZE	40
/* The largest batch message the daemon sends: read with a buffer this big. */
#define RS_FRAME_BATCH_MAX	(128 * 1024)

#define RS_FRAME_TRUNCATED	0x01	/* cut to the subscription's snaplen */
#define RS_FRAME_OUTGOING	0x02	/* sent by this host (PACKET_OUTGOING) */
/* Extensions (proto/PROTOCOL.md): PACKET_AUXDATA metadata. */
#define RS_FRAME_VLAN		0x04	/* vlan_tci and vlan_tpid are valid */
#define RS_FRAME_CSUM_PARTIAL	0x08	/* TP_STATUS_CSUMNOTREADY: checksum
					   left to the NIC, not yet valid */
#define RS_FRAME_CSUM_VALID	0x10	/* TP_STATUS_CSUM_VALID */

/* The largest sockaddr a message carries (sockaddr_storage). */
#define RS_FRAME_ADDR_MAX	128

struct rs_frame_hdr {
	uint16_t	magic;
	uint8_t		version;
	uint8_t		flags;
	uint32_t	handle;
	uint64_t	ts_ns;
	uint32_t	orig_len;
	uint32_t	drops;
	uint16_t	addr_len;
	uint16_t	hdr_len;
	/* "reserved" in the contract: the 802.1Q tag the kernel took off
	 * the frame, valid with RS_FRAME_VLAN; 0 otherwise. */
	uint16_t	vlan_tci;
	uint16_t	vlan_tpid;
};

#ifdef __cplusplus
static_assert(sizeof(struct rs_frame_hdr) == RS_FRAME_HDR_SIZE,
    "the channel header is 32 bytes");
#else
_Static_assert(sizeof(struct rs_frame_hdr) == RS_FRAME_HDR_SIZE,
    "the channel header is 32 bytes");
#endif

/* Where the frame starts for a sockaddr of addr_len bytes. */
static inline uint16_t
rs_frame_hdr_len(size_t addr_len)
{
	return (uint16_t)((RS_FRAME_HDR_SIZE + addr_len + 7) & ~(size_t)7);
}

/* The same in a batch record. */
static inline uint16_t
rs_frame_batch_hdr_len(size_t addr_len)
{
	return (uint16_t)((RS_FRAME_BATCH_HDR_SIZE + addr_len + 7) &
	    ~(size_t)7);
}

/* The bytes a batch record takes: the next one starts 8-aligned. */
static inline size_t
rs_frame_record_size(size_t hdr_len, size_t caplen)
{
	return (hdr_len + caplen + 7) & ~(size_t)7;
}

/*
 * Check a message of len bytes and find its parts.  Returns 0 and sets
 * hdr (copied out: buf need not be aligned), *addr and *frame; -1 when
 * the message is malformed.
 */
static inline int
rs_frame_parse(const void *buf, size_t len, struct rs_frame_hdr *hdr,
    const void **addr, const void **frame, size_t *frame_len)
{
	const unsigned char *p = (const unsigned char *)buf;

	if (len < RS_FRAME_HDR_SIZE)
		return -1;
	memcpy(hdr, p, sizeof *hdr);
	if (hdr->magic != RS_FRAME_MAGIC || hdr->version != RS_FRAME_VERSION ||
	    hdr->addr_len > RS_FRAME_ADDR_MAX ||
	    hdr->hdr_len != rs_frame_hdr_len(hdr->addr_len) ||
	    hdr->hdr_len > len)
		return -1;
	*addr = hdr->addr_len ? p + RS_FRAME_HDR_SIZE : NULL;
	*frame = p + hdr->hdr_len;
	*frame_len = len - hdr->hdr_len;
	return 0;
}

/*
 * Walk the frames of a message of len bytes, version 1 (one frame) or 2
 * (a batch).  Start with *off = 0; each call finds the record at *off,
 * sets hdr, *addr, *frame and *frame_len like rs_frame_parse() and moves
 * *off past it.  Returns 1 for a frame, 0 at the end of the message, -1
 * when the rest of the message is malformed.
 */
static inline int
rs_frame_next(const void *buf, size_t len, size_t *off,
    struct rs_frame_hdr *hdr, const void **addr, const void **frame,
    size_t *frame_len)
{
	const unsigned char *p = (const unsigned char *)buf + *off;
	size_t left = len - *off, rec;
	uint32_t caplen;

	if (*off >= len)
		return 0;
	if (left < RS_FRAME_HDR_SIZE)
		return -1;
	memcpy(hdr, p, sizeof *hdr);
	if (hdr->version == RS_FRAME_VERSION) {
		if (*off != 0 ||
		    rs_frame_parse(buf, len, hdr, addr, frame, frame_len) == -1)
			return -1;
		*off = len;
		return 1;
	}
	if (hdr->magic != RS_FRAME_MAGIC ||
	    hdr->version != RS_FRAME_VERSION_BATCH ||
	    left < RS_FRAME_BATCH_HDR_SIZE ||
	    hdr->addr_len > RS_FRAME_ADDR_MAX ||
	    hdr->hdr_len != rs_frame_batch_hdr_len(hdr->addr_len) ||
	    hdr->hdr_len > left)
		return -1;
	memcpy(&caplen, p + RS_FRAME_HDR_SIZE, sizeof caplen);
	if (caplen > left - hdr->hdr_len)
		return -1;
	*addr = hdr->addr_len ? p + RS_FRAME_BATCH_HDR_SIZE : NULL;
	*frame = p + hdr->hdr_len;
	*frame_len = caplen;
	/* The last record's padding may be left out. */
	rec = rs_frame_record_size(hdr->hdr_len, caplen);
	*off += rec < left ? rec : left;
	return 1;
}

/* What both builders share: hsize bytes of header, then the address. */
static inline size_t
rs_frame_put(void *buf, uint8_t version, size_t hsize, uint16_t hdr_len,
    uint32_t handle, const void *addr, size_t addr_len, size_t frame_len)
{
	struct rs_frame_hdr hdr;
	unsigned char *p = (unsigned char *)buf;

	/* Member by member: C++ has no designated initializers before 20. */
	memset(&hdr, 0, sizeof hdr);
	hdr.magic = RS_FRAME_MAGIC;
	hdr.version = version;
	hdr.handle = handle;
	hdr.orig_len = (uint32_t)frame_len;
	hdr.addr_len = (uint16_t)addr_len;
	hdr.hdr_len = hdr_len;
	memcpy(p, &hdr, sizeof hdr);
	memset(p + RS_FRAME_HDR_SIZE, 0, hdr_len - RS_FRAME_HDR_SIZE);
	if (addr_len)
		memcpy(p + hsize, addr, addr_len);
	return hdr_len;
}

/*
 * Write a header and the address into buf (at least
 * rs_frame_hdr_len(addr_len) bytes); the frame goes at the returned
 * offset.  For messages a client sends, handle and ts_ns may be 0.
 */
static inline size_t
rs_frame_build(void *buf, uint32_t handle, const void *addr,
    size_t addr_len, size_t frame_len)
{
	return rs_frame_put(buf, RS_FRAME_VERSION, RS_FRAME_HDR_SIZE,
	    rs_frame_hdr_len(addr_len), handle, addr, addr_len, frame_len);
}

/*
 * The same for a batch record (rs_frame_batch_hdr_len(addr_len) bytes):
 * the frame goes at the returned offset, and the next record
 * rs_frame_record_size(that offset, frame_len) bytes from buf.
 */
static inline size_t
rs_frame_build_batch(void *buf, uint32_t handle, const void *addr,
    size_t addr_len, size_t frame_len)
{
	uint32_t caplen = (uint32_t)frame_len;
	size_t hdr_len;

	hdr_len = rs_frame_put(buf, RS_FRAME_VERSION_BATCH,
	    RS_FRAME_BATCH_HDR_SIZE, rs_frame_batch_hdr_len(addr_len), handle,
	    addr, addr_len, frame_len);
	memcpy((unsigned char *)buf + RS_FRAME_HDR_SIZE, &caplen,
	    sizeof caplen);
	return hdr_len;
}

#endif
