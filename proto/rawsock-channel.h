/*
 * The binary frame channel (PROTOCOL.md section 7): one SOCK_SEQPACKET
 * message per frame, a 32-byte header in host byte order, the sockaddr
 * padded to 8 bytes, then the frame.  Shared by the daemon, librawsock,
 * the tests and the benchmarks; installed with librawsock, so it depends
 * on nothing but <stdint.h> and <string.h>.
 */
#ifndef RAWSOCK_CHANNEL_H
#define RAWSOCK_CHANNEL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RS_FRAME_MAGIC		0x5246	/* "RF" */
#define RS_FRAME_VERSION	1
#define RS_FRAME_HDR_SIZE	32

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

_Static_assert(sizeof(struct rs_frame_hdr) == RS_FRAME_HDR_SIZE,
    "the channel header is 32 bytes");

/* Where the frame starts for a sockaddr of addr_len bytes. */
static inline uint16_t
rs_frame_hdr_len(size_t addr_len)
{
	return (uint16_t)((RS_FRAME_HDR_SIZE + addr_len + 7) & ~(size_t)7);
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
	const unsigned char *p = buf;

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
 * Write a header and the address into buf (at least
 * rs_frame_hdr_len(addr_len) bytes); the frame goes at the returned
 * offset.  For messages a client sends, handle and ts_ns may be 0.
 */
static inline size_t
rs_frame_build(void *buf, uint32_t handle, const void *addr,
    size_t addr_len, size_t frame_len)
{
	struct rs_frame_hdr hdr = {
		.magic = RS_FRAME_MAGIC,
		.version = RS_FRAME_VERSION,
		.handle = handle,
		.orig_len = (uint32_t)frame_len,
		.addr_len = (uint16_t)addr_len,
		.hdr_len = rs_frame_hdr_len(addr_len),
	};
	unsigned char *p = buf;

	memcpy(p, &hdr, sizeof hdr);
	memset(p + RS_FRAME_HDR_SIZE, 0, hdr.hdr_len - RS_FRAME_HDR_SIZE);
	if (addr_len)
		memcpy(p + RS_FRAME_HDR_SIZE, addr, addr_len);
	return hdr.hdr_len;
}

#endif
