/*
 * rawsockd: arguments, policy, the listening socket, signals, the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "closer.h"
#include "conn.h"
#include "daemon.h"
#include "envelope.h"
#include "ifctl.h"
#include "ifgone.h"
#include "ifwatch.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "policy.h"
#include "privs.h"
#include "recheck.h"
#include "server.h"
#include "sockpool.h"
#include "spoof.h"
#include "stream.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: rawsockd [--socket PATH] [--socket-mode MODE] "
	    "[--policy FILE]\n"
	    "                [--log-level err|warning|notice|info|debug]\n"
	    "                [--user USER[:GROUP] | --user UID:GID]\n"
	    "                [--busy-poll-us N]\n"
	    "       rawsockd --check-policy FILE\n"
	    "       rawsockd --version\n");
}

static int
check_policy(const char *path)
{
	char err[512];
	struct policy *p;
	json_t *j;

	if ((p = policy_load(path, err, sizeof err)) == NULL) {
		fprintf(stderr, "rawsockd: invalid policy: %s\n", err);
		return 1;
	}
	j = policy_to_json(p);
	json_dumpf(j, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(j);
	policy_free(p);
	return 0;
}

/* The policy file, or root-only when the default file is absent. */
static struct policy *
initial_policy(const char *path, int explicit)
{
	char err[512];
	struct policy *p;

	if (!explicit && access(path, F_OK) == -1 && errno == ENOENT) {
		log_notice("%s: absent; only root is allowed", path);
		return calloc(1, sizeof(struct policy));
	}
	if ((p = policy_load(path, err, sizeof err)) == NULL)
		log_err("invalid policy: %s", err);
	return p;
}

static void
reload_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	char err[512];
	struct policy *p;
	size_t closed;

	notify("RELOADING=1");
	if ((p = policy_load(d->policy_path, err, sizeof err)) == NULL) {
		log_err("reload refused, keeping the old policy: %s", err);
		notify("READY=1\nSTATUS=reload refused, kept %zu policy rules",
		    d->policy->nrules);
		return;
	}
	policy_free(d->policy);
	d->policy = p;
	closed = recheck_conns(d);
	log_notice("policy reloaded from %s (%zu rules), %zu handles it "
	    "does not allow closed", d->policy_path, p->nrules, closed);
	notify("READY=1\nSTATUS=serving, %zu policy rules (reloaded)",
	    p->nrules);
}

static void
exit_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	log_notice("signal %d: exiting", (int)sig);
	notify("STOPPING=1\nSTATUS=exiting on signal %d", (int)sig);
	event_base_loopexit(d->base, NULL);
}

/*
 * Become the --user: the socket is already bound (as root, and given to
 * the user), the policy already read; a reload must still be able to
 * read it, so refuse to run if it cannot.
 */
static int
drop_privileges(struct daemon *d, const struct privs_user *u)
{
	char err[256], *copy;

	if (privs_drop(u, err, sizeof err) == -1) {
		log_err("%s", err);
		return -1;
	}
	if (access(d->policy_path, R_OK) == -1 && errno != ENOENT) {
		log_err("%s: not readable as uid %u: %s", d->policy_path,
		    (unsigned)u->uid, strerror(errno));
		return -1;
	}
	if (d->socket_path != NULL && (copy = strdup(d->socket_path)) != NULL) {
		if (access(dirname(copy), W_OK) == -1)
			log_warn("%s: not writable as uid %u: the socket will "
			    "stay behind at exit", copy, (unsigned)u->uid);
		free(copy);
	}
	log_notice("running as uid %u gid %u with CAP_NET_RAW and "
	    "CAP_NET_ADMIN only (CAP_NET_BIND_SERVICE just for binding a "
	    "privileged port)", (unsigned)u->uid, (unsigned)u->gid);
	return 0;
}

/* Started as root without --user: uid 0 stays, its capabilities go. */
static int
drop_root_caps(void)
{
	char err[256];

	if (privs_drop_caps(err, sizeof err) == -1) {
		log_err("%s", err);
		return -1;
	}
	log_notice("running as root with CAP_NET_RAW and CAP_NET_ADMIN at most "
	    "(CAP_NET_BIND_SERVICE just for binding a privileged port); "
	    "--user leaves uid 0 too");
	return 0;
}

/* The fd table is grown to this many at start at most. */
#define FD_TABLE_MAX	65536

/*
 * Raise the fd limit to its hard maximum, and grow the fd table to it
 * now: grown later, once threads share it, each doubling waits for an
 * RCU grace period (10-30 ms here) on the loop thread.
 */
