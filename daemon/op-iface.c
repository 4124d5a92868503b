/*
 * if_nameindex and ifaddrs: the daemon's interfaces (its network
 * namespace's), by name, by index, or all, and their addresses filtered
 * by IFF_* flags.  Netlink answers these at once: they run on the loop.
 */
#include <sys/socket.h>
#include <net/if.h>
#include <linux/if_packet.h>

#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "const.h"
#include "ifctl.h"
#include "netconv.h"
#include "op.h"

struct ifindex_args {
	const char	*name;
	long long	 index;		/* 0: not given */
};

static const struct rs_param ifindex_params[] = {
	{ "name", RS_P_STR, offsetof(struct ifindex_args, name), 0, 0, 0, 0,
	    0 },
	{ "index", RS_P_INT, offsetof(struct ifindex_args, index), 0, 0, 0, 1,
	    UINT_MAX },
	RS_PARAM_END
};

struct ifaddrs_args {
	long		 flags_or;
	long		 flags_and;
};

static const struct rs_param ifaddrs_params[] = {
	{ "flags_or", RS_P_FLAGS, offsetof(struct ifaddrs_args, flags_or), 0,
	    RS_CG_IFF, 0, 0, 0 },
	{ "flags_and", RS_P_FLAGS, offsetof(struct ifaddrs_args, flags_and),
	    0, RS_CG_IFF, 0, 0, 0 },
	RS_PARAM_END
};

static int
if_nameindex_op(struct request *req, void *argp)
{
	struct ifindex_args *a = argp;
	char name[IF_NAMESIZE];
	struct if_nameindex *all, *i;
	size_t used = 0;
	unsigned idx;
	json_t *list, *e;

	if (a->name != NULL && a->index != 0)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "name: give a name or an index, not both");
	if (a->name != NULL) {
		if (strlen(a->name) >= IF_NAMESIZE ||
		    (idx = ifctl_index(a->name)) == 0)
			return rs_error_set(&req->err, RS_E_ERRNO, ENODEV,
			    "name: no interface '%.32s'", a->name);
		request_set(req, "index", json_integer(idx));
		return OP_OK;
	}
	if (a->index != 0) {
		if (ifctl_name((unsigned)a->index, name) == NULL)
			return rs_error_set(&req->err, RS_E_ERRNO, ENXIO,
			    "index: no interface with index %lld", a->index);
		request_set(req, "name", json_null());
		if (op_set_name(req->result, name) == -1)
			return rs_error_errno(&req->err, ENOMEM, "if_nameindex");
		return OP_OK;
	}
	if ((all = if_nameindex()) == NULL)
		return rs_error_errno(&req->err, errno, "if_nameindex");
	list = json_array();
	request_set(req, "interfaces", list);
	for (i = all; i->if_index != 0; i++) {
		e = json_pack("{s:i}", "index", (int)i->if_index);
		if (op_set_name(e, i->if_name) == -1) {
			json_decref(e);
			e = NULL;
		}
		if (!op_list_add(req, list, e, &used))
			break;
	}
	if_freenameindex(all);
	return OP_OK;
}

static json_t *
addr_or_null(const struct sockaddr *sa)
{
	json_t *o = NULL;
	socklen_t len;

	if (sa == NULL)
		return json_null();
	switch (sa->sa_family) {
	case AF_INET:
		len = sizeof(struct sockaddr_in);
		break;
	case AF_INET6:
		len = sizeof(struct sockaddr_in6);
		break;
	case AF_PACKET:
		/* glibc's buffer holds just the hardware address. */
		len = offsetof(struct sockaddr_ll, sll_addr) +
		    ((const struct sockaddr_ll *)sa)->sll_halen;
		break;
	default:
		return json_null();
	}
	if ((o = rs_addr_to_json(sa, len)) == NULL)
		return json_null();
	return o;
}

static json_t *
ifaddr_json(const struct ifaddrs *ifa)
{
	json_t *o;

	o = json_pack("{s:o, s:o, s:o}", "flags",
	    rs_flags_names((long)ifa->ifa_flags, RS_CG_IFF), "address",
	    addr_or_null(ifa->ifa_addr), "netmask",
	    addr_or_null(ifa->ifa_netmask));
	if (op_set_name(o, ifa->ifa_name) == -1) {
		json_decref(o);
		return NULL;
	}
	if (ifa->ifa_flags & IFF_POINTOPOINT)
		json_object_set_new(o, "dstaddr",
		    addr_or_null(ifa->ifa_dstaddr));
	else if (ifa->ifa_flags & IFF_BROADCAST)
		json_object_set_new(o, "broadaddr",
		    addr_or_null(ifa->ifa_broadaddr));
	return o;
}

static int
ifaddrs_op(struct request *req, void *argp)
{
	struct ifaddrs_args *a = argp;
	struct ifaddrs *all, *ifa;
	size_t used = 0;
	json_t *list;

	if (getifaddrs(&all) == -1)
		return rs_error_errno(&req->err, errno, "getifaddrs");
	list = json_array();
	request_set(req, "interfaces", list);
	for (ifa = all; ifa != NULL; ifa = ifa->ifa_next) {
		if (!rs_iff_match(ifa->ifa_flags, (unsigned)a->flags_or,
		    (unsigned)a->flags_and))
			continue;
		if (!op_list_add(req, list, ifaddr_json(ifa), &used))
			break;
	}
	freeifaddrs(all);
	return OP_OK;
}

const struct op_entry op_if_nameindex = {
	"if_nameindex", ifindex_params, sizeof(struct ifindex_args),
	if_nameindex_op
};

const struct op_entry op_ifaddrs = {
	"ifaddrs", ifaddrs_params, sizeof(struct ifaddrs_args), ifaddrs_op
};
