/*
 * names-check SOCKET IFNAME: librawsock's look-ups against the daemon,
 * one JSON object per line for test_names.py to compare with Python's
 * socket module and ip (this program judges nothing itself).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "rawsock.h"

static void
emit(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	puts(s);
	free(s);
	json_decref(o);
}

static json_t *
sockaddr_list(const struct sockaddr *sa)
{
	char host[INET6_ADDRSTRLEN];
	const struct sockaddr_in6 *s6 = (const void *)sa;
	const struct sockaddr_in *s4 = (const void *)sa;

	if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		return json_pack("[s, i, I, I]", host, ntohs(s6->sin6_port),
		    (json_int_t)ntohl(s6->sin6_flowinfo),
		    (json_int_t)s6->sin6_scope_id);
	}
	inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
	return json_pack("[s, i]", host, ntohs(s4->sin_port));
}

static void
gai(struct rs_conn *c, const char *check, const char *node,
    const char *serv, int family, int type, int flags)
{
	struct addrinfo hints = { .ai_family = family, .ai_socktype = type,
	    .ai_flags = flags }, *res, *ai;
	json_t *list;
	int rc;

	if ((rc = rs_getaddrinfo(c, node, serv, &hints, &res)) != 0) {
		emit(json_pack("{s:s, s:i, s:s}", "check", check, "rc", rc,
		    "error", rs_last_error(c)));
		return;
	}
	list = json_array();
	for (ai = res; ai != NULL; ai = ai->ai_next)
		json_array_append_new(list, json_pack("[i, i, i, s, o]",
		    ai->ai_family, ai->ai_socktype, ai->ai_protocol,
		    ai->ai_canonname != NULL ? ai->ai_canonname : "",
		    sockaddr_list(ai->ai_addr)));
	rs_freeaddrinfo(res);
	emit(json_pack("{s:s, s:i, s:o}", "check", check, "rc", 0, "list",
	    list));
}

static void
gni(struct rs_conn *c, const char *check, const char *ip, int port,
    int flags)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(port) };
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	int rc;

	inet_pton(AF_INET, ip, &sin.sin_addr);
	rc = rs_getnameinfo(c, (struct sockaddr *)&sin, sizeof sin, host,
	    sizeof host, serv, sizeof serv, flags);
	if (rc != 0)
		emit(json_pack("{s:s, s:i, s:s}", "check", check, "rc", rc,
		    "error", rs_last_error(c)));
	else
		emit(json_pack("{s:s, s:i, s:s, s:s}", "check", check, "rc",
		    0, "host", host, "serv", serv));
}

int
main(int argc, char **argv)
{
	char name[IF_NAMESIZE];
	struct rs_conn *c;
	unsigned idx;

	if (argc != 3) {
		fprintf(stderr, "usage: names-check SOCKET IFNAME\n");
		return 2;
	}
	if ((c = rs_conn_open(argv[1])) == NULL) {
		perror("rs_conn_open");
		return 1;
	}
	gai(c, "gai_localhost", "localhost", "80", AF_INET, SOCK_STREAM,
	    AI_CANONNAME);
	gai(c, "gai_v6", "2001:db8::1", "53", AF_INET6, SOCK_DGRAM,
	    AI_NUMERICHOST);
	gai(c, "gai_noname", "no-such-host.invalid-rawsockd-test", NULL, 0, 0,
	    AI_NUMERICHOST);
	gni(c, "gni_v4", "127.0.0.1", 22, NI_NUMERICSERV);
	gni(c, "gni_namereqd", "198.18.0.1", 1, NI_NAMEREQD);
	idx = rs_if_nametoindex(c, argv[2]);
	emit(json_pack("{s:s, s:i, s:s?}", "check", "ifindex", "index",
	    (int)idx, "name", rs_if_indextoname(c, idx, name)));
	errno = 0;
	rs_if_nametoindex(c, "nosuchif0");
	emit(json_pack("{s:s, s:i}", "check", "ifindex_unknown", "errno",
	    errno));
	errno = 0;
	rs_if_indextoname(c, 1u << 30, name);
	emit(json_pack("{s:s, s:i}", "check", "ifname_unknown", "errno",
	    errno));
	rs_conn_close(c);
	return 0;
}
