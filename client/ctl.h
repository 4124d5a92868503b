/*
 * rawsockctl's subcommands that are more than one request (ctl-*.c).  Each
 * takes the control socket path (NULL: the default) and argv with the
 * subcommand's name first; returns the exit code (2: usage).
 */
#ifndef CTL_H
#define CTL_H

#include <signal.h>

struct rs_conn;

int	ctl_capture(const char *path, int argc, char **argv);
int	ctl_send(const char *path, int argc, char **argv);
int	ctl_ping(const char *path, int argc, char **argv);

/* ctl-common.c: set by SIGINT and SIGTERM once ctl_catch_signals() ran. */
extern volatile sig_atomic_t ctl_stop;
void		 ctl_catch_signals(void);
long long	 ctl_now_us(void);		/* CLOCK_MONOTONIC */
long long	 ctl_now_ms(void);
/* Why a call on c failed: the daemon's word, else the local errno. */
const char	*ctl_why(const struct rs_conn *c);
/* A connection to path, or NULL (said on stderr). */
struct rs_conn	*ctl_connect(const char *path);

#endif
