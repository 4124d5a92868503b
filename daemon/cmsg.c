/*
 * Control messages: a strict allow-list out, a decoder in.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_packet.h>

#include "bytes.h"
#include "closer.h"
#include "cmsg.h"
#include "const.h"

/* What a client may send. */
static const struct {
	int	level;
	int	type;
	bool	is_int;		/* may be given as an int "value" */
	bool	spoof;		/* sets a source address */
} sendable[] = {
	{ IPPROTO_IP, IP_TTL, true, false },
	{ IPPROTO_IP, IP_TOS, true, false },
	{ IPPROTO_IP, IP_PKTINFO, false, true },
	{ IPPROTO_IPV6, IPV6_HOPLIMIT, true, false },
	{ IPPROTO_IPV6, IPV6_TCLASS, true, false },
	{ IPPROTO_IPV6, IPV6_PKTINFO, false, true },
};

/* The interface a pktinfo names goes to out->ifindex; one pktinfo only,
 * so the one checked is the one the kernel uses. */
static int
pktinfo_ifindex(long level, const uint8_t *p, size_t n, struct cmsg_buf *out,
    size_t i, struct rs_error *e)
{
	struct in_pktinfo pi;
	struct in6_pktinfo pi6;

	if (out->pktinfo)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "control[%zu]: one pktinfo at the most", i);
	out->pktinfo = true;
	if (level == IPPROTO_IP && n >= sizeof pi) {
		memcpy(&pi, p, sizeof pi);
		out->ifindex = pi.ipi_ifindex;
	} else if (level == IPPROTO_IPV6 && n >= sizeof pi6) {
		memcpy(&pi6, p, sizeof pi6);
		out->ifindex = (int)pi6.ipi6_ifindex;
	}
	return 0;
}

static int
encode_one(const json_t *item, size_t i, bool spoof, struct cmsg_buf *out,
    struct rs_error *e)
{
	const json_t *data = json_object_get(item, "data");
	const json_t *value = json_object_get(item, "value");
	struct rs_bytes b = { 0 };
	struct cmsghdr *cm;
	long level, type;
	size_t k, n;
	int v = 0;

	if (!json_is_object(item) || rs_const_parse(json_object_get(item,
	    "level"), RS_CG_SOL | RS_CG_IPPROTO, &level, NULL) == -1 ||
	    rs_const_parse(json_object_get(item, "type"),
	    level == IPPROTO_IPV6 ? RS_CG_IPV6 : RS_CG_IP, &type, NULL) == -1)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "control[%zu]: expected {level, type, value|data}", i);
	for (k = 0; k < sizeof sendable / sizeof sendable[0]; k++) {
		if (sendable[k].level == level && sendable[k].type == type)
			break;
	}
	if (k == sizeof sendable / sizeof sendable[0])
		return rs_error_set(e, RS_E_DENIED, 0, "control[%zu]: only "
		    "IP_TTL, IP_TOS, IP_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS "
		    "and IPV6_PKTINFO may be sent", i);
	if (sendable[k].spoof && !spoof)
		return rs_error_set(e, RS_E_DENIED, 0, "control[%zu]: a "
		    "pktinfo sets the source address and spoof is off", i);
	if ((value != NULL) == (data != NULL))
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "control[%zu]: give value or data", i);
	if (value != NULL) {
		if (!sendable[k].is_int || !json_is_integer(value))
			return rs_error_set(e, RS_E_BAD_REQUEST, 0,
			    "control[%zu].value: expected an integer (or give "
			    "data)", i);
		v = (int)json_integer_value(value);
		n = sizeof v;
	} else if (!json_is_string(data) || rs_base64_decode(
	    json_string_value(data), json_string_length(data), &b) == -1)
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "control[%zu].data: expected base64", i);
	else
		n = b.n;
	if (out->len + CMSG_SPACE(n) > sizeof out->buf) {
		rs_bytes_free(&b);
		return rs_error_set(e, RS_E_BAD_REQUEST, 0,
		    "control: too long");
	}
	if (sendable[k].spoof && pktinfo_ifindex(level, b.p, n, out, i,
	    e) == -1) {
		rs_bytes_free(&b);
		return -1;
	}
	cm = (struct cmsghdr *)(out->buf + out->len);
	cm->cmsg_level = (int)level;
	cm->cmsg_type = (int)type;
	cm->cmsg_len = CMSG_LEN(n);
	memcpy(CMSG_DATA(cm), value != NULL ? (void *)&v : b.p, n);
	out->len += CMSG_SPACE(n);
	rs_bytes_free(&b);
	return 0;
}

