/*
 * Audit records.  A record is a short list of key=value fields, rendered
 * either as journald fields (RAWSOCKD_OP=open, so `journalctl -u rawsockd
 * RAWSOCKD_OP=open RAWSOCKD_IFNAME=eth0` finds it) or, when stderr is not
 * the journal, as one logfmt line.  Records ignore --log-level: the trail
 * is not a debugging aid.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#endif

#include "audit.h"
#include "const.h"
#include "ifctl.h"
#include "log.h"

#define AUDIT_MAX_FIELDS	16
#define AUDIT_VALUE_MAX		288	/* an error message is at most 256 */

struct record {
	size_t		 n;
	const char	*keys[AUDIT_MAX_FIELDS];
	char		 values[AUDIT_MAX_FIELDS][AUDIT_VALUE_MAX];
};

void
audit_fields_init(struct audit_fields *f)
{
	memset(f, 0, sizeof *f);
	f->domain = f->type = f->protocol = -1;
	f->handle = f->accepted = -1;
}

static void __attribute__((format(printf, 3, 4)))
add(struct record *r, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (r->n == AUDIT_MAX_FIELDS)
		return;
	va_start(ap, fmt);
	vsnprintf(r->values[r->n], AUDIT_VALUE_MAX, fmt, ap);
	va_end(ap);
	r->keys[r->n++] = key;
}

/* A constant by name when the protocol knows it, else its number. */
static void
add_const(struct record *r, const char *key, long value, unsigned group)
{
	const struct rs_const *c;

	if (group != 0 && (c = rs_const_by_value(value, group)) != NULL)
		add(r, key, "%s", c->name);
	else
		add(r, key, "%ld", value);
}

static void
add_socket(struct record *r, const struct audit_fields *f)
{
	unsigned proto_group = 0;
	char name[IF_NAMESIZE];

	if (f->domain != -1)
		add_const(r, "domain", f->domain, RS_CG_AF);
	if (f->type != -1)
		add_const(r, "type", f->type, RS_CG_SOCK);
	if (f->domain == AF_PACKET)
		proto_group = RS_CG_ETH_P;
	else if (f->domain == AF_INET || f->domain == AF_INET6)
		proto_group = RS_CG_IPPROTO;
	if (f->protocol != -1)
		add_const(r, "protocol", f->protocol, proto_group);
	if (f->ifname[0] != '\0')
		add(r, "ifname", "%s", f->ifname);
	else if (f->ifindex > 0 &&
	    ifctl_name((unsigned)f->ifindex, name) != NULL)
		add(r, "ifname", "%s", name);
	else if (f->ifindex != 0)
		add(r, "ifindex", "%d", f->ifindex);
	if (f->handle != -1)
		add(r, "handle", "%lld", f->handle);
	if (f->accepted != -1)
		add(r, "accepted", "%lld", f->accepted);
	if (f->option != NULL)
		add(r, "option", "%s", f->option);
}

/* logfmt: bare when safe, else quoted with \" \\ \n \xHH escapes (a client
 * chooses interface names: no record may span lines).  The stream is the
 * record's own, so the unlocked calls: a record is on every privileged
 * op's path. */
static void
put_value(FILE *f, const char *v)
{
	const unsigned char *p;
	bool bare = *v != '\0';

	for (p = (const unsigned char *)v; *p != '\0' && bare; p++)
		bare = isgraph(*p) && *p != '"' && *p != '=' && *p != '\\';
	if (bare) {
		fputs_unlocked(v, f);
		return;
	}
	fputc_unlocked('"', f);
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			fputc_unlocked('\\', f);
			fputc_unlocked(*p, f);
		} else if (*p == '\n')
			fputs_unlocked("\\n", f);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc_unlocked(*p, f);
	}
	fputc_unlocked('"', f);
}

