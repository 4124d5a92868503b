/*
 * rawsockctl: the command-line client.  One table entry per subcommand,
 * each building one request; responses are printed as JSON.  A second
 * table holds the commands that need no daemon (checksum).
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "bytes.h"
#include "checksum.h"
#include "ctl.h"
#include "rawsock.h"

struct subcmd {
	const char	*name;
	const char	*usage;
	int		 minargs, maxargs;	/* maxargs -1: any */
	/* Build the request object from the arguments. */
	json_t		*(*build)(int argc, char **argv);
	/* Use an ok response; NULL: print it. */
	int		 (*use)(int *fds, size_t nfds, int argc, char **argv);
};

static json_t *
build_op(const char *op)
{
	return json_pack("{s:s}", "op", op);
}

static json_t *
build_hello(int argc, char **argv)
{
	return build_op("hello");
}

static json_t *
build_ping(int argc, char **argv)
{
	return build_op("ping");
}

static json_t *
build_stats(int argc, char **argv)
{
	return build_op("stats");
}

static json_t *
build_constants(int argc, char **argv)
{
	json_t *req = build_op("constants");

	if (argc > 0)
		json_object_set_new(req, "group", json_string(argv[0]));
	return req;
}

static json_t *
build_call(int argc, char **argv)
{
	json_error_t err;
	json_t *req;

	if ((req = json_loads(argv[0], 0, &err)) == NULL ||
	    !json_is_object(req)) {
		fprintf(stderr, "rawsockctl: call: not a JSON object: %s\n",
		    err.text);
		json_decref(req);
		return NULL;
	}
	json_object_del(req, "id");
	return req;
}

/* A number if s is all digits, else the string. */
static json_t *
name_or_number(const char *s)
{
	char *end;
	unsigned long long v;

	if (*s >= '0' && *s <= '9') {
		errno = 0;
		v = strtoull(s, &end, 10);
		if (*end == '\0' && errno == 0 && v <= 0xffffffffULL)
			return json_integer((json_int_t)v);
	}
	return json_string(s);
}

/*
 * Build op from arguments: the first ones without '=' fill the named
 * positional fields in order (numbers where they look like one, as
 * name_key/number_key say); KEY=VALUE sets any field, VALUE as JSON when
 * it parses (flags_and='["IFF_UP","IFF_BROADCAST"]'), else as a string.
 */
static json_t *
build_lookup(const char *op, const char *const *fields, int argc,
    char **argv)
{
	json_t *req = build_op(op), *v;
	const char *eq, *key;
	char name[64];
	int i, pos = 0;

	for (i = 0; i < argc; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL) {
			if (fields[pos] == NULL) {
				fprintf(stderr, "rawsockctl: %s: unexpected "
				    "'%s'\n", op, argv[i]);
				json_decref(req);
				return NULL;
			}
			key = fields[pos++];
			/* "name|number": which one the argument's form says */
			if ((eq = strchr(key, '|')) != NULL) {
				v = name_or_number(argv[i]);
				if (json_is_integer(v))
					snprintf(name, sizeof name, "%s",
					    eq + 1);
				else
					snprintf(name, sizeof name, "%.*s",
					    (int)(eq - key), key);
				json_object_set_new(req, name, v);
			} else if (*argv[i] != '\0')
				json_object_set_new(req, key,
				    json_string(argv[i]));
			continue;
		}
		snprintf(name, sizeof name, "%.*s", (int)(eq - argv[i]),
		    argv[i]);
		if ((v = json_loads(eq + 1, JSON_DECODE_ANY, NULL)) == NULL)
			v = json_string(eq + 1);
		json_object_set_new(req, name, v);
	}
	return req;
}

static json_t *
build_resolve(int argc, char **argv)
{
	static const char *const f[] = { "node", "service", NULL };

	return build_lookup("getaddrinfo", f, argc, argv);
}

static json_t *
build_nameinfo(int argc, char **argv)
{
	static const char *const f[] = { "address", NULL };

	return build_lookup("getnameinfo", f, argc, argv);
}

static json_t *
build_protocol(int argc, char **argv)
{
	static const char *const f[] = { "name|number", NULL };

	return build_lookup("protocol", f, argc, argv);
}

