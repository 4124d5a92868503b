/*
 * The source-address check of spoof: false.  The interfaces' MACs and
 * addresses come from one getifaddrs() snapshot, taken again whenever
 * rtnetlink says a link or address changed (ifwatch), so a change applies
 * to the next frame checked while a flood of frames costs no system call
 * each.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "checksum.h"
#include "ifctl.h"
#include "ifwatch.h"
#include "spoof.h"

static struct {
	struct ifaddrs	*ifa;		/* NULL: none taken (or it failed) */
	unsigned long	 generation;
} snap;

void
spoof_refresh(void)
{
	unsigned long g = ifwatch_generation();

	if (snap.ifa != NULL && g == snap.generation)
		return;
	spoof_forget();
	if (getifaddrs(&snap.ifa) == -1)
		snap.ifa = NULL;
	snap.generation = g;
}

void
spoof_forget(void)
{
	if (snap.ifa != NULL)
		freeifaddrs(snap.ifa);
	snap.ifa = NULL;
}

/* The snapshot's link entry for ifindex: its name and MAC. */
static const struct ifaddrs *
iface_link(int ifindex)
{
	const struct sockaddr_ll *sll;
	const struct ifaddrs *i;

	for (i = snap.ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_PACKET)
			continue;
		sll = (const struct sockaddr_ll *)i->ifa_addr;
		if (sll->sll_ifindex == ifindex)
			return i;
	}
	return NULL;
}

static int
iface_mac(int ifindex, uint8_t mac[ETH_ALEN])
{
	const struct ifaddrs *l = iface_link(ifindex);
	const struct sockaddr_ll *sll;

	if (l == NULL)
		return -1;
	sll = (const struct sockaddr_ll *)l->ifa_addr;
	if (sll->sll_halen != ETH_ALEN)
		return -1;
	memcpy(mac, sll->sll_addr, ETH_ALEN);
	return 0;
}

/* Whether an address's name is the link's: an IPv4 address comes under
 * its label, the link's name or "name:label". */
static bool
same_link(const char *addr_name, const char *link)
{
	size_t n = strlen(link);

	return strncmp(addr_name, link, n) == 0 && (addr_name[n] == '\0' ||
	    addr_name[n] == ':');
}

