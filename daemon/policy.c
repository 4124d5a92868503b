/*
 * The policy: load, match and decide.  This file is the only place that
 * says yes or no to a peer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <netdb.h>
#include <pcap/pcap.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_ether.h>

#include "const.h"
#include "policy.h"

#define DEFAULT_MAX_SOCKETS	16
#define DEFAULT_MAX_QUEUE	(4LL * 1024 * 1024)
#define DEFAULT_TX_PPS		10000
#define ROOT_MAX_SOCKETS	4096
#define ROOT_MAX_QUEUE		(64LL * 1024 * 1024)

struct loader {
	char	*err;
	size_t	 errlen;
	char	 path[128];	/* field path of what is being read */
};

static char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n == -1 ? NULL : s;
}

static int
fail(struct loader *l, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "%s: %s", l->path, msg);
	return -1;
}

static void
plist_clear(struct plist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	free(l->values);
	free(l->ip_values);
	memset(l, 0, sizeof *l);
}

/* How one list's entries are resolved. */
enum plist_kind { PL_DOMAIN, PL_TYPE, PL_PROTOCOL, PL_GLOB, PL_PORT };

static long
protocol_by_name(const char *name)
{
	struct protoent pe, *res;
	char buf[1024];
	long v;

	json_t *tmp = json_string(name);
	int r = rs_const_parse(tmp, RS_CG_IPPROTO, &v, NULL);

	json_decref(tmp);
	if (r == 0)
		return v;
	if (getprotobyname_r(name, &pe, buf, sizeof buf, &res) == 0 &&
	    res != NULL)
		return res->p_proto;
	return -1;
}

static int
plist_entry(struct loader *l, enum plist_kind kind, const json_t *v,
    struct plist *pl, size_t i)
{
	const char *why = NULL;
	json_t *tmp;
	long x;

	pl->values[i] = pl->ip_values[i] = -1;
	if (json_is_string(v))
		pl->names[i] = strdup(json_string_value(v));
	else if (json_is_integer(v) && kind != PL_GLOB)
		pl->names[i] = xasprintf("%lld",
		    (long long)json_integer_value(v));
	else
		return fail(l, "expected %s", kind == PL_GLOB ?
		    "a string" : "a name or a number");
	if (pl->names[i] == NULL)
		return fail(l, "out of memory");
	switch (kind) {
	case PL_DOMAIN:
	case PL_TYPE:
		if (rs_const_parse(v, kind == PL_DOMAIN ? RS_CG_AF : RS_CG_SOCK,
		    &x, &why) == -1)
			return fail(l, "%s '%s'", why, pl->names[i]);
		pl->values[i] = x;
		return 0;
	case PL_PROTOCOL:
		if (json_is_integer(v)) {
			pl->values[i] = pl->ip_values[i] =
			    (long)json_integer_value(v);
			return 0;
		}
		tmp = json_string(pl->names[i]);
		if (rs_const_parse(tmp, RS_CG_ETH_P, &x, NULL) == 0)
			pl->values[i] = x;
		json_decref(tmp);
		pl->ip_values[i] = protocol_by_name(pl->names[i]);
		if (pl->values[i] == -1 && pl->ip_values[i] == -1)
			return fail(l, "unknown protocol '%s'", pl->names[i]);
		return 0;
	case PL_PORT:
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 1023)
			return fail(l, "expected a port 1..1023");
		pl->values[i] = (long)json_integer_value(v);
		return 0;
	case PL_GLOB:
		return 0;
	}
	return 0;
}

static int
load_plist(struct loader *l, const json_t *obj, const char *key,
    enum plist_kind kind, struct plist *pl)
{
	size_t base = strlen(l->path), i;
	const json_t *v, *e;
	int r = 0;

