/*
 * rawsockctl's subcommands that are more than one request (ctl-*.c).  Each
 * takes the control socket path (NULL: the default) and argv with the
 * subcommand's name first; returns the exit code (2: usage).
 */
#ifndef CTL_H
#define CTL_H

int	ctl_capture(const char *path, int argc, char **argv);
int	ctl_send(const char *path, int argc, char **argv);

#endif
