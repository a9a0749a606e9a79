/*
 * HTML for the web pages: one formatter through which every value shown
 * goes escaped, and the parsers of what a browser sends (form bodies,
 * cookies). Pure: no libevent beyond its buffers, unit-tested.
 */
#ifndef FUPIN_HTML_H
#define FUPIN_HTML_H

#include <stddef.h>

struct evbuffer;

/*
 * Append fmt to b. The markup is the format string's; every %s argument
 * is text and is escaped (& < > " '), so it is safe in an element and in
 * a quoted attribute. Also %d, %ld, %lld, %u, %%; nothing else. A NULL
 * string prints as nothing.
 */
void html_printf(struct evbuffer *b, const char *fmt, ...);
/* s escaped, n bytes (n == (size_t)-1: up to the NUL). */
void html_escape(struct evbuffer *b, const char *s, size_t n);

/*
 * The value of field `name` in an application/x-www-form-urlencoded body
 * of len bytes, decoded (+ and %XX) into a string the caller frees.
 * 0 found, 1 absent, -1 malformed body: a bad %XX, a NUL byte, text that
 * is not UTF-8, or the field given twice.
 */
int html_form_value(const char *body, size_t len, const char *name,
    char **value);
/* 0 if every field of the body is well formed (as above), else -1 with
 * *why set to a short reason. */
int html_form_check(const char *body, size_t len, const char **why);

/* The value of cookie `name` in a Cookie header, into buf (len bytes with
 * the NUL); 0, or -1 when absent or too long. */
int html_cookie(const char *header, const char *name, char *buf, size_t len);

#endif