static json_t *
build_network(int argc, char **argv)
{
	static const char *const f[] = { "name|number", NULL };
	json_t *req;

	/* A dotted network number ("127.0.0.0", "10.1") is a number too;
	 * the daemon reads it as text. */
	if (argc > 0 && strchr(argv[0], '=') == NULL &&
	    inet_network(argv[0]) != INADDR_NONE) {
		req = build_lookup("network", f + 1, argc - 1, argv + 1);
		if (req != NULL)
			json_object_set_new(req, "number",
			    json_string(argv[0]));
		return req;
	}
	return build_lookup("network", f, argc, argv);
}

static json_t *
build_ifindex(int argc, char **argv)
{
	static const char *const f[] = { "name|index", NULL };

	return build_lookup("if_nameindex", f, argc, argv);
}

static json_t *
build_ifaddrs(int argc, char **argv)
{
	static const char *const f[] = { NULL };

	return build_lookup("ifaddrs", f, argc, argv);
}

static json_t *
build_convert(int argc, char **argv)
{
	static const char *const f[] = { "family", NULL };
	json_t *req = build_lookup("convert_address", f, 1, argv);

	if (req != NULL)
		json_object_set_new(req, "address", name_or_number(argv[1]));
	return req;
}

/* exec OPEN-PARAMS PROGRAM [ARGS]: open with pass, run PROGRAM with the
 * socket as fd 3 and RAWSOCK_FD=3 in its environment. */
static json_t *
build_exec(int argc, char **argv)
{
	json_t *req = build_call(1, argv);

	if (req != NULL) {
		json_object_set_new(req, "op", json_string("open"));
		json_object_set_new(req, "pass", json_true());
	}
	return req;
}

static int
use_exec(int *fds, size_t nfds, int argc, char **argv)
{
	if (nfds != 1) {
		fprintf(stderr, "rawsockctl: exec: no socket was passed\n");
		return 1;
	}
	if (fds[0] != 3) {
		if (dup2(fds[0], 3) == -1) {
			perror("rawsockctl: dup2");
			return 1;
		}
		close(fds[0]);
	} else if (fcntl(3, F_SETFD, 0) == -1) {
		perror("rawsockctl: fcntl");
		return 1;
	}
	setenv("RAWSOCK_FD", "3", 1);
	execvp(argv[1], argv + 1);
	fprintf(stderr, "rawsockctl: exec %s: %s\n", argv[1], strerror(errno));
	return 127;
}

/* A configdev KEY=VALUE argument's JSON value; NULL if it is not one. */
static json_t *
configdev_value(const char *key, const char *v)
{
	long long n;
	char *end;

	if (strcmp(key, "address") == 0)
		return json_string(v);
	if (strcmp(key, "prefix") == 0) {
		n = strtoll(v, &end, 10);
		return *v != '\0' && *end == '\0' ? json_integer(n) : NULL;
	}
	if (strcmp(key, "promisc") != 0 && strcmp(key, "noarp") != 0 &&
	    strcmp(key, "up") != 0)
		return NULL;
	if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0)
		return json_true();
	if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0)
		return json_false();
	return NULL;
}

/* configdev IFNAME [KEY=VALUE...]: the daemon checks the values. */
static json_t *
build_configdev(int argc, char **argv)
{
	json_t *req = json_pack("{s:s, s:s}", "op", "configdev", "ifname",
	    argv[0]);
	const char *eq;
	json_t *val;
	char key[16];
	size_t n;
	int i;

	for (i = 1; req != NULL && i < argc; i++) {
		val = NULL;
		if ((eq = strchr(argv[i], '=')) != NULL &&
		    (n = (size_t)(eq - argv[i])) < sizeof key) {
			memcpy(key, argv[i], n);
			key[n] = '\0';
			val = configdev_value(key, eq + 1);
		}
		if (val == NULL) {
			fprintf(stderr, "rawsockctl: configdev: bad argument "
			    "'%s'\n", argv[i]);
			json_decref(req);
			return NULL;
		}
		json_object_set_new(req, key, val);
	}
	return req;
}

