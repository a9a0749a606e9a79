/*
 * Counters and gauges kept in memory, labelled by one word (a verb, an
 * error code, a workflow/event). Labels come from bounded sets, so the
 * table stays small whatever the number of households.
 */
#ifndef FUPIN_METRICS_H
#define FUPIN_METRICS_H

#include <jansson.h>

void metrics_count(const char *name, const char *label, double n);
void metrics_gauge_set(const char *name, const char *label, double v);
double metrics_get(const char *name, const char *label);
/* {"counters": {"name": {"label": n}}, ...} */
json_t *metrics_json(void);
/* The gauges that are campaign figures of the whole township. */
extern const char *const metrics_campaign_gauges[];
/* metrics_json() without them: for a village, or a remote scraper. */
json_t *metrics_json_without_campaign(void);
/* The refresh statement: $1 campaign, $2 now, $3 village (NULL: all);
 * one json column {"overdue": {deadline: n}, "alerts": {kind/state: n}}. */
const char *metrics_village_sql(void);
/* Prometheus text exposition format; caller frees. With campaign 0, the
 * campaign gauges are left out. */
char *metrics_prometheus(int campaign);
void metrics_reset(void);
/* Set every series of gauge name to 0 (before a refresh rewrites them). */
void metrics_gauge_zero(const char *name);

/*
 * The gauges only the database knows: overdue households per deadline
 * and alerts by kind and delivery state. Refreshed every
 * METRICS_REFRESH_SECONDS while the daemon runs, and on demand.
 */
#define METRICS_REFRESH_SECONDS 15
void metrics_refresh_start(void);
/* Stop the timer; waiting callbacks are dropped, never called. */
void metrics_refresh_stop(void);
/* Refresh now, then call done(arg), also when the database is not up. */
void metrics_refresh(void (*done)(void *), void *arg);

#endif