/* The record as one line, "audit op=open ...", into a malloc'ed string. */
static char *
logfmt(const struct record *r)
{
	char *line = NULL;
	size_t len = 0, i;
	FILE *f;

	if ((f = open_memstream(&line, &len)) == NULL)
		return NULL;
	fputs_unlocked("audit", f);
	for (i = 0; i < r->n; i++) {
		fputc_unlocked(' ', f);
		fputs_unlocked(r->keys[i], f);
		fputc_unlocked('=', f);
		put_value(f, r->values[i]);
	}
	if (fclose(f) != 0) {
		free(line);
		return NULL;
	}
	return line;
}

#ifdef HAVE_LIBSYSTEMD
/* Whether stderr is the journal (systemd sets JOURNAL_STREAM=dev:ino).
 * Asked once: the daemon never changes its stderr. */
static bool
stderr_is_journal(void)
{
	static int known = -1;
	const char *js;
	unsigned long long dev, ino;
	struct stat st;

	if (known == -1) {
		js = getenv("JOURNAL_STREAM");
		known = js != NULL && sscanf(js, "%llu:%llu", &dev,
		    &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
		    st.st_dev == dev && st.st_ino == ino;
	}
	return known;
}

static int
send_journal(const struct record *r, const char *line, int priority)
{
	char fields[AUDIT_MAX_FIELDS][AUDIT_VALUE_MAX + 32], *message = NULL,
	    prio[16];
	struct iovec iov[AUDIT_MAX_FIELDS + 3];
	size_t i, j, n = 0;
	int ret;

	if (asprintf(&message, "MESSAGE=%s", line) == -1)
		return -1;
	snprintf(prio, sizeof prio, "PRIORITY=%d", priority);
	iov[n++] = (struct iovec){ message, strlen(message) };
	iov[n++] = (struct iovec){ prio, strlen(prio) };
	iov[n++] = (struct iovec){ "SYSLOG_IDENTIFIER=rawsockd", 26 };
	for (i = 0; i < r->n; i++) {
		j = (size_t)snprintf(fields[i], sizeof fields[i], "RAWSOCKD_");
		for (const char *k = r->keys[i]; *k != '\0'; k++)
			fields[i][j++] = (char)toupper((unsigned char)*k);
		snprintf(fields[i] + j, sizeof fields[i] - j, "=%s",
		    r->values[i]);
		iov[n++] = (struct iovec){ fields[i], strlen(fields[i]) };
	}
	ret = sd_journal_sendv(iov, (int)n);
	free(message);
	return ret;
}
#endif

void
audit_emit(const char *op, uint64_t conn_id, const struct peer *peer,
    const struct audit_fields *f, const struct rs_error *err,
    const char *rule)
{
	bool denied = err->kind == RS_E_DENIED;
	int priority = denied ? LOG_LVL_WARNING : LOG_LVL_NOTICE;
	struct record r = { 0 };
	char *line;

	add(&r, "op", "%s", op);
	add(&r, "decision", "%s", denied ? "denied" : "allowed");
	add(&r, "uid", "%u", (unsigned)peer->uid);
	add(&r, "gid", "%u", (unsigned)peer->gid);
	add(&r, "pid", "%d", (int)peer->pid);
	add(&r, "conn", "%llu", (unsigned long long)conn_id);
	add_socket(&r, f);
	add(&r, "rule", "%s", rule);
	add(&r, "result", "%s", err->kind == RS_E_NONE ? "ok" :
	    rs_error_code(err));
	if (err->kind != RS_E_NONE)
		add(&r, "reason", "%s", err->message);
	if ((line = logfmt(&r)) == NULL) {
		log_err("audit: out of memory: op %s by uid %u", op,
		    (unsigned)peer->uid);
		return;
	}
#ifdef HAVE_LIBSYSTEMD
	if (stderr_is_journal() && send_journal(&r, line, priority) >= 0) {
		free(line);
		return;
	}
#endif
	fprintf(stderr, "<%d>%s\n", priority, line);
	free(line);
}
