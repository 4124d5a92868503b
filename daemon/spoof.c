/*
 * The source-address check of spoof: false.  Interface MAC by
 * SIOCGIFHWADDR, addresses by getifaddrs, both read per check so an
 * address change applies at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_ether.h>

#include "spoof.h"

static int
iface_mac(int ifindex, uint8_t mac[ETH_ALEN])
{
	struct ifreq ifr = { 0 };
	int fd, r = -1;

	if (if_indextoname((unsigned)ifindex, ifr.ifr_name) == NULL)
		return -1;
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0) {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
		r = 0;
	}
	close(fd);
	return r;
}

/* Whether addr (4 or 16 bytes of family) is on ifindex (0: anywhere). */
static bool
iface_has_addr(int ifindex, int family, const uint8_t *addr)
{
	char name[IF_NAMESIZE] = "";
	struct ifaddrs *ifa, *i;
	const void *a;
	bool found = false;

	if (ifindex != 0 && if_indextoname((unsigned)ifindex, name) == NULL)
		return false;
	if (getifaddrs(&ifa) == -1)
		return false;
	for (i = ifa; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family ||
		    (ifindex != 0 && strcmp(i->ifa_name, name) != 0))
			continue;
		if (family == AF_INET)
			a = &((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		else
			a = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		found = memcmp(a, addr, family == AF_INET ? 4 : 16) == 0;
	}
	freeifaddrs(ifa);
	return found;
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
		return 0;
	case ETH_P_ARP:
		/* Ethernet/IPv4 ARP: sender MAC at 8, sender IP at 14. */
		if (len < 28)
			return short_frame(e, "ARP");
		if (mac != NULL && memcmp(p + 8, mac, ETH_ALEN) != 0)
			return rs_error_set(e, RS_E_DENIED, 0, "spoof is off: "
			    "ARP sender MAC is not the interface's");
		if (!all_zero(p + 14, 4) && !iface_has_addr(ifindex, AF_INET,
		    p + 14))
			return foreign(e, "ARP sender", AF_INET, p + 14);
		return 0;
	}
	return 0;
}

int
spoof_check(int ifindex, enum spoof_layer layer, uint16_t ethertype,
    const uint8_t *frame, size_t len, struct rs_error *e)
{
	uint8_t mac[ETH_ALEN];
	size_t off = ETH_HLEN;

	if (layer == SPOOF_L3)
		return check_l3(ifindex, ethertype, frame, len, NULL, e);
	if (len < ETH_HLEN)
		return short_frame(e, "ethernet");
	if (ifindex == 0 || iface_mac(ifindex, mac) == -1)
		return rs_error_set(e, RS_E_DENIED, 0, "spoof is off: the "
		    "frame's interface is unknown");
	if (memcmp(frame + ETH_ALEN, mac, ETH_ALEN) != 0)
		return rs_error_set(e, RS_E_DENIED, 0, "spoof is off: source "
		    "MAC is not the interface's");
	ethertype = (uint16_t)(frame[12] << 8 | frame[13]);
	/* One VLAN tag. */
	if (ethertype == ETH_P_8021Q || ethertype == ETH_P_8021AD) {
		if (len < ETH_HLEN + 4)
			return short_frame(e, "VLAN");
		ethertype = (uint16_t)(frame[16] << 8 | frame[17]);
		off += 4;
	}
	return check_l3(ifindex, ethertype, frame + off, len - off, mac, e);
}