int
cmsg_encode(const json_t *list, bool spoof, struct cmsg_buf *out,
    struct rs_error *e)
{
	const json_t *item;
	size_t i;

	memset(out, 0, sizeof *out);
	json_array_foreach(list, i, item) {
		if (encode_one(item, i, spoof, out, e) == -1)
			return -1;
	}
	return 0;
}

static json_t *
name_of(long v, unsigned group)
{
	const struct rs_const *c = rs_const_by_value(v, group);

	return c != NULL ? json_string(c->name) : json_integer(v);
}

/* Close the fds of one SCM_RIGHTS message off the loop (any may be a
 * packet socket whose last reference this is); how many. */
static size_t
close_rights(const struct cmsghdr *cm, uid_t uid)
{
	size_t n = cm->cmsg_len - CMSG_LEN(0), i;
	int fd;

	for (i = 0; i + sizeof fd <= n; i += sizeof fd) {
		memcpy(&fd, CMSG_DATA(cm) + i, sizeof fd);
		closer_close_received(fd, uid);
	}
	return n / sizeof fd;
}

size_t
cmsg_close_fds(struct msghdr *msg, uid_t uid)
{
	struct cmsghdr *cm;
	size_t n = 0;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS)
			n += close_rights(cm, uid);
	return n;
}

static void
decode_socket(struct cmsghdr *cm, json_t *o, uid_t uid)
{
	size_t n = cm->cmsg_len - CMSG_LEN(0);
	struct timespec ts;
	struct timeval tv;
	struct ucred cred;

	switch (cm->cmsg_type) {
	case SCM_RIGHTS:
		/* Never keep an fd someone sent through a managed socket. */
		json_object_set_new(o, "type", json_string("SCM_RIGHTS"));
		json_object_set_new(o, "closed", json_integer(
		    (json_int_t)close_rights(cm, uid)));
		json_object_del(o, "data");
		break;
	case SCM_CREDENTIALS:
		json_object_set_new(o, "type", json_string("SCM_CREDENTIALS"));
		if (n >= sizeof cred) {
			memcpy(&cred, CMSG_DATA(cm), sizeof cred);
			json_object_set_new(o, "pid", json_integer(cred.pid));
			json_object_set_new(o, "uid", json_integer(cred.uid));
			json_object_set_new(o, "gid", json_integer(cred.gid));
		}
		break;
	case SO_TIMESTAMPNS:
		if (n >= sizeof ts) {
			memcpy(&ts, CMSG_DATA(cm), sizeof ts);
			json_object_set_new(o, "sec", json_integer(ts.tv_sec));
			json_object_set_new(o, "nsec",
			    json_integer(ts.tv_nsec));
		}
		break;
	case SO_TIMESTAMP:
		if (n >= sizeof tv) {
			memcpy(&tv, CMSG_DATA(cm), sizeof tv);
			json_object_set_new(o, "sec", json_integer(tv.tv_sec));
			json_object_set_new(o, "usec",
			    json_integer(tv.tv_usec));
		}
		break;
	}
}

