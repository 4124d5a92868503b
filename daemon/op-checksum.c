/*
 * checksum: write the IPv4 header, ICMP, ICMPv6, TCP or UDP checksum of
 * an ethernet frame and return the frame.  No privilege, no socket: the
 * arithmetic is proto/checksum.c's.
 */
#include "checksum.h"
#include "dispatch.h"

struct checksum_args {
	struct rs_bytes	 frame;
	const char	*kind;
};

static const struct rs_param checksum_params[] = {
	{ "frame", RS_P_BYTES, offsetof(struct checksum_args, frame),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	{ "kind", RS_P_STR, offsetof(struct checksum_args, kind),
	    RS_PF_REQUIRED, 0, 0, 0, 0 },
	RS_PARAM_END
};

static int
checksum(struct request *req, void *argp)
{
	struct checksum_args *a = argp;
	const char *why;
	uint16_t sum;
	int kind;

	if ((kind = rs_csum_kind_parse(a->kind)) == -1)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "kind: expected ip, icmp, icmpv6, tcp or udp");
	if (rs_csum_ether(a->frame.p, a->frame.n, kind, &sum, &why) == -1)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "frame: %s", why);
	request_set(req, "frame", rs_base64_json(a->frame.p, a->frame.n));
	request_set(req, "checksum", json_integer(sum));
	return OP_OK;
}

const struct op_entry op_checksum = {
	"checksum", checksum_params, sizeof(struct checksum_args), checksum
};
