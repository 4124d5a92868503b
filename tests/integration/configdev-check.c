/*
 * rs_configdev_json() against the real daemon, for test_configdev.py:
 * `configdev-check SOCKET IFNAME PARAMS-JSON` prints the state the call
 * returned and exits 0, or prints "ERRNO-NAME: daemon's message" and
 * exits 1.  The connection stays open until stdin reads EOF, so the test
 * decides when the hold it took ends.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rawsock.h"

int
main(int argc, char **argv)
{
	struct rs_conn *c;
	char *state = NULL;
	int r;

	if (argc != 4) {
		fprintf(stderr, "usage: configdev-check SOCKET IFNAME PARAMS\n");
		return 100;
	}
	if ((c = rs_conn_open(argv[1])) == NULL) {
		perror("rs_conn_open");
		return 100;
	}
	if ((r = rs_configdev_json(c, argv[2], argv[3], &state)) == 0)
		printf("%s\n", state);
	else
		printf("%s: %s\n", strerrorname_np(errno), rs_last_error(c));
	fflush(stdout);
	free(state);
	while (getchar() != EOF)
		;
	rs_conn_close(c);
	return r == 0 ? 0 : 1;
}