	if ((v = json_object_get(obj, key)) == NULL)
		return 0;
	snprintf(l->path + base, sizeof l->path - base, ".%s", key);
	if (!json_is_array(v)) {
		r = fail(l, "expected a list");
		goto out;
	}
	pl->names = calloc(json_array_size(v) + 1, sizeof *pl->names);
	pl->values = calloc(json_array_size(v) + 1, sizeof *pl->values);
	pl->ip_values = calloc(json_array_size(v) + 1, sizeof *pl->ip_values);
	if (pl->names == NULL || pl->values == NULL || pl->ip_values == NULL) {
		r = fail(l, "out of memory");
		goto out;
	}
	json_array_foreach(v, i, e) {
		if (json_is_string(e) && strcmp(json_string_value(e), "*") == 0) {
			pl->any = true;
			continue;
		}
		snprintf(l->path + base, sizeof l->path - base, ".%s[%zu]",
		    key, i);
		if ((r = plist_entry(l, kind, e, pl, pl->n)) == -1) {
			free(pl->names[pl->n]);
			pl->names[pl->n] = NULL;
			goto out;
		}
		pl->n++;
	}
out:
	l->path[base] = '\0';
	return r;
}

static int
load_bool(struct loader *l, const json_t *obj, const char *key, bool *out)
{
	size_t base = strlen(l->path);
	const json_t *v;

	if ((v = json_object_get(obj, key)) == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(l->path + base, sizeof l->path - base, ".%s", key);
		fail(l, "expected true or false");
		l->path[base] = '\0';
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

static int
load_count(struct loader *l, const json_t *obj, const char *key,
    long long *out)
{
	size_t base = strlen(l->path);
	const json_t *v;

	if ((v = json_object_get(obj, key)) == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(l->path + base, sizeof l->path - base, ".%s", key);
		fail(l, "expected a non-negative integer");
		l->path[base] = '\0';
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static int
check_keys(struct loader *l, const json_t *obj, const char *const *keys)
{
	const char *key;
	const json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; keys[i] != NULL; i++) {
			if (strcmp(keys[i], key) == 0)
				break;
		}
		if (keys[i] == NULL)
			return fail(l, "unknown key '%s'", key);
	}
	return 0;
}

/*
 * Compile the filter once per load for both link types a socket can have
 * (filter_linktype).  Ethernet must compile; an expression that names
 * link-layer fields cannot apply to DLT_RAW sockets, which it then denies.
 */
static int
compile_filter(struct loader *l, const char *expr, struct policy_allow *a)
{
	struct rs_error e;

	if (filter_compile(expr, DLT_EN10MB, &a->filter_ether, &e) == -1)
		return fail(l, "invalid %s", e.message);
	if (filter_compile(expr, DLT_RAW, &a->filter_raw, &e) == -1 &&
	    (a->filter_raw_error = strdup(e.message)) == NULL)
		return fail(l, "out of memory");
	return 0;
}

/* addresses: networks, "198.18.0.0/15" or "2001:db8::/32" (a prefix is
 * required: a bare address would be one host), or "*". */
static int
load_addresses(struct loader *l, const json_t *obj, struct policy_allow *a)
{
	size_t base = strlen(l->path), i;
	struct rs_error e;

	if (load_plist(l, obj, "addresses", PL_GLOB, &a->addresses) == -1)
		return -1;
	if (a->addresses.n == 0)
		return 0;
	if ((a->address_nets = calloc(a->addresses.n,
	    sizeof *a->address_nets)) == NULL)
		return fail(l, "out of memory");
	for (i = 0; i < a->addresses.n; i++) {
		snprintf(l->path + base, sizeof l->path - base,
		    ".addresses[%zu]", i);
		memset(&e, 0, sizeof e);
		if (strchr(a->addresses.names[i], '/') == NULL ||
		    rs_ifaddr_parse(a->addresses.names[i], -1,
		    &a->address_nets[i], &e) == -1)
			return fail(l, "expected a network, ADDRESS/PREFIX: "
			    "'%s'", a->addresses.names[i]);
	}
	l->path[base] = '\0';
	return 0;
}

static int
load_allow(struct loader *l, const json_t *obj, struct policy_allow *a)
{
	static const char *const keys[] = { "domains", "types", "protocols",
	    "interfaces", "pass", "spoof", "filter", "configdev", "addresses",
	    "privileged_ports", "max_sockets", "max_queue_bytes", "tx_pps",
	    NULL };
	const json_t *f;

	a->max_sockets = DEFAULT_MAX_SOCKETS;
	a->max_queue_bytes = DEFAULT_MAX_QUEUE;
	a->tx_pps = DEFAULT_TX_PPS;
	if (!json_is_object(obj))
		return fail(l, "expected an object");
	if (check_keys(l, obj, keys) == -1 ||
	    load_plist(l, obj, "domains", PL_DOMAIN, &a->domains) == -1 ||
	    load_plist(l, obj, "types", PL_TYPE, &a->types) == -1 ||
	    load_plist(l, obj, "protocols", PL_PROTOCOL, &a->protocols) == -1 ||
	    load_plist(l, obj, "interfaces", PL_GLOB, &a->interfaces) == -1 ||
	    load_plist(l, obj, "privileged_ports", PL_PORT,
	    &a->privileged_ports) == -1 ||
	    load_bool(l, obj, "pass", &a->pass) == -1 ||
	    load_bool(l, obj, "spoof", &a->spoof) == -1 ||
	    load_bool(l, obj, "configdev", &a->configdev) == -1 ||
	    load_addresses(l, obj, a) == -1 ||
	    load_count(l, obj, "max_sockets", &a->max_sockets) == -1 ||
	    load_count(l, obj, "max_queue_bytes", &a->max_queue_bytes) == -1 ||
	    load_count(l, obj, "tx_pps", &a->tx_pps) == -1)
		return -1;
	if ((f = json_object_get(obj, "filter")) != NULL) {
		strcat(l->path, ".filter");
		if (!json_is_string(f))
			return fail(l, "expected a pcap expression");
		if ((a->filter = strdup(json_string_value(f))) == NULL)
			return fail(l, "out of memory");
		if (compile_filter(l, a->filter, a) == -1)
			return -1;
		*strrchr(l->path, '.') = '\0';
	}
	return 0;
}

static int
load_id(struct loader *l, const json_t *m, const char *key, long *out)
{
	const json_t *v;

	if ((v = json_object_get(m, key)) == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 0x7fffffff)
		return fail(l, "%s: expected a number", key);
	*out = (long)json_integer_value(v);
	return 0;
}

static int
load_name(struct loader *l, const json_t *m, const char *key, long *out)
{
	char buf[4096];
	const json_t *v;
	struct passwd pw, *pwr = NULL;
	struct group gr, *grr = NULL;

	if ((v = json_object_get(m, key)) == NULL)
		return 0;
	if (*out != -1)
		return fail(l, "give %s or its number, not both", key);
	if (!json_is_string(v))
		return fail(l, "%s: expected a name", key);
	if (strcmp(key, "user") == 0) {
		getpwnam_r(json_string_value(v), &pw, buf, sizeof buf, &pwr);
		if (pwr == NULL)
			return fail(l, "unknown user '%s'",
			    json_string_value(v));
		*out = pwr->pw_uid;
	} else {
		getgrnam_r(json_string_value(v), &gr, buf, sizeof buf, &grr);
		if (grr == NULL)
			return fail(l, "unknown group '%s'",
			    json_string_value(v));
		*out = grr->gr_gid;
	}
	return 0;
}

static int
load_match(struct loader *l, const json_t *m, struct policy_rule *r)
{
	static const char *const keys[] = { "uid", "user", "gid", "group",
	    NULL };

	r->uid = r->gid = -1;
	strcat(l->path, ".match");
	if (!json_is_object(m))
		return fail(l, "expected an object");
	if (check_keys(l, m, keys) == -1 ||
	    load_id(l, m, "uid", &r->uid) == -1 ||
	    load_name(l, m, "user", &r->uid) == -1 ||
	    load_id(l, m, "gid", &r->gid) == -1 ||
	    load_name(l, m, "group", &r->gid) == -1)
		return -1;
	if (r->uid == -1 && r->gid == -1)
		return fail(l, "matches nobody: give uid, user, gid or group");
	if (r->uid == OVERFLOW_ID || r->gid == OVERFLOW_ID)
		return fail(l, "%d is the overflow id and is never granted",
		    OVERFLOW_ID);
	if (r->uid == 0)
		return fail(l, "root is always allowed: no rule needed");
	*strrchr(l->path, '.') = '\0';
	if (r->uid != -1 && r->gid != -1)
		r->label = xasprintf("rule %d (uid %ld, gid %ld)", r->index,
		    r->uid, r->gid);
	else if (r->uid != -1)
		r->label = xasprintf("rule %d (uid %ld)", r->index, r->uid);
	else
		r->label = xasprintf("rule %d (gid %ld)", r->index, r->gid);
	return r->label == NULL ? fail(l, "out of memory") : 0;
}

static int
load_rule(struct loader *l, const json_t *v, struct policy_rule *r)
{
	static const char *const keys[] = { "match", "allow", "comment",
	    NULL };
	size_t base = strlen(l->path);

	if (!json_is_object(v))
		return fail(l, "expected an object");
	if (check_keys(l, v, keys) == -1)
		return -1;
	if (load_match(l, json_object_get(v, "match"), r) == -1)
		return -1;
	l->path[base] = '\0';
	strcat(l->path, ".allow");
	if (json_object_get(v, "allow") == NULL)
		return fail(l, "missing");
	if (load_allow(l, json_object_get(v, "allow"), &r->allow) == -1)
		return -1;
	l->path[base] = '\0';
	return 0;
}

struct policy *
policy_from_json(const json_t *root, char *err, size_t errlen)
{
	struct loader l = { .err = err, .errlen = errlen, .path = "policy" };
	static const char *const keys[] = { "rules", "comment", NULL };
	struct policy *p;
	const json_t *rules, *v;
	size_t i;

	if ((p = calloc(1, sizeof *p)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!json_is_object(root)) {
		fail(&l, "expected an object");
		goto bad;
	}
	if (check_keys(&l, root, keys) == -1)
		goto bad;
	rules = json_object_get(root, "rules");
	if (!json_is_array(rules)) {
		fail(&l, "rules: expected a list");
		goto bad;
	}
	p->rules = calloc(json_array_size(rules) + 1, sizeof *p->rules);
	if (p->rules == NULL) {
		fail(&l, "out of memory");
		goto bad;
	}
	json_array_foreach(rules, i, v) {
		snprintf(l.path, sizeof l.path, "rules[%zu]", i);
		p->rules[i].index = (int)i + 1;
		p->nrules++;
		if (load_rule(&l, v, &p->rules[i]) == -1)
			goto bad;
	}
	return p;
bad:
	policy_free(p);
	return NULL;
}

struct policy *
policy_load(const char *path, char *err, size_t errlen)
{
	json_error_t jerr;
	struct policy *p;
	json_t *root;
	size_t n;

	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line,
		    jerr.column, jerr.text);
		return NULL;
	}
	p = policy_from_json(root, err, errlen);
	json_decref(root);
	if (p == NULL && (n = strlen(path)) + 2 < errlen) {
		memmove(err + n + 2, err, errlen - n - 2);
		memcpy(err, path, n);
		memcpy(err + n, ": ", 2);
		err[errlen - 1] = '\0';
	}
	return p;
}

static void
allow_clear(struct policy_allow *a)
{
	plist_clear(&a->domains);
	plist_clear(&a->types);
	plist_clear(&a->protocols);
	plist_clear(&a->interfaces);
	plist_clear(&a->privileged_ports);
	plist_clear(&a->addresses);
	free(a->address_nets);
	free(a->filter);
	filter_free(&a->filter_ether);
	filter_free(&a->filter_raw);
	free(a->filter_raw_error);
}

void
policy_free(struct policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nrules; i++) {
		allow_clear(&p->rules[i].allow);
		free(p->rules[i].label);
	}
	free(p->rules);
	free(p);
}

