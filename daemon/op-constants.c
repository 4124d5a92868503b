/*
 * constants: every name the daemon knows, or one group of them.
 */
#include "const.h"
#include "dispatch.h"

struct constants_args {
	const char	*group;
};

static const struct rs_param constants_params[] = {
	{ "group", RS_P_STR, offsetof(struct constants_args, group), 0, 0, 0,
	    0, 0 },
	RS_PARAM_END
};

static int
constants(struct request *req, void *argp)
{
	struct constants_args *args = argp;
	unsigned groups = RS_CG_ALL;
	json_t *map;
	size_t i;

	if (args->group != NULL &&
	    (groups = rs_cgroup_by_name(args->group)) == 0)
		return rs_error_set(&req->err, RS_E_BAD_REQUEST, 0,
		    "group: unknown group '%.32s'", args->group);
	map = json_object();
	for (i = 0; i < rs_const_count; i++) {
		if (rs_const_table[i].group & groups)
			json_object_set_new(map, rs_const_table[i].name,
			    json_integer(rs_const_table[i].value));
	}
	request_set(req, "constants", map);
	return 0;
}

const struct op_entry op_constants = {
	"constants", constants_params, sizeof(struct constants_args),
	constants
};
