/* HTML output and form input for the web pages (see html.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "html.h"
#include "util.h"

void
html_escape(struct evbuffer *b, const char *s, size_t n)
{
	size_t start = 0, i;

	if (s == NULL)
		return;
	if (n == (size_t)-1)
		n = strlen(s);
	for (i = 0; i < n; i++) {
		const char *rep;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		evbuffer_add(b, s + start, i - start);
		evbuffer_add(b, rep, strlen(rep));
		start = i + 1;
	}
	evbuffer_add(b, s + start, n - start);
}

void
html_printf(struct evbuffer *b, const char *fmt, ...)
{
	va_list ap;
	const char *p = fmt, *lit = fmt;

	va_start(ap, fmt);
	while (*p != '\0') {
		if (*p != '%') {
			p++;
			continue;
		}
		evbuffer_add(b, lit, (size_t)(p - lit));
		p++;
		if (*p == 's')
			html_escape(b, va_arg(ap, const char *), (size_t)-1);
		else if (*p == 'd')
			evbuffer_add_printf(b, "%d", va_arg(ap, int));
		else if (*p == 'u')
			evbuffer_add_printf(b, "%u", va_arg(ap, unsigned));
		else if (p[0] == 'l' && p[1] == 'd') {
			evbuffer_add_printf(b, "%ld", va_arg(ap, long));
			p++;
		} else if (p[0] == 'l' && p[1] == 'l' && p[2] == 'd') {
			evbuffer_add_printf(b, "%lld", va_arg(ap, long long));
			p += 2;
		} else if (*p == '%')
			evbuffer_add(b, "%", 1);
		else
			abort(); /* a format this file does not know: a bug */
		p++;
		lit = p;
	}
	evbuffer_add(b, lit, (size_t)(p - lit));
	va_end(ap);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode s[0..n) (+ and %XX) into a new string; NULL if malformed. */
static char *
form_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+')
			out[k++] = ' ';
		else if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n)
				goto bad;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			out[k++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			out[k++] = s[i];
		if (k > 0 && out[k - 1] == '\0')
			goto bad;
	}
	out[k] = '\0';
	if (!utf8_valid(out, k))
		goto bad;
	return out;
bad:
	free(out);
	return NULL;
}

/* Walk the fields of body: for each, name and value spans. Returns -1 at
 * a malformed field, else the result of the visitor's last call. */
struct form_field {
	const char *name, *value;
	size_t name_len, value_len;
};

static int
form_next(const char **pos, const char *end, struct form_field *f)
{
	const char *p = *pos, *amp, *eq;

	while (p < end && *p == '&')
		p++;
	if (p >= end)
		return 0;
	amp = memchr(p, '&', (size_t)(end - p));
	if (amp == NULL)
		amp = end;
	eq = memchr(p, '=', (size_t)(amp - p));
	f->name = p;
	if (eq == NULL) {
		f->name_len = (size_t)(amp - p);
		f->value = amp;
		f->value_len = 0;
	} else {
		f->name_len = (size_t)(eq - p);
		f->value = eq + 1;
		f->value_len = (size_t)(amp - eq - 1);
	}
	*pos = amp;
	return 1;
}

int
html_form_value(const char *body, size_t len, const char *name, char **value)
{
	const char *pos = body, *end = body + len;
	struct form_field f;
	char *found = NULL;

	*value = NULL;
	while (form_next(&pos, end, &f)) {
		char *n = form_decode(f.name, f.name_len);
		int same;

		if (n == NULL)
			goto bad;
		same = strcmp(n, name) == 0;
		free(n);
		if (!same)
			continue;
		if (found != NULL)
			goto bad;
		found = form_decode(f.value, f.value_len);
		if (found == NULL)
			goto bad;
	}
	if (found == NULL)
		return 1;
	*value = found;
	return 0;
bad:
	free(found);
	return -1;
}

int
html_form_check(const char *body, size_t len, const char **why)
{
	const char *pos = body, *end = body + len;
	struct form_field f;

	if (memchr(body, '\0', len) != NULL) {
		*why = "the form holds a NUL byte";
		return -1;
	}
	while (form_next(&pos, end, &f)) {
		char *n = form_decode(f.name, f.name_len);
		char *v = form_decode(f.value, f.value_len);
		int ok = n != NULL && v != NULL;

		free(n);
		free(v);
		if (!ok) {
			*why = "the form is not valid URL-encoded UTF-8 text";
			return -1;
		}
	}
	return 0;
}

int
html_cookie(const char *header, const char *name, char *buf, size_t len)
{
	size_t nlen = strlen(name);
	const char *p = header;

	if (header == NULL)
		return -1;
	while (*p != '\0') {
		const char *end;

		while (*p == ' ' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 &&
		    p[nlen] == '=') {
			size_t vlen = (size_t)(end - p) - nlen - 1;

			while (vlen > 0 && p[nlen + vlen] == ' ')
				vlen--;
			if (vlen + 1 > len)
				return -1;
			memcpy(buf, p + nlen + 1, vlen);
			buf[vlen] = '\0';
			return 0;
		}
		p = end;
	}
	return -1;
}
