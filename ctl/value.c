/*
 * The value parsers of fupinctl import (value.h): what a cell of a
 * villages, households or members file may hold, and its normal form.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "value.h"

static const struct value_word flag_words[] = {
	{ "1", "t" }, { "0", "f" }, { "是", "t" }, { "否", "f" },
	{ "true", "t" }, { "false", "f" }, { "yes", "t" }, { "no", "f" },
	{ "t", "t" }, { "f", "f" }, { "y", "t" }, { "n", "f" },
};
const struct value_codes value_flags = { flag_words, nitems(flag_words),
	VALUE_REQUIRED, "required (1 or 0)", "'", "' is not 1 or 0" };

static const struct value_word category_words[] = {
	{ "poor", "poor" }, { "建档立卡贫困户", "poor" }, { "贫困户", "poor" },
	{ "未脱贫户", "poor" },
	{ "lifted", "lifted" }, { "脱贫户", "lifted" },
	{ "已脱贫户", "lifted" },
	{ "relapsed", "relapsed" }, { "返贫户", "relapsed" },
	{ "marginal", "marginal" }, { "边缘户", "marginal" },
	{ "边缘易致贫户", "marginal" },
	{ "monitoring", "monitoring" }, { "脱贫监测户", "monitoring" },
	{ "监测户", "monitoring" }, { "脱贫不稳定户", "monitoring" },
	{ "ordinary", "ordinary" }, { "一般农户", "ordinary" },
	{ "一般户", "ordinary" },
};
const struct value_codes value_categories = { category_words,
	nitems(category_words), VALUE_REQUIRED, "required",
	"unknown category '", "' (poor, lifted, relapsed, marginal, "
	"monitoring, ordinary)" };

static const struct value_word change_words[] = {
	{ "increase", "increase" }, { "自然增加", "increase" },
	{ "增加", "increase" },
	{ "decrease", "decrease" }, { "自然减少", "decrease" },
	{ "减少", "decrease" },
};
const struct value_codes value_changes = { change_words,
	nitems(change_words), VALUE_EMPTY_KEEP, NULL, "'",
	"' is not increase or decrease (自然增加/自然减少)" };

/* Applies empty to an empty *val: 1 and *why set when that decides. */
static int
value_empty(char **val, enum value_empty empty, const char **why)
{
	if (**val != '\0')
		return 0;
	*why = NULL;
	if (empty == VALUE_REQUIRED)
		*why = "required";
	else if (empty == VALUE_EMPTY_NULL)
		*val = NULL;
	return 1;
}

/* The value of n (at most 9) digits, or -1. */
static int
value_digits(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
value_date_ok(int y, int m, int d)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return y >= 1900 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 &&
	    d <= (m == 2 && leap ? 29 : days[m - 1]);
}

const char *
value_id(const char *s)
{
	if (*s == '\0')
		return "required";
	if (strpbrk(s, " \t\r\n\v\f") != NULL)
		return "must not contain white space";
	if (strlen(s) > 64)
		return "longer than 64 bytes";
	return NULL;
}

const char *
value_text(char **val, enum value_empty empty)
{
	const char *why = NULL;

	value_empty(val, empty, &why);
	return why;
}

const char *
value_integer(char **val, const struct value_range *r,
    char scratch[VALUE_SCRATCH], char *why, size_t whylen)
{
	const char *s = *val, *empty_why;
	size_t len = strlen(s);
	long n;

	if (value_empty(val, r->empty, &empty_why))
		return empty_why;
	/* At most 9 digits: no sign, no overflow, no locale. */
	if (len > 9 || strspn(s, "0123456789") != len) {
		if (r->noun != NULL)
			goto out_of_range;
		snprintf(why, whylen, "'%s' is not a whole number", s);
		return why;
	}
	n = strtol(s, NULL, 10);
	if (n < r->min || n > r->max) {
		if (r->noun != NULL)
			goto out_of_range;
		snprintf(why, whylen, "must be between %ld and %ld", r->min,
		    r->max);
		return why;
	}
	snprintf(scratch, VALUE_SCRATCH, "%ld", n);
	*val = scratch;
	return NULL;
out_of_range:
	snprintf(why, whylen, "'%s' is not %s (%ld-%ld)", s, r->noun, r->min,
	    r->max);
	return why;
}

const char *
value_money(char **val, char *why, size_t whylen)
{
	const char *s = *val, *empty_why;
	size_t len = strlen(s), ints, decs = 0;

	if (value_empty(val, VALUE_EMPTY_NULL, &empty_why))
		return empty_why;
	if (s[0] == '-')
		return "must not be negative";
	ints = strspn(s, "0123456789");
	if (s[ints] == '.')
		decs = strspn(s + ints + 1, "0123456789");
	if (ints == 0 || ints > 10 ||
	    (s[ints] == '.' ? ints + 1 + decs != len || decs == 0 :
			      ints != len)) {
		snprintf(why, whylen, "'%s' is not an amount in yuan", s);
		return why;
	}
	if (decs > 2)
		return "more than 2 decimals";
	return NULL;
}

const char *
value_date(char **val, char *why, size_t whylen)
{
	const char *s = *val, *empty_why;

	if (value_empty(val, VALUE_EMPTY_NULL, &empty_why))
		return empty_why;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    !value_date_ok(value_digits(s, 4), value_digits(s + 5, 2),
		value_digits(s + 8, 2))) {
		snprintf(why, whylen, "'%s' is not a date YYYY-MM-DD", s);
		return why;
	}
	return NULL;
}

const char *
value_code(char **val, const struct value_codes *codes, char *why,
    size_t whylen)
{
	const char *empty_why;

	if (value_empty(val, codes->empty, &empty_why))
		return empty_why != NULL && codes->required_why != NULL ?
		    codes->required_why : empty_why;
	for (size_t i = 0; i < codes->nwords; i++)
		if (strcasecmp(*val, codes->words[i].word) == 0) {
			*val = (char *)codes->words[i].code;
			return NULL;
		}
	snprintf(why, whylen, "%s%s%s", codes->bad_before, *val,
	    codes->bad_after);
	return why;
}

const char *
value_person_id(char **val, char *why, size_t whylen)
{
	static const int weight[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9,
		10, 5, 8, 4, 2 };
	static const char check[] = "10X98765432";
	char *s = *val;
	int sum = 0;

	if (*s == '\0')
		return "required";
	if (strlen(s) != 18 || strspn(s, "0123456789") < 17 ||
	    strchr("0123456789Xx", s[17]) == NULL) {
		snprintf(why, whylen, "'%s' is not 17 digits and a check "
		    "character", s);
		return why;
	}
	if (s[17] == 'x')
		s[17] = 'X';
	for (int i = 0; i < 17; i++)
		sum += (s[i] - '0') * weight[i];
	if (check[sum % 11] != s[17]) {
		snprintf(why, whylen, "check character of %s should be %c", s,
		    check[sum % 11]);
		return why;
	}
	if (!value_date_ok(value_digits(s + 6, 4), value_digits(s + 10, 2),
		value_digits(s + 12, 2))) {
		snprintf(why, whylen, "%s holds no valid birth date", s);
		return why;
	}
	return NULL;
}
