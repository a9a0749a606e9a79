/* ISO 8601 moments with an explicit offset; no dependence on TZ or libc's
 * time zone database, so the same input gives the same moment anywhere. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "isotime.h"

/* Howard Hinnant's civil-date algorithms, valid for the proleptic
 * Gregorian calendar. */
int64_t
iso_days_from_civil(int y, int m, int d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
iso_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t dd = doy - (153 * mp + 2) / 5 + 1;
	int64_t mm = mp < 10 ? mp + 3 : mp - 9;

	*y = (int)(yoe + era * 400 + (mm <= 2));
	*m = (int)mm;
	*d = (int)dd;
}

int
iso_weekday(int64_t days)
{
	/* 1970-01-01 was a Thursday (3 with Monday = 0). */
	int64_t w = (days + 3) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

static int
days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

static int
take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int
iso_parse(const char *s, int default_offset, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, off = default_offset;
	const char *p = s;

	if (take_digits(&p, 4, &y) || *p++ != '-' || take_digits(&p, 2, &mo) ||
	    *p++ != '-' || take_digits(&p, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (take_digits(&p, 2, &h) || *p++ != ':' ||
		    take_digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (take_digits(&p, 2, &sec))
				return -1;
		}
		if (h > 24 || mi > 59 || sec > 59 ||
		    (h == 24 && (mi != 0 || sec != 0)))
			return -1;
		if (*p == 'Z') {
			off = 0;
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om = 0;

			if (take_digits(&p, 2, &oh))
				return -1;
			if (*p == ':')
				p++;
			if (*p != '\0' && take_digits(&p, 2, &om))
				return -1;
			if (oh > 14 || om > 59)
				return -1;
			off = sign * (oh * 60 + om);
		}
	}
	if (*p != '\0')
		return -1;
	*out = iso_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    sec - (int64_t)off * 60;
	return 0;
}

char *
iso_format(int64_t t, int offset, char *buf, size_t len)
{
	int64_t local = t + (int64_t)offset * 60;
	int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	int64_t rem = local - days * 86400;
	int y, m, d, aoff = offset < 0 ? -offset : offset;

	iso_civil_from_days(days, &y, &m, &d);
	if (offset == 0)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
		    (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
		    y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
		    (int)(rem % 60), offset < 0 ? '-' : '+', aoff / 60,
		    aoff % 60);
	return buf;
}