static const struct policy_rule root_rule = {
	.index = -1,
	.label = "root",
	.uid = 0,
	.gid = -1,
	.allow = {
		.domains = { .any = true },
		.types = { .any = true },
		.protocols = { .any = true },
		.interfaces = { .any = true },
		.privileged_ports = { .any = true },
		.pass = true,
		.spoof = true,
		.configdev = true,
		.addresses = { .any = true },
		.max_sockets = ROOT_MAX_SOCKETS,
		.max_queue_bytes = ROOT_MAX_QUEUE,
		.tx_pps = 0,
	},
};

static bool
rule_matches(const struct policy_rule *r, const struct peer *peer)
{
	if (r->uid != -1 && (uid_t)r->uid != peer->uid)
		return false;
	if (r->gid != -1 && !peer_in_group(peer, (gid_t)r->gid))
		return false;
	return true;
}

const struct policy_rule *
policy_match(const struct policy *p, const struct peer *peer)
{
	size_t i;

	if (peer->uid == 0)
		return &root_rule;
	if (peer->uid == OVERFLOW_ID || p == NULL)
		return NULL;
	for (i = 0; i < p->nrules; i++) {
		if (rule_matches(&p->rules[i], peer))
			return &p->rules[i];
	}
	return NULL;
}

static json_t *
plist_to_json(const struct plist *l)
{
	json_t *a = json_array();
	size_t i;

	if (l->any)
		json_array_append_new(a, json_string("*"));
	for (i = 0; i < l->n; i++) {
		if (l->values != NULL && l->values[i] != -1 &&
		    strspn(l->names[i], "0123456789") == strlen(l->names[i]))
			json_array_append_new(a, json_integer(l->values[i]));
		else
			json_array_append_new(a, json_string(l->names[i]));
	}
	return a;
}

