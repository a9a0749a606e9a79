/*
 * One parser per kind of cell in an imported register (CONTRACT.md,
 * "Data in"). Each checks one trimmed value and may replace *val by its
 * normal form: a code word from a static table, digits written into
 * scratch, or NULL for an empty optional cell. Each returns NULL when the
 * value is good, else why it is bad: a constant, or why[] which it fills.
 * Pure: no I/O, no allocation; unit-tested and fuzzed.
 */
#ifndef VALUE_H
#define VALUE_H

#include <stddef.h>

/* The size of scratch: the longest normal form written there. */
#define VALUE_SCRATCH 32

/* What an empty cell means. */
enum value_empty {
	VALUE_REQUIRED,		/* bad: "required" */
	VALUE_EMPTY_NULL,	/* NULL (the column is left unknown) */
	VALUE_EMPTY_KEEP,	/* '' stays '' */
};

/* A whole number between min and max. noun set: one message for both a
 * non-number and a number out of range ("'x' is not a year (1980-2100)"). */
struct value_range {
	long min, max;
	enum value_empty empty;
	const char *noun;
};

/* Words a code column accepts (case-insensitive) and the code each means;
 * a bad word is reported as bad_before WORD bad_after. */
struct value_word {
	const char *word;
	const char *code;
};
struct value_codes {
	const struct value_word *words;
	size_t nwords;
	enum value_empty empty;
	const char *required_why;	/* empty and VALUE_REQUIRED */
	const char *bad_before, *bad_after;
};

extern const struct value_codes value_flags;	   /* 1/0, 是/否 -> t/f */
extern const struct value_codes value_categories; /* household category */
extern const struct value_codes value_changes;	   /* increase/decrease */

/* A key: no white space, at most 64 bytes. */
const char *value_id(const char *);
const char *value_text(char **val, enum value_empty);
/* Written back in decimal without leading zeros. */
const char *value_integer(char **val, const struct value_range *,
    char scratch[VALUE_SCRATCH], char *why, size_t whylen);
/* Yuan, not negative, at most 10 integer digits and 2 decimals; empty is
 * NULL. */
const char *value_money(char **val, char *why, size_t whylen);
/* YYYY-MM-DD, a real day from 1900 to 2100; empty is NULL. */
const char *value_date(char **val, char *why, size_t whylen);
const char *value_code(char **val, const struct value_codes *, char *why,
    size_t whylen);
/* A resident identity number (GB 11643-1999): 17 digits, the check
 * character (a lower-case x is upper-cased in place) and a real birth
 * date in digits 7-14. */
const char *value_person_id(char **val, char *why, size_t whylen);

/* A real calendar date from 1900 to 2100. */
int value_date_ok(int y, int m, int d);

#endif