static void
decode_ip(struct cmsghdr *cm, json_t *o)
{
	size_t n = cm->cmsg_len - CMSG_LEN(0);
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	struct in6_pktinfo p6;
	struct in_pktinfo p4;
	int v;

	if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO &&
	    n >= sizeof p4) {
		memcpy(&p4, CMSG_DATA(cm), sizeof p4);
		inet_ntop(AF_INET, &p4.ipi_spec_dst, a, sizeof a);
		inet_ntop(AF_INET, &p4.ipi_addr, b, sizeof b);
		json_object_set_new(o, "ifindex", json_integer(p4.ipi_ifindex));
		json_object_set_new(o, "spec_dst", json_string(a));
		json_object_set_new(o, "addr", json_string(b));
	} else if (cm->cmsg_level == IPPROTO_IPV6 &&
	    cm->cmsg_type == IPV6_PKTINFO && n >= sizeof p6) {
		memcpy(&p6, CMSG_DATA(cm), sizeof p6);
		inet_ntop(AF_INET6, &p6.ipi6_addr, a, sizeof a);
		json_object_set_new(o, "ifindex",
		    json_integer(p6.ipi6_ifindex));
		json_object_set_new(o, "addr", json_string(a));
	} else if (n == 1)	/* IP_TOS, IP_TTL on some paths */
		json_object_set_new(o, "value", json_integer(CMSG_DATA(cm)[0]));
	else if (n == sizeof v) {
		memcpy(&v, CMSG_DATA(cm), sizeof v);
		json_object_set_new(o, "value", json_integer(v));
	}
}

static void
decode_packet(struct cmsghdr *cm, json_t *o)
{
	struct tpacket_auxdata aux;

	if (cm->cmsg_type != PACKET_AUXDATA ||
	    cm->cmsg_len - CMSG_LEN(0) < sizeof aux)
		return;
	memcpy(&aux, CMSG_DATA(cm), sizeof aux);
	json_object_set_new(o, "status", json_integer(aux.tp_status));
	json_object_set_new(o, "len", json_integer(aux.tp_len));
	json_object_set_new(o, "snaplen", json_integer(aux.tp_snaplen));
	json_object_set_new(o, "mac", json_integer(aux.tp_mac));
	json_object_set_new(o, "net", json_integer(aux.tp_net));
	json_object_set_new(o, "vlan_tci", json_integer(aux.tp_vlan_tci));
	json_object_set_new(o, "vlan_tpid", json_integer(aux.tp_vlan_tpid));
}

json_t *
cmsg_decode(struct msghdr *msg, size_t room, uid_t uid)
{
	json_t *list = json_array(), *o;
	struct cmsghdr *cm;
	unsigned group;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		/* Past what the client's buffer would have held: its fds
		 * closed all the same. */
		if ((size_t)((char *)cm - (char *)msg->msg_control) +
		    cm->cmsg_len > room) {
			msg->msg_flags |= MSG_CTRUNC;
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_RIGHTS)
				close_rights(cm, uid);
			continue;
		}
		group = cm->cmsg_level == SOL_SOCKET ? RS_CG_SO :
		    cm->cmsg_level == IPPROTO_IPV6 ? RS_CG_IPV6 :
		    cm->cmsg_level == SOL_PACKET ? RS_CG_PACKET : RS_CG_IP;
		o = json_object();
		json_object_set_new(o, "level", name_of(cm->cmsg_level,
		    cm->cmsg_level == IPPROTO_IP || cm->cmsg_level ==
		    IPPROTO_IPV6 ? RS_CG_IPPROTO : RS_CG_SOL));
		json_object_set_new(o, "type", name_of(cm->cmsg_type, group));
		json_object_set_new(o, "data", rs_base64_json(CMSG_DATA(cm),
		    cm->cmsg_len - CMSG_LEN(0)));
		if (cm->cmsg_level == SOL_SOCKET)
			decode_socket(cm, o, uid);
		else if (cm->cmsg_level == SOL_PACKET)
			decode_packet(cm, o);
		else
			decode_ip(cm, o);
		json_array_append_new(list, o);
	}
	return list;
}