static void
raise_fd_limit(void)
{
	struct rlimit rl;
	rlim_t n;
	int fd;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	n = rl.rlim_cur < FD_TABLE_MAX ? rl.rlim_cur : FD_TABLE_MAX;
	if (n > 0 && (fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC,
	    (int)n - 1)) != -1)
		close(fd);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "socket-mode", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'p' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "check-policy", required_argument, NULL, 'c' },
		{ "user", required_argument, NULL, 'u' },
		{ "busy-poll-us", required_argument, NULL, 'b' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon d = { .policy_path = RAWSOCKD_POLICY_PATH };
	const char *socket_path = RAWSOCKD_SOCKET_PATH;
	struct privs_user user, *userp = NULL;
	char err[256];
	struct event *sigs[3];
	int ch, level, explicit_policy = 0, r;
	unsigned long busy_poll_us = 0;
	mode_t mode = 0666;
	char *end;
	size_t i;

	while ((ch = getopt_long(argc, argv, "s:m:p:l:c:u:b:Vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			socket_path = optarg;
			break;
		case 'm':
			mode = (mode_t)strtoul(optarg, &end, 8);
			if (*end != '\0' || mode > 0777) {
				fprintf(stderr, "rawsockd: bad mode %s\n",
				    optarg);
				return 2;
			}
			break;
		case 'p':
			d.policy_path = optarg;
			explicit_policy = 1;
			break;
		case 'l':
			if ((level = log_level_parse(optarg)) == -1) {
				fprintf(stderr, "rawsockd: bad log level %s\n",
				    optarg);
				return 2;
			}
			log_set_level(level);
			break;
		case 'c':
			return check_policy(optarg);
		case 'u':
			if (privs_parse_user(optarg, &user, err,
			    sizeof err) == -1) {
				fprintf(stderr, "rawsockd: %s\n", err);
				return 2;
			}
			userp = &user;
			break;
		case 'b':
			busy_poll_us = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    busy_poll_us > LOOP_BUSY_POLL_MAX_US) {
				fprintf(stderr, "rawsockd: --busy-poll-us: 0 to "
				    "%d\n", LOOP_BUSY_POLL_MAX_US);
				return 2;
			}
			break;
		case 'V':
			puts("rawsockd " RAWSOCKD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	TAILQ_INIT(&d.conns);
	if ((d.policy = initial_policy(d.policy_path, explicit_policy)) ==
	    NULL)
		return 1;
	if ((d.rxbuf = malloc(RS_MAX_REQUEST)) == NULL ||
	    (d.base = event_base_new()) == NULL) {
		log_err("out of memory");
		return 1;
	}
	if (server_start(&d, socket_path, mode, userp) < 0)
		return 1;
	/* Capabilities and no_new_privs are per thread: before any starts. */
	if ((userp != NULL && drop_privileges(&d, userp) == -1) ||
	    (userp == NULL && geteuid() == 0 && drop_root_caps() == -1)) {
		server_stop(&d);
		return 1;
	}
	if (privs_no_new_privs() == -1 || closer_start() == -1 ||
	    sockpool_start() == -1 || ifctl_open() < 0 ||
	    notify_watchdog_start(d.base) == -1) {
		log_err("cannot start: %s", strerror(errno));
		server_stop(&d);
		return 1;
	}
	stream_init();
	if ((r = ifwatch_open()) < 0)
		log_warn("no rtnetlink watch (%s): interface facts are read "
		    "for every frame checked", strerror(-r));
	if ((r = ifgone_start(&d)) < 0) {
		log_err("cannot watch for deleted interfaces: %s",
		    strerror(-r));
		server_stop(&d);
		return 1;
	}
	sigs[0] = evsignal_new(d.base, SIGTERM, exit_cb, &d);
	sigs[1] = evsignal_new(d.base, SIGINT, exit_cb, &d);
	sigs[2] = evsignal_new(d.base, SIGHUP, reload_cb, &d);
	for (i = 0; i < 3; i++)
		event_add(sigs[i], NULL);
	log_notice("rawsockd %s ready (%zu policy rules)", RAWSOCKD_VERSION,
	    d.policy->nrules);
	notify("READY=1\nSTATUS=serving, %zu policy rules", d.policy->nrules);

	r = loop_run(&d, (unsigned)busy_poll_us);

	server_stop(&d);
	conn_close_all(&d);
	/* Run the deferred frees of the connections just closed. */
	event_base_loop(d.base, EVLOOP_NONBLOCK);
	sockpool_stop();
	closer_stop();
	notify_watchdog_stop();
	ifwatch_close();
	ifgone_stop();
	stream_fini();
	ifctl_close();
	spoof_forget();
	for (i = 0; i < 3; i++)
		event_free(sigs[i]);
	event_base_free(d.base);
	policy_free(d.policy);
	free(d.rxbuf);
	if (userp != NULL)
		privs_user_free(userp);
	return r == -1 ? 1 : 0;
}
