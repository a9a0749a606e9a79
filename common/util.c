/* Checked allocation, bounded string copies, error lists, small parsers. */
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void
oom(void)
{
	fputs("fatal: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		oom();
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	va_end(ap);
	return p;
}

size_t
strlcpy_safe(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

void
errlist_init(struct errlist *e)
{
	memset(e, 0, sizeof(*e));
}

void
errlist_add(struct errlist *e, const char *file, int line, const char *key,
    const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		oom();
	va_end(ap);
	if (e->count == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->items = xrealloc(e->items, e->cap * sizeof(*e->items));
	}
	if (key != NULL && *key != '\0')
		e->items[e->count++] = xasprintf("%s:%d: %s: %s",
		    file ? file : "-", line, key, msg);
	else
		e->items[e->count++] = xasprintf("%s:%d: %s", file ? file : "-",
		    line, msg);
	free(msg);
}

void
errlist_free(struct errlist *e)
{
	for (size_t i = 0; i < e->count; i++)
		free(e->items[i]);
	free(e->items);
	memset(e, 0, sizeof(*e));
}

int64_t
parse_duration(const char *s)
{
	int64_t total = 0;
	int any = 0;

	while (*s != '\0') {
		int64_t n = 0, unit;
		int digits = 0;

		while (isdigit((unsigned char)*s)) {
			if (n > INT64_MAX / 10 - 10)
				return -1;
			n = n * 10 + (*s++ - '0');
			digits++;
		}
		if (digits == 0)
			return -1;
		switch (*s++) {
		case 's':
			unit = 1;
			break;
		case 'm':
			unit = 60;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'd':
			unit = 86400;
			break;
		case 'w':
			unit = 7 * 86400;
			break;
		default:
			return -1;
		}
		if (n > (INT64_MAX - total) / unit)
			return -1;
		total += n * unit;
		any = 1;
	}
	return any ? total : -1;
}

size_t
utf8_valid_prefix(const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c == 0)
			return i;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else
			return i;
		if (i + n >= len)
			return i;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and values past U+10FFFF. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}

int
utf8_valid(const char *p, size_t len)
{
	return utf8_valid_prefix(p, len) == len;
}

int
send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

size_t
jsonb_compact(char *dst, const char *src, size_t len)
{
	const char *end = src + len;
	char *w = dst;
	int in_string = 0;

	while (src < end) {
		char ch = *src++;

		if (in_string) {
			*w++ = ch;
			if (ch == '\\' && src < end)
				*w++ = *src++;
			else if (ch == '"')
				in_string = 0;
		} else if (ch != ' ') {
			*w++ = ch;
			in_string = ch == '"';
		}
	}
	return (size_t)(w - dst);
}
