/*
 * Small helpers shared by fupind and fupinctl: checked allocation, string
 * copies that never overflow, and an error list that configuration and
 * workflow loaders fill with "file:line: key: message" entries.
 */
#ifndef FUPIN_UTIL_H
#define FUPIN_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
char *xstrdup(const char *);
char *xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
size_t strlcpy_safe(char *, const char *, size_t);

/* Errors collected while loading a file; each entry is owned by the list. */
struct errlist {
	char **items;
	size_t count;
	size_t cap;
};

void errlist_init(struct errlist *);
void errlist_add(struct errlist *, const char *file, int line,
    const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void errlist_free(struct errlist *);

/* Parse "30m", "6h", "2d", "45s", "1d12h"; returns seconds or -1. */
int64_t parse_duration(const char *);

/* Valid UTF-8 without NUL bytes in the first len bytes. */
int utf8_valid(const char *, size_t len);
/* All of p on a blocking socket (clients only, never the daemon's loop);
 * 0, or -1 with errno. No SIGPIPE. */
int send_all(int fd, const char *p, size_t len);
/* Length of the longest valid prefix: the offset of the first bad byte. */
size_t utf8_valid_prefix(const char *, size_t len);
/* PostgreSQL's text form of a jsonb (a blank after every ',' and ':'
 * outside strings, no other) written to dst without those blanks: the
 * compact JSON jansson would write, but for numbers, which keep their
 * digits (3100.00). dst has room for len bytes; returns its length. */
size_t jsonb_compact(char *dst, const char *src, size_t len);

#endif
