/* In-memory counters and gauges (see metrics.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "util.h"

#define METRICS_MAX 1024

struct metric {
	char *name;
	char *label;
	int gauge;
	double value;
};

static struct metric table[METRICS_MAX];
static size_t nmetrics;

static struct metric *
lookup(const char *name, const char *label, int gauge)
{
	if (label == NULL)
		label = "";
	for (size_t i = 0; i < nmetrics; i++)
		if (strcmp(table[i].name, name) == 0 &&
		    strcmp(table[i].label, label) == 0)
			return &table[i];
	if (nmetrics == METRICS_MAX)
		return NULL; /* a full table drops new series, never crashes */
	table[nmetrics].name = xstrdup(name);
	table[nmetrics].label = xstrdup(label);
	table[nmetrics].gauge = gauge;
	table[nmetrics].value = 0;
	return &table[nmetrics++];
}

void
metrics_count(const char *name, const char *label, double n)
{
	struct metric *m = lookup(name, label, 0);

	if (m != NULL)
		m->value += n;
}

void
metrics_gauge_set(const char *name, const char *label, double v)
{
	struct metric *m = lookup(name, label, 1);

	if (m != NULL)
		m->value = v;
}

double
metrics_get(const char *name, const char *label)
{
	if (label == NULL)
		label = "";
	for (size_t i = 0; i < nmetrics; i++)
		if (strcmp(table[i].name, name) == 0 &&
		    strcmp(table[i].label, label) == 0)
			return table[i].value;
	return 0;
}

json_t *
metrics_json(void)
{
	json_t *counters = json_object(), *gauges = json_object();

	for (size_t i = 0; i < nmetrics; i++) {
		json_t *group = table[i].gauge ? gauges : counters;
		json_t *m = json_object_get(group, table[i].name);

		if (table[i].label[0] == '\0') {
			json_object_set_new(group, table[i].name,
			    json_real(table[i].value));
			continue;
		}
		if (m == NULL || !json_is_object(m)) {
			m = json_object();
			json_object_set_new(group, table[i].name, m);
		}
		json_object_set_new(m, table[i].label,
		    json_real(table[i].value));
	}
	return json_pack("{s:o, s:o}", "counters", counters, "gauges", gauges);
}

char *
metrics_prometheus(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		return xstrdup("");
	for (size_t i = 0; i < nmetrics; i++) {
		const struct metric *m = &table[i];
		int first = 1;

		for (size_t k = 0; k < i; k++)
			if (strcmp(table[k].name, m->name) == 0)
				first = 0;
		if (first)
			fprintf(fp, "# TYPE fupin_%s %s\n", m->name,
			    m->gauge ? "gauge" : "counter");
		if (m->label[0] != '\0')
			fprintf(fp, "fupin_%s{label=\"%s\"} %.17g\n", m->name,
			    m->label, m->value);
		else
			fprintf(fp, "fupin_%s %.17g\n", m->name, m->value);
	}
	fclose(fp);
	return buf;
}

void
metrics_reset(void)
{
	for (size_t i = 0; i < nmetrics; i++) {
		free(table[i].name);
		free(table[i].label);
	}
	nmetrics = 0;
}