static const struct subcmd subcmds[] = {
	{ "status", "status", 0, 0, build_hello, NULL },
	{ "ping", "ping  (the daemon answers)", 0, 0, build_ping, NULL },
	{ "stats", "stats", 0, 0, build_stats, NULL },
	{ "constants", "constants [GROUP]", 0, 1, build_constants, NULL },
	{ "call", "call JSON-REQUEST", 1, 1, build_call, NULL },
	{ "exec", "exec JSON-OPEN-PARAMS PROGRAM [ARGS...]  (socket as fd 3)",
	    2, -1, build_exec, use_exec },
	{ "configdev", "configdev IFNAME [address=ADDR[/PREFIX]] [prefix=N] "
	    "[promisc=on|off] [noarp=on|off] [up=on|off]", 1, -1,
	    build_configdev, NULL },
	{ "resolve", "resolve NODE [SERVICE] [KEY=VALUE...]  (getaddrinfo; "
	    "NODE \"\" for none)", 1, -1, build_resolve, NULL },
	{ "nameinfo", "nameinfo ADDRESS [flags=NI_...]", 1, -1,
	    build_nameinfo, NULL },
	{ "protocol", "protocol [NAME|NUMBER]", 0, 1, build_protocol, NULL },
	{ "network", "network [NAME|NUMBER] [type=AF_...]", 0, 2,
	    build_network, NULL },
	{ "ifindex", "ifindex [NAME|INDEX]", 0, 1, build_ifindex, NULL },
	{ "ifaddrs", "ifaddrs [flags_or=FLAGS] [flags_and=FLAGS]", 0, 2,
	    build_ifaddrs, NULL },
	{ "convert", "convert FAMILY ADDRESS  (inet: dotted <-> integer, "
	    "inet6: text <-> base64)", 2, 2, build_convert, NULL },
};

/* Hex from arg or, for "-", from stdin; whitespace is ignored. */
#define HEX_MAX	(1024 * 1024)

static int
read_hex(const char *arg, struct rs_bytes *out)
{
	bool in = strcmp(arg, "-") == 0;
	size_t n = 0;
	char *text;
	int c, r = -1;

	if ((text = malloc(HEX_MAX)) == NULL)
		return -1;
	while ((c = in ? getchar() : (unsigned char)*arg++) != EOF &&
	    c != '\0') {
		if (isspace(c))
			continue;
		if (n == HEX_MAX)
			goto out;
		text[n++] = (char)c;
	}
	r = rs_hex_decode(text, n, out);
out:
	free(text);
	return r;
}

/* checksum KIND HEXFRAME|-: locally, with librawsock's rs_checksum(). */
static int
run_checksum(const char *path, int argc, char **argv)
{
	struct rs_bytes f = { 0 };
	const char *why;
	uint16_t sum;
	size_t i;
	int kind;

	if ((kind = rs_csum_kind_parse(argv[1])) == -1) {
		fprintf(stderr, "rawsockctl: checksum: KIND is ip, icmp, "
		    "icmpv6, tcp or udp\n");
		return 2;
	}
	if (read_hex(argv[2], &f) == -1) {
		fprintf(stderr, "rawsockctl: checksum: the frame is not hex "
		    "(at most %d digits)\n", HEX_MAX);
		return 2;
	}
	if (rs_checksum(f.p, f.n, kind, &sum, &why) == -1) {
		fprintf(stderr, "rawsockctl: checksum: frame: %s\n", why);
		rs_bytes_free(&f);
		return 1;
	}
	printf("{\n  \"checksum\": %u,\n  \"frame_hex\": \"", sum);
	for (i = 0; i < f.n; i++)
		printf("%02x", f.p[i]);
	printf("\"\n}\n");
	rs_bytes_free(&f);
	return 0;
}

/* Commands that are not one request: local ones, and streaming ones that
 * make their own connection to path. */
