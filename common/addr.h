/*
 * Socket addresses as people write them in fupind.conf and on fupinctl's
 * command line: "127.0.0.1:7070", "[::1]:7070", "host:7070", and Unix
 * socket paths. Pure parsing, no I/O, no name lookups: a caller that
 * accepts host names gives addr_split's host to getaddrinfo.
 */
#ifndef FUPIN_ADDR_H
#define FUPIN_ADDR_H

#include <sys/socket.h>
#include <sys/un.h>

#include <stddef.h>

/* "host:port" or "[host]:port" into host and port, both non-empty, split
 * at the last colon; the brackets are removed. 0, or -1 when spec is not
 * of that form or a part does not fit its buffer. */
int addr_split(const char *spec, char *host, size_t hostlen, char *port,
    size_t portlen);
/* A numeric "address:port" (IPv4, or IPv6 in brackets: "::1:7070" is
 * ambiguous), port 1..65535, into ss and *len. 0, or -1. */
int addr_parse(const char *spec, struct sockaddr_storage *ss,
    socklen_t *len);
/* A Unix socket path into sun and *len. 0, or -1 when it is too long. */
int addr_unix(const char *path, struct sockaddr_un *sun, socklen_t *len);
/* 1 for 127.0.0.0/8 and ::1. */
int addr_is_loopback(const struct sockaddr *);

#endif