json_t *
policy_rule_to_json(const struct policy_rule *r)
{
	const struct policy_allow *a;
	json_t *match;

	if (r == NULL)
		return json_null();
	a = &r->allow;
	match = json_object();
	if (r->uid != -1)
		json_object_set_new(match, "uid", json_integer(r->uid));
	if (r->gid != -1)
		json_object_set_new(match, "gid", json_integer(r->gid));
	return json_pack("{s:s, s:o, s:{s:o, s:o, s:o, s:o, s:o, s:b, s:b, "
	    "s:b, s:o, s:s?, s:I, s:I, s:I}}",
	    "rule", r->label, "match", match, "allow",
	    "domains", plist_to_json(&a->domains),
	    "types", plist_to_json(&a->types),
	    "protocols", plist_to_json(&a->protocols),
	    "interfaces", plist_to_json(&a->interfaces),
	    "privileged_ports", plist_to_json(&a->privileged_ports),
	    "pass", a->pass, "spoof", a->spoof, "configdev", a->configdev,
	    "addresses", plist_to_json(&a->addresses),
	    "filter", a->filter,
	    "max_sockets", (json_int_t)a->max_sockets,
	    "max_queue_bytes", (json_int_t)a->max_queue_bytes,
	    "tx_pps", (json_int_t)a->tx_pps);
}

