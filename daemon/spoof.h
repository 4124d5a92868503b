/*
 * spoof: false (PROTOCOL.md section 8): a frame a client sends must carry
 * its interface's own source MAC and, for IP and ARP, one of the
 * interface's own addresses.
 */
#ifndef SPOOF_H
#define SPOOF_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum spoof_layer {
	SPOOF_ETHER,	/* frame starts with an ethernet header */
	SPOOF_L3,	/* frame starts at the network header */
};

/*
 * Take a new snapshot of the interfaces if any changed: once before each
 * batch of checks.  spoof_forget() drops it (at exit).
 */
void	spoof_refresh(void);
void	spoof_forget(void);

/* The index of the interface that has addr (4 or 16 bytes of family), as
 * the kernel finds one for a membership named by its address; 0: none. */
int	spoof_addr_ifindex(int family, const void *addr);

/*
 * Check frame[0..len) sent on ifindex (0: any local address will do, no
 * MAC check).  ethertype gives the L3 protocol for SPOOF_L3 frames.
 * Returns 0 or -1 with e set (denied, or bad_request for a frame too short
 * to read).
 */
int	spoof_check(int ifindex, enum spoof_layer layer, uint16_t ethertype,
	    const uint8_t *frame, size_t len, struct rs_error *e);

#endif
