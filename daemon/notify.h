/*
 * Talking to the service manager: state notifications (READY=1,
 * STATUS=..., RELOADING=1, STOPPING=1) and watchdog keep-alives.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

struct event_base;

/* Send one notification ("READY=1\nSTATUS=..."); nothing happens when no
 * manager listens ($NOTIFY_SOCKET unset). */
void	notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * If the manager wants keep-alives ($WATCHDOG_USEC, for us if
 * $WATCHDOG_PID is set), send WATCHDOG=1 from the event loop every half
 * period, so a stuck loop gets the daemon restarted.  -1 on failure.
 */
int	notify_watchdog_start(struct event_base *base);
void	notify_watchdog_stop(void);

#endif
