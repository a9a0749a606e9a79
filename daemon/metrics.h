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
/* Prometheus text exposition format; caller frees. */
char *metrics_prometheus(void);
void metrics_reset(void);

#endif