json_t *
policy_to_json(const struct policy *p)
{
	json_t *rules = json_array();
	size_t i;

	json_array_append_new(rules, policy_rule_to_json(&root_rule));
	for (i = 0; i < p->nrules; i++)
		json_array_append_new(rules, policy_rule_to_json(&p->rules[i]));
	return json_pack("{s:o}", "rules", rules);
}

static int
deny(const struct policy_rule *r, struct rs_error *e, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (r == NULL)
		return rs_error_set(e, RS_E_DENIED, 0,
		    "no policy rule matches this peer (default deny): %s",
		    what);
	return rs_error_set(e, RS_E_DENIED, 0, "%s does not allow %s",
	    r->label, what);
}

static bool
plist_has(const struct plist *l, const long *values, long v)
{
	size_t i;

	if (l->any)
		return true;
	for (i = 0; i < l->n; i++) {
		if (values[i] == v)
			return true;
	}
	return false;
}

static const char *
const_name(long v, unsigned group, char *buf, size_t len)
{
	const struct rs_const *c = rs_const_by_value(v, group);

	if (c != NULL)
		return c->name;
	snprintf(buf, len, "%ld", v);
	return buf;
}

int
policy_check_socket(const struct policy_rule *r, long domain, long type,
    long protocol, struct rs_error *e)
{
	const struct plist *pl;
	char buf[32];

	/* Any other family (netlink above all) would speak with the
	 * daemon's own capabilities: no rule lends one, "*" included. */
	if (r != NULL && r->index != -1 && domain != AF_PACKET &&
	    domain != AF_INET && domain != AF_INET6 && domain != AF_UNIX)
		return deny(r, e, "domain %s (only root's: a socket of it "
		    "would act with the daemon's capabilities)",
		    const_name(domain, RS_CG_AF, buf, sizeof buf));
	if (r == NULL || !plist_has(&r->allow.domains, r->allow.domains.values,
	    domain))
		return deny(r, e, "domain %s",
		    const_name(domain, RS_CG_AF, buf, sizeof buf));
	if (!plist_has(&r->allow.types, r->allow.types.values, type))
		return deny(r, e, "type %s",
		    const_name(type, RS_CG_SOCK, buf, sizeof buf));
	pl = &r->allow.protocols;
	if (domain == AF_PACKET) {
		if (!plist_has(pl, pl->values, protocol))
			return deny(r, e, "protocol %s", const_name(protocol,
			    RS_CG_ETH_P, buf, sizeof buf));
	} else if (!plist_has(pl, pl->ip_values, protocol))
		return deny(r, e, "protocol %s", const_name(protocol,
		    RS_CG_IPPROTO, buf, sizeof buf));
	return 0;
}

