/*
 * "Did you mean ...": the edit distance between two words, and the
 * candidates closest to a mistyped one. Pure, for fupind's answers to an
 * unknown verb, workflow, event, village or household. Words are UTF-8
 * and compared by code point (a Chinese character is one edit, not three);
 * ASCII letters compare without case.
 */
#ifndef FUPIN_SUGGEST_H
#define FUPIN_SUGGEST_H

#include <stddef.h>

/* Optimal-string-alignment distance: insertions, deletions, substitutions
 * and swaps of two neighbours cost one each. A byte that is not valid
 * UTF-8 counts as one code point. Words longer than SUGGEST_MAX_LEN code
 * points are compared on their first SUGGEST_MAX_LEN. */
#define SUGGEST_MAX_LEN 64
size_t suggest_distance(const char *a, const char *b);

/* The largest distance still worth suggesting for word: one edit for
 * words of up to 4 code points, two up to 9, three from 10. */
size_t suggest_limit(const char *word);

/*
 * The candidates close to word (within suggest_limit, or having word as a
 * prefix without case), closest first, ties in candidate order: their
 * indices in out[0..max-1]; returns how many. An exact match (without
 * case) is returned alone.
 */
size_t suggest_closest(const char *word, const char *const *cands, size_t n,
    size_t *out, size_t max);

#endif