static const struct localcmd {
	const char	*name;
	const char	*usage;
	int		 minargs, maxargs;
	int		 (*run)(const char *path, int argc, char **argv);
} localcmds[] = {
	{ "checksum", "checksum ip|icmp|icmpv6|tcp|udp HEXFRAME|-  (local)",
	    2, 2, run_checksum },
	{ "capture", "capture [-c COUNT] [-f FILTER] [-s SNAPLEN] "
	    "[-t SECONDS] IFNAME FILE|-  (pcap)", 2, 10, ctl_capture },
	{ "send", "send [-n REPEAT] IFNAME HEXFRAME | send [-n REPEAT] "
	    "-r PCAPFILE IFNAME", 2, 5, ctl_send },
	{ "ping", "ping [-4|-6] [-c COUNT] [-i INTERVAL_MS] [-W TIMEOUT_MS] "
	    "[-s SIZE] [-I IFNAME] HOST  (ICMP echo)", 1, 14, ctl_ping },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: rawsockctl [-s SOCKET] COMMAND [ARGS]\n"
	    "commands:\n");
	for (i = 0; i < sizeof subcmds / sizeof subcmds[0]; i++)
		fprintf(f, "  %s\n", subcmds[i].usage);
	for (i = 0; i < sizeof localcmds / sizeof localcmds[0]; i++)
		fprintf(f, "  %s\n", localcmds[i].usage);
}

/* Print the response; the exit code says whether it was ok. */
static int
print_response(const char *text)
{
	json_t *resp = json_loads(text, 0, NULL);
	json_t *err;
	const char *code, *msg;
	int ok;

	if (resp == NULL) {
		fprintf(stderr, "rawsockctl: malformed response\n");
		return 1;
	}
	ok = json_is_true(json_object_get(resp, "ok"));
	json_object_del(resp, "id");
	if (ok) {
		json_object_del(resp, "ok");
		json_dumpf(resp, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		err = json_object_get(resp, "error");
		code = json_string_value(json_object_get(err, "code"));
		msg = json_string_value(json_object_get(err, "message"));
		fprintf(stderr, "rawsockctl: %s: %s\n",
		    code != NULL ? code : "error",
		    msg != NULL ? msg : "(no message)");
	}
	json_decref(resp);
	return ok ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct subcmd *cmd = NULL;
	const char *path = NULL;
	int fds[RS_MAX_FDS], ch, r;
	struct rs_conn *c;
	char *text, *resp;
	size_t i, nfds = 0;
	json_t *req;

	while ((ch = getopt_long(argc, argv, "+s:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	/* Too few arguments for a local command: it may be a request
	 * ("ping" alone asks the daemon). */
	for (i = 0; argc > 0 && i < sizeof localcmds / sizeof localcmds[0];
	    i++) {
		if (strcmp(localcmds[i].name, argv[0]) != 0 ||
		    argc - 1 < localcmds[i].minargs)
			continue;
		if (argc - 1 > localcmds[i].maxargs) {
			usage(stderr);
			return 2;
		}
		/* argv[0] is the command, as getopt expects. */
		if ((r = localcmds[i].run(path, argc, argv)) == 2)
			usage(stderr);
		return r;
	}
	for (i = 0; argc > 0 && i < sizeof subcmds / sizeof subcmds[0]; i++) {
		if (strcmp(subcmds[i].name, argv[0]) == 0)
			cmd = &subcmds[i];
	}
	if (cmd == NULL || argc - 1 < cmd->minargs ||
	    (cmd->maxargs != -1 && argc - 1 > cmd->maxargs)) {
		usage(stderr);
		return 2;
	}
	if ((req = cmd->build(argc - 1, argv + 1)) == NULL)
		return 2;
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if ((c = rs_conn_open(path)) == NULL) {
		fprintf(stderr, "rawsockctl: connect: %s\n", strerror(errno));
		free(text);
		return 1;
	}
	resp = rs_call_json(c, text, fds, &nfds);
	free(text);
	rs_conn_close(c);
	if (resp == NULL) {
		fprintf(stderr, "rawsockctl: %s\n", strerror(errno));
		return 1;
	}
	if (cmd->use != NULL && strstr(resp, "\"ok\":true") != NULL) {
		free(resp);
		return cmd->use(fds, nfds, argc - 1, argv + 1);
	}
	r = print_response(resp);
	free(resp);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	return r;
}