/* Whether the rule's packet protocols cover ethertype (all covers all). */
static int
check_ethertype(const struct policy_rule *r, long ethertype,
    const char *what, struct rs_error *e)
{
	const struct plist *pl;
	char buf[32];

	if (r == NULL)
		return deny(r, e, "%s", what);
	pl = &r->allow.protocols;
	if (plist_has(pl, pl->values, ETH_P_ALL) ||
	    plist_has(pl, pl->values, ethertype))
		return 0;
	return deny(r, e, "%s %s", what, const_name(ethertype, RS_CG_ETH_P,
	    buf, sizeof buf));
}

int
policy_check_ethertype(const struct policy_rule *r, long ethertype,
    struct rs_error *e)
{
	return check_ethertype(r, ethertype, "sending ethertype", e);
}

int
policy_check_bind_protocol(const struct policy_rule *r, long ethertype,
    struct rs_error *e)
{
	return check_ethertype(r, ethertype, "binding to protocol", e);
}

int
policy_check_interface(const struct policy_rule *r, const char *ifname,
    struct rs_error *e)
{
	const struct plist *l;
	size_t i;

	if (r == NULL)
		return deny(r, e, "interface %s", ifname);
	l = &r->allow.interfaces;
	if (l->any)
		return 0;
	for (i = 0; i < l->n; i++) {
		if (fnmatch(l->names[i], ifname, 0) == 0)
			return 0;
	}
	return deny(r, e, "interface %s", ifname);
}

int
policy_check_pass(const struct policy_rule *r, struct rs_error *e)
{
	if (r == NULL || !r->allow.pass)
		return deny(r, e, "pass (managed sockets only)");
	/* A passed packet socket can send anything on any interface. */
	if (!r->allow.interfaces.any || !r->allow.spoof)
		return deny(r, e, "pass: it restricts interfaces or source "
		    "addresses, so its sockets stay managed");
	return 0;
}