/* Whether snapshot entry i holds addr (4 or 16 bytes of family). */
static bool
entry_is(const struct ifaddrs *i, int family, const void *addr)
{
	const void *a;

	if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family)
		return false;
	if (family == AF_INET)
		a = &((const struct sockaddr_in *)i->ifa_addr)->sin_addr;
	else
		a = &((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
	return memcmp(a, addr, family == AF_INET ? 4 : 16) == 0;
}

/* Whether addr (4 or 16 bytes of family) is on ifindex (0: anywhere). */
static bool
iface_has_addr(int ifindex, int family, const uint8_t *addr)
{
	const struct ifaddrs *l = NULL, *i;

	if (ifindex != 0 && (l = iface_link(ifindex)) == NULL)
		return false;
	for (i = snap.ifa; i != NULL; i = i->ifa_next) {
		if (entry_is(i, family, addr) && (l == NULL ||
		    same_link(i->ifa_name, l->ifa_name)))
			return true;
	}
	return false;
}

int
spoof_addr_ifindex(int family, const void *addr)
{
	const struct ifaddrs *i;
	unsigned idx;

	spoof_refresh();
	for (i = snap.ifa; i != NULL; i = i->ifa_next) {
		if (entry_is(i, family, addr) &&
		    (idx = ifctl_index(i->ifa_name)) != 0)
			return (int)idx;
	}
	return 0;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	while (n-- > 0) {
		if (*p++ != 0)
			return false;
	}
	return true;
}

static int
short_frame(struct rs_error *e, const char *what)
{
	return rs_error_set(e, RS_E_BAD_REQUEST, 0,
	    "data: too short for its %s header", what);
}

static int
foreign(struct rs_error *e, const char *what, int family, const uint8_t *a)
{
	char text[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family, a, text, sizeof text);
	return rs_error_set(e, RS_E_DENIED, 0, "spoof is off: %s %s is not an "
	    "address of the interface", what, text);
}

/* An NDP option's link-layer address (source or target, RFC 4861 4.6.1)
 * must be the interface's. */
static int
check_nd_options(const uint8_t *o, size_t len, const uint8_t *mac,
    struct rs_error *e)
{
	size_t n;

	for (; len >= 2; o += n, len -= n) {
		if ((n = (size_t)o[1] * 8) == 0 || n > len)
			return rs_error_set(e, RS_E_BAD_REQUEST, 0,
			    "data: a malformed neighbor discovery option");
		if ((o[0] != 1 && o[0] != 2) || n < 2 + ETH_ALEN)
			continue;
		if (mac == NULL)
			return rs_error_set(e, RS_E_DENIED, 0, "spoof is off: "
			    "the interface has no MAC to check a neighbor "
			    "discovery option against");
		if (memcmp(o + 2, mac, ETH_ALEN) != 0)
			return rs_error_set(e, RS_E_DENIED, 0, "spoof is off: "
			    "a neighbor discovery option's MAC is not the "
			    "interface's");
	}
	return 0;
}

/*
 * What an IPv6 packet claims beyond its source, p[0..len) from its
 * header: a home address option (Mobile IPv6, the source the receiver
 * takes) is refused, and neighbor discovery is the IPv6 form of ARP: a
 * neighbor advertisement's target must be the interface's address, and
 * every message's link-layer address options its MAC.  Extension headers
 * are walked; past a fragment header nothing is read (receivers drop
 * fragmented neighbor discovery, RFC 6980).
 */
static int
check_ipv6_claims(int ifindex, const uint8_t *p, size_t len,
    const uint8_t *mac, struct rs_error *e)
{
	size_t off = 40, n;
	uint8_t next = p[6];

	while (next == 0 || next == 43 || next == 60) {
		if (len < off + 8 || len < off + (n = ((size_t)p[off + 1] +
		    1) * 8))
			return short_frame(e, "IPv6 extension");
		if (next != 43 && rs_ipv6_home_address(p + off, n))
			return rs_error_set(e, RS_E_DENIED, 0, "spoof is off: "
			    "a home address option names another source");
		next = p[off];
		off += n;
	}
	if (next != 58 || len < off + 4 || p[off] < 133 || p[off] > 137)
		return 0;
	if (p[off] == 136) {	/* a neighbor advertisement */
		if (len < off + 24)
			return short_frame(e, "neighbor advertisement");
		if (!iface_has_addr(ifindex, AF_INET6, p + off + 8))
			return foreign(e, "neighbor advertisement target",
			    AF_INET6, p + off + 8);
	}
	/* Options follow 8 (solicitations), 16 (advertisements of
	 * routers), 24 (of neighbors) or 40 (redirects) bytes. */
	n = p[off] == 133 ? 8 : p[off] == 134 ? 16 : p[off] == 137 ? 40 : 24;
	return len < off + n ? 0 : check_nd_options(p + off + n, len - off -
	    n, mac, e);
}

/* The unspecified address is allowed: DHCP and DAD send from it. */
static int
check_l3(int ifindex, uint16_t type, const uint8_t *p, size_t len,
    const uint8_t *mac, struct rs_error *e)
{
	switch (type) {
	case ETH_P_IP:
		if (len < 20)
			return short_frame(e, "IPv4");
		if (!all_zero(p + 12, 4) && !iface_has_addr(ifindex, AF_INET,
		    p + 12))
			return foreign(e, "source", AF_INET, p + 12);
		return 0;
	case ETH_P_IPV6:
		if (len < 40)
			return short_frame(e, "IPv6");
		if (!all_zero(p + 8, 16) && !iface_has_addr(ifindex, AF_INET6,
		    p + 8))
			return foreign(e, "source", AF_INET6, p + 8);
		return check_ipv6_claims(ifindex, p, len, mac, e);
	case ETH_P_ARP:
		/* Ethernet/IPv4 ARP (hln 6, pln 4): sender MAC at 8, sender
		 * IP at 14; other layouts are not read. */
		if (len < 28)
			return short_frame(e, "ARP");
		if (p[2] != (ETH_P_IP >> 8) || p[3] != (ETH_P_IP & 0xff) ||
		    p[4] != ETH_ALEN || p[5] != 4)
			return rs_error_set(e, RS_E_DENIED, 0, "spoof is off: "
			    "only Ethernet/IPv4 ARP is checked");
		if (mac == NULL)
			return rs_error_set(e, RS_E_DENIED, 0, "spoof is off: "
			    "the interface has no MAC to check ARP against");
		if (memcmp(p + 8, mac, ETH_ALEN) != 0)
			return rs_error_set(e, RS_E_DENIED, 0, "spoof is off: "
			    "ARP sender MAC is not the interface's");
		if (!all_zero(p + 14, 4) && !iface_has_addr(ifindex, AF_INET,
		    p + 14))
			return foreign(e, "ARP sender", AF_INET, p + 14);
		return 0;
	}
	return 0;
}

/*
 * What follows an ethertype, p[0..len): up to two VLAN tags (802.1ad
 * outer, 802.1Q inner; a third is refused rather than left unchecked) and
 * an LLC/SNAP header are looked through, on a raw frame or a dgram
 * socket's payload alike; what carries IP or Ethernet in a way not looked
 * into (MPLS, PPPoE sessions, 802.1ah, bridged Ethernet, old QinQ tags) is
 * refused.
 */
static int
check_payload(int ifindex, uint16_t type, const uint8_t *p, size_t len,
    const uint8_t *mac, struct rs_error *e)
{
	size_t off = 0;
	int tags = 0;

	while (type == ETH_P_8021Q || type == ETH_P_8021AD) {
		if (++tags > 2)
			return rs_error_set(e, RS_E_DENIED, 0, "spoof is off: "
			    "more than two VLAN tags");
		if (len < off + 4)
			return short_frame(e, "VLAN");
		type = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
		off += 4;
	}
	if (type < ETH_P_802_3_MIN && len >= off + 8 && p[off] == 0xaa &&
	    p[off + 1] == 0xaa && p[off + 2] == 0x03) {
		type = (uint16_t)(p[off + 6] << 8 | p[off + 7]);
		off += 8;
	}
	switch (type) {
	case ETH_P_MPLS_UC:
	case ETH_P_MPLS_MC:
	case ETH_P_PPP_SES:
	case ETH_P_8021AH:
	case ETH_P_TEB:
	case ETH_P_QINQ1:
	case ETH_P_QINQ2:
	case ETH_P_QINQ3:
		return rs_error_set(e, RS_E_DENIED, 0, "spoof is off: the "
		    "source of an MPLS, PPPoE or encapsulated Ethernet frame "
		    "is not checked");
	}
	return check_l3(ifindex, type, p + off, len - off, mac, e);
}

int
spoof_check(int ifindex, enum spoof_layer layer, uint16_t ethertype,
    const uint8_t *frame, size_t len, struct rs_error *e)
{
	uint8_t mac[ETH_ALEN];

	if (snap.ifa == NULL)
		spoof_refresh();
	/* A dgram socket's payload: the kernel writes the link header, the
	 * interface's MAC; an ARP sender MAC inside is checked against it. */
	if (layer == SPOOF_L3)
		return check_payload(ifindex, ethertype, frame, len,
		    ifindex != 0 && iface_mac(ifindex, mac) == 0 ? mac : NULL,
		    e);
	if (len < ETH_HLEN)
		return short_frame(e, "ethernet");
	if (ifindex == 0 || iface_mac(ifindex, mac) == -1)
		return rs_error_set(e, RS_E_DENIED, 0, "spoof is off: the "
		    "frame's interface is unknown");
	if (memcmp(frame + ETH_ALEN, mac, ETH_ALEN) != 0)
		return rs_error_set(e, RS_E_DENIED, 0, "spoof is off: source "
		    "MAC is not the interface's");
	ethertype = (uint16_t)(frame[12] << 8 | frame[13]);
	return check_payload(ifindex, ethertype, frame + ETH_HLEN,
	    len - ETH_HLEN, mac, e);
}
