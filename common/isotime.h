/*
 * Moments are int64_t seconds since the Unix epoch (UTC). The campaign runs
 * in Asia/Shanghai, which has kept UTC+08:00 without daylight saving since
 * 1991, so moments are shown with a fixed offset (in minutes east of UTC).
 */
#ifndef FUPIN_ISOTIME_H
#define FUPIN_ISOTIME_H

#include <stddef.h>
#include <stdint.h>

#define ISO_SHANGHAI_OFFSET (8 * 60)
#define ISO_BUFSIZE 32

/*
 * Parse "2019-10-21T00:00:00+08:00", "2019-10-21T00:00+08:00",
 * "2019-10-21 08:00:00Z", or a bare date "2019-10-21" (midnight at
 * default_offset minutes). Returns 0 on success, -1 on malformed input or
 * an impossible date.
 */
int iso_parse(const char *, int default_offset, int64_t *out);
/* "2019-10-21T00:00:00+08:00"; buf must hold ISO_BUFSIZE bytes. */
char *iso_format(int64_t t, int offset, char *buf, size_t len);
/* Days since 1970-01-01 for a civil date, and back. */
int64_t iso_days_from_civil(int y, int m, int d);
void iso_civil_from_days(int64_t days, int *y, int *m, int *d);
/* 0 = Monday … 6 = Sunday. */
int iso_weekday(int64_t days);

#endif