int
policy_check_quota(const struct policy_rule *r, unsigned held,
    struct rs_error *e)
{
	if (r == NULL)
		return deny(r, e, "sockets");
	if ((long long)held >= r->allow.max_sockets)
		return rs_error_set(e, RS_E_QUOTA, 0,
		    "%s allows %lld managed sockets and %u are open",
		    r->label, r->allow.max_sockets, held);
	return 0;
}

int
policy_check_unbound(const struct policy_rule *r, struct rs_error *e)
{
	if (r == NULL || !r->allow.interfaces.any)
		return deny(r, e, "a socket on every interface (give ifname)");
	return 0;
}

int
policy_check_option(const struct policy_rule *r, const char *name,
    bool privileged, bool spoofing, struct rs_error *e)
{
	if (privileged && (r == NULL || r->index != -1))
		return deny(r, e, "option %s (it needs the daemon's own "
		    "capabilities: root only)", name);
	if (spoofing && (r == NULL || !r->allow.spoof))
		return deny(r, e, "option %s (spoof is off)", name);
	return 0;
}

bool
policy_checks_spoof(const struct policy_rule *r)
{
	return r == NULL || !r->allow.spoof;
}

int
policy_filter(const struct policy_rule *r, int linktype, struct filter *out,
    struct rs_error *e)
{
	const struct policy_allow *a;

	memset(out, 0, sizeof *out);
	if (r == NULL || r->allow.filter == NULL)
		return 0;
	a = &r->allow;
	if (linktype == -1)
		return deny(r, e, "this socket type: its filter \"%s\" cannot "
		    "apply to it", a->filter);
	if (linktype == DLT_RAW && a->filter_raw_error != NULL)
		return deny(r, e, "this socket: %s", a->filter_raw_error);
	if (filter_copy(linktype == DLT_RAW ? &a->filter_raw :
	    &a->filter_ether, out) == -1)
		return rs_error_errno(e, ENOMEM, "policy filter");
	return 0;
}

int
policy_protocol(int domain, int type, int protocol)
{
	if (protocol != 0 || (domain != AF_INET && domain != AF_INET6))
		return protocol;
	if (type == SOCK_DGRAM)
		return IPPROTO_UDP;
	if (type == SOCK_STREAM)
		return IPPROTO_TCP;
	return protocol;
}

int
policy_check_port(const struct policy_rule *r, long port, struct rs_error *e)
{
	if (port == 0 || port >= 1024)
		return 0;
	if (r == NULL || !plist_has(&r->allow.privileged_ports,
	    r->allow.privileged_ports.values, port))
		return deny(r, e, "privileged port %ld", port);
	return 0;
}

/* Whether the first bits of a and net (4 or 16 bytes) agree. */
static bool
prefix_match(const uint8_t *a, const uint8_t *net, int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(a, net, (size_t)full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ net[full]) &
	    (uint8_t)(0xff << (8 - rest))) == 0;
}

int
policy_check_address(const struct policy_rule *r, const struct rs_ifaddr *a,
    struct rs_error *e)
{
	const struct rs_ifaddr *net;
	char text[INET6_ADDRSTRLEN];
	size_t i;

	if (r != NULL && r->allow.addresses.any)
		return 0;
	for (i = 0; r != NULL && i < r->allow.addresses.n; i++) {
		net = &r->allow.address_nets[i];
		if (net->family == a->family && a->prefix >= net->prefix &&
		    prefix_match((const uint8_t *)&a->addr,
		    (const uint8_t *)&net->addr, net->prefix))
			return 0;
	}
	inet_ntop(a->family, &a->addr, text, sizeof text);
	return deny(r, e, "address %s/%d (the rule's addresses do not hold "
	    "it and its prefix: a prefix route sends the host's traffic for "
	    "it to the interface)", text, a->prefix);
}

int
policy_check_configdev(const struct policy_rule *r, const char *ifname,
    struct rs_error *e)
{
	if (r == NULL || !r->allow.configdev)
		return deny(r, e, "configdev");
	return policy_check_interface(r, ifname, e);
}
