/* Socket addresses (see addr.h). */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "util.h"

int
addr_split(const char *spec, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char *colon = strrchr(spec, ':'), *h = spec;
	size_t n;

	if (colon == NULL || colon == spec || colon[1] == '\0')
		return -1;
	n = (size_t)(colon - spec);
	if (spec[0] == '[') {
		if (n < 3 || spec[n - 1] != ']')
			return -1;
		h = spec + 1;
		n -= 2;
	}
	if (n >= hostlen || strlcpy_safe(port, colon + 1, portlen) >= portlen)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	return 0;
}

int
addr_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1], port[8], *end;
	long p;

	if (addr_split(spec, host, sizeof(host), port, sizeof(port)) < 0)
		return -1;
	p = strtol(port, &end, 10);
	if (port[0] < '0' || port[0] > '9' || *end != '\0' || p < 1 ||
	    p > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (spec[0] != '[') {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return -1;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)p);
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -1;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*in6);
	}
	return 0;
}

int
addr_unix(const char *path, struct sockaddr_un *sun, socklen_t *len)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlcpy_safe(sun->sun_path, path, sizeof(sun->sun_path)) >=
	    sizeof(sun->sun_path))
		return -1;
	*len = sizeof(*sun);
	return 0;
}

int
addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return 0;
}
