/*
 * Logging: one line per message on stderr, prefixed with <N> so journald
 * (SyslogLevelPrefix) files it at the right priority.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static int log_level = LOG_LVL_INFO;

static const struct {
	const char	*name;
	int		 level;
} levels[] = {
	{ "err", LOG_LVL_ERR },
	{ "error", LOG_LVL_ERR },
	{ "warning", LOG_LVL_WARNING },
	{ "notice", LOG_LVL_NOTICE },
	{ "info", LOG_LVL_INFO },
	{ "debug", LOG_LVL_DEBUG },
};

int
log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		if (strcmp(levels[i].name, name) == 0)
			return levels[i].level;
	}
	return -1;
}

void
log_set_level(int level)
{
	log_level = level;
}

static int
log_enabled(int level)
{
	return level <= log_level;
}

void
log_msg(int level, const char *fmt, ...)
{
	char line[1024], *p;
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* Messages quote clients (names, paths): one line, whatever they
	 * sent, so nobody can forge a log or audit line. */
	for (p = line; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	/* One write per line so concurrent threads never interleave. */
	fprintf(stderr, "<%d>%s\n", level, line);
}
