/*
 * fupinctl report --csv and --summary: the per-village, per-deadline
 * figures as CSV, and a table per village for a terminal. They see only
 * the data of report.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "csv.h"
#include "fupinctl.h"
#include "report.h"
#include "util.h"

/* Quoted as needed, formulas written as text (common/csv.h). */
#define csv_field csv_write_field

int
report_csv(const struct report *r, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	char due[32];

	if (f == NULL) {
		fprintf(stderr, "fupinctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fputs("village_id,village_name,deadline_id,deadline_title,due,"
	      "instances,on_time,on_time_extended,late,overdue,pending,"
	      "on_time_share,escalations,extensions\n",
	    f);
	for (size_t i = 0; i < r->nvillages; i++) {
		const struct rp_village *v = &r->villages[i];

		for (size_t k = 0; k < r->nitems; k++) {
			const struct rp_cell *c = &v->cells[k];
			long done = c->on_time + c->late + c->overdue;

			if (!r->items[k].deadline)
				continue;
			csv_field(f, v->id);
			fputc(',', f);
			csv_field(f, v->name);
			fputc(',', f);
			csv_field(f, r->items[k].id);
			fputc(',', f);
			csv_field(f, r->items[k].title);
			fprintf(f, ",%s,%ld,%ld,%ld,%ld,%ld,%ld,",
			    report_moment(r->items[k].due, due, sizeof(due)),
			    c->total, c->on_time, c->extended, c->late,
			    c->overdue, c->pending);
			if (done > 0)
				fprintf(f, "%.3f", (double)c->on_time /
				    (double)done);
			fprintf(f, ",%ld,%ld\n", v->escalations,
			    v->extensions);
		}
	}
	if (f != stdout && fclose(f) != 0) {
		fprintf(stderr, "fupinctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
pad(const char *s, int width)
{
	int w = output_width(s);

	fputs(s, stdout);
	for (; w < width; w++)
		fputc(' ', stdout);
}

void
report_summary(const struct report *r)
{
	static const char *const heads[] = { "行政村", "户数", "按时完成",
		"其中延期内", "逾期完成", "逾期未完成", "督办/通报", "延期",
		"状态" };
	static const int widths[] = { 12, 6, 10, 12, 10, 12, 11, 6, 6 };
	char buf[64], when[32];

	if (r->has_now)
		printf("各村完成情况（截至 %s）\n",
		    report_moment(r->now, when, sizeof(when)));
	for (size_t i = 0; i < nitems(heads); i++)
		pad(heads[i], widths[i]);
	printf("\n");
	for (size_t i = 0; i < r->nvillages; i++) {
		const struct rp_village *v = &r->villages[i];

		pad(v->name, widths[0]);
		snprintf(buf, sizeof(buf), "%ld", v->households);
		pad(buf, widths[1]);
		snprintf(buf, sizeof(buf), "%ld", v->sum.on_time);
		pad(buf, widths[2]);
		snprintf(buf, sizeof(buf), "%ld", v->sum.extended);
		pad(buf, widths[3]);
		snprintf(buf, sizeof(buf), "%ld", v->sum.late);
		pad(buf, widths[4]);
		snprintf(buf, sizeof(buf), "%ld", v->sum.overdue);
		pad(buf, widths[5]);
		snprintf(buf, sizeof(buf), "%ld/%ld", v->escalations,
		    v->notices);
		pad(buf, widths[6]);
		snprintf(buf, sizeof(buf), "%ld", v->extensions);
		pad(buf, widths[7]);
		printf("%s\n", report_level_word(report_village_level(v)));
	}
}
