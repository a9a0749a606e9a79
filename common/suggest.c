/* Edit distance and suggestions (see suggest.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "suggest.h"

/* Decode at most SUGGEST_MAX_LEN code points of s, ASCII folded to lower
 * case; a bad byte is taken as itself. Returns the count. */
static size_t
decode(const char *s, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p != '\0' && n < SUGGEST_MAX_LEN) {
		uint32_t c = *p;
		int len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 :
		    (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		int ok = len > 0;

		for (int i = 1; ok && i < len; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (!ok || len == 1) {
			cp[n++] = c >= 'A' && c <= 'Z' ? c + 32 : c | (ok ? 0 :
			    0x80000000u);
			p++;
			continue;
		}
		c &= 0xff >> (len + 1);
		for (int i = 1; i < len; i++)
			c = (c << 6) | (p[i] & 0x3f);
		cp[n++] = c;
		p += len;
	}
	return n;
}

static size_t
min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

size_t
suggest_distance(const char *a, const char *b)
{
	uint32_t x[SUGGEST_MAX_LEN], y[SUGGEST_MAX_LEN];
	/* Three rows of the matrix: two back for the swap. */
	size_t rows[3][SUGGEST_MAX_LEN + 1];
	size_t n = decode(a, x), m = decode(b, y);
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	for (size_t j = 0; j <= m; j++)
		prev[j] = j;
	for (size_t i = 1; i <= n; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t cost = x[i - 1] == y[j - 1] ? 0 : 1;

			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1,
			    prev[j - 1] + cost);
			if (i > 1 && j > 1 && x[i - 1] == y[j - 2] &&
			    x[i - 2] == y[j - 1] && prev2[j - 2] + 1 < cur[j])
				cur[j] = prev2[j - 2] + 1;
		}
		{
			size_t *t = prev2;
			prev2 = prev;
			prev = cur;
			cur = t;
		}
	}
	return prev[m];
}

size_t
suggest_limit(const char *word)
{
	uint32_t x[SUGGEST_MAX_LEN];
	size_t n = decode(word, x);

	return n < 5 ? 1 : n < 10 ? 2 : 3;
}

/* word is a prefix of cand, without case, and not empty. */
static int
is_prefix(const char *word, const char *cand)
{
	uint32_t x[SUGGEST_MAX_LEN], y[SUGGEST_MAX_LEN];
	size_t n = decode(word, x), m = decode(cand, y);

	if (n == 0 || n > m)
		return 0;
	return memcmp(x, y, n * sizeof(*x)) == 0;
}

size_t
suggest_closest(const char *word, const char *const *cands, size_t n,
    size_t *out, size_t max)
{
	size_t limit = suggest_limit(word), count = 0;
	size_t *dist;

	if (max == 0 || n == 0)
		return 0;
	if ((dist = calloc(n, sizeof(*dist))) == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		dist[i] = suggest_distance(word, cands[i]);
		if (dist[i] == 0) {
			out[0] = i;
			free(dist);
			return 1;
		}
		/* A prefix ranks as one edit, whatever its length. */
		if (dist[i] > 1 && is_prefix(word, cands[i]))
			dist[i] = 1;
	}
	/* A stable insertion sort of the close ones by distance. */
	for (size_t i = 0; i < n; i++) {
		size_t k;

		if (dist[i] > limit)
			continue;
		if (count == max && dist[out[max - 1]] <= dist[i])
			continue;
		k = count < max ? count++ : max - 1;
		while (k > 0 && dist[out[k - 1]] > dist[i]) {
			out[k] = out[k - 1];
			k--;
		}
		out[k] = i;
	}
	free(dist);
	return count;
}
