/*
 * fupinctl report --html: a self-contained page (inline CSS and SVG, no
 * network, A4) from the data of report.h: the calendar as a timeline
 * marking the daemon's today, per village a bar per deadline (share of
 * households that left the deadline's states in time), the overdue list,
 * the alert history; villages the furthest behind first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "report.h"
#include "util.h"

static char *
short_title(const char *t)
{
	const char *a = strstr(t, "："), *b = strstr(t, "，");
	const char *end = a && (!b || a < b) ? a : b;

	return end ? xasprintf("%.*s", (int)(end - t), t) : xstrdup(t);
}

static void
html_escape(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static const char html_style[] =
    "<style>\n"
    "@page{size:A4 landscape;margin:10mm}\n"
    "*{box-sizing:border-box}\n"
    "body{font-family:'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi "
    "Micro Hei','Microsoft YaHei',sans-serif;color:#1f2937;margin:0;"
    "background:#fff;font-size:13px;-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}\n"
    "main{max-width:1160px;margin:0 auto;padding:18px 20px}\n"
    "h1{font-size:22px;margin:0 0 4px}\n"
    "h2{font-size:16px;margin:22px 0 8px;border-left:4px solid #b91c1c;"
    "padding-left:8px}\n"
    ".sub{color:#6b7280;margin:0 0 12px}\n"
    ".kpis{display:flex;gap:10px;flex-wrap:wrap;margin:10px 0}\n"
    ".kpi{flex:1;min-width:150px;border:1px solid #e5e7eb;border-radius:6px;"
    "padding:8px 12px}\n"
    ".kpi b{display:block;font-size:22px}\n"
    ".kpi.bad b{color:#b91c1c}.kpi.ok b{color:#15803d}\n"
    ".alertbox{border:2px solid #b91c1c;background:#fef2f2;border-radius:6px;"
    "padding:10px 14px;font-size:15px;margin:10px 0}\n"
    ".alertbox.okbox{border-color:#15803d;background:#f0fdf4}\n"
    "table{border-collapse:collapse;width:100%}\n"
    "th,td{border-bottom:1px solid #e5e7eb;padding:4px 5px;text-align:left;"
    "vertical-align:middle}\n"
    "th{background:#f3f4f6;font-weight:600;font-size:12px}\n"
    "tr{page-break-inside:avoid}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".badge{display:inline-block;border-radius:10px;padding:1px 8px;"
    "font-size:12px;color:#fff}\n"
    ".red .badge{background:#b91c1c}.amber .badge{background:#d97706}"
    ".green .badge{background:#15803d}\n"
    "tr.red td.name{border-left:5px solid #b91c1c}"
    "tr.amber td.name{border-left:5px solid #d97706}"
    "tr.green td.name{border-left:5px solid #15803d}\n"
    "td.name{font-weight:600;white-space:nowrap}\n"
    "td.nw,td.num,.badge{white-space:nowrap}\n"
    "th small{display:block;font-weight:400;color:#6b7280}\n"
    ".bar{display:flex;height:10px;width:100%;min-width:52px;"
    "background:#e5e7eb;border-radius:2px;overflow:hidden}\n"
    ".bar span{display:block;height:100%}\n"
    ".s-on{background:#16a34a}.s-ext{background:#0d9488}"
    ".s-late{background:#f59e0b}.s-over{background:#dc2626}"
    ".s-pend{background:#cbd5e1}\n"
    ".cell small{display:block;font-size:10px;color:#4b5563;"
    "text-align:center}\n"
    ".legend span{display:inline-block;width:10px;height:10px;"
    "margin:0 4px 0 12px;vertical-align:middle}\n"
    ".small{font-size:11px;color:#4b5563}\n"
    ".k-reminder{color:#1d4ed8}.k-overdue{color:#b45309}"
    ".k-escalation{color:#b91c1c;font-weight:600}\n"
    "td.text{font-size:12px}\n"
    "svg text{font-family:inherit}\n"
    "@media print{main{padding:0;max-width:none}h2{break-after:avoid}"
    ".pb{break-before:page}}\n"
    "</style>\n";

static const char *
status_colour(const char *status)
{
	if (strcmp(status, "overdue") == 0)
		return "#dc2626";
	if (strcmp(status, "open") == 0)
		return "#2563eb";
	if (strcmp(status, "closed") == 0)
		return "#86a98f";
	return "#cbd5e1";
}

/* The calendar as a timeline: stages on one row, windows below, the
 * lock and tasks as markers, today as a red line. */
static void
html_timeline(FILE *f, const struct report *r)
{
	const int W = 1120, left = 10, right = 10, top = 30, rowh = 34;
	int64_t t0 = INT64_MAX, t1 = INT64_MIN;
	int rows = 4, H = top + rows * rowh + 24;
	double scale;
	char buf[32];

	for (size_t i = 0; i < r->nitems; i++) {
		const struct rp_item *it = &r->items[i];

		if (it->opens != INT64_MIN && it->opens < t0)
			t0 = it->opens;
		if (it->due < t0 && strcmp(it->kind, "stage") == 0)
			t0 = it->due - 3 * 86400;
		if (it->due > t1)
			t1 = it->due;
	}
	if (t0 == INT64_MAX)
		return;
	t0 -= 86400;
	t1 += 2 * 86400;
	scale = (double)(W - left - right) / (double)(t1 - t0);
#define X(t) (left + (double)((t) - t0) * scale)
	fprintf(f, "<svg viewBox='0 0 %d %d' width='100%%' role='img' "
		   "aria-label='时间轴' xmlns='http://www.w3.org/2000/svg'>\n",
	    W, H);
	/* month and week ticks */
	{
		int64_t d = (t0 + ISO_SHANGHAI_OFFSET * 60) / 86400;

		for (; d * 86400 - ISO_SHANGHAI_OFFSET * 60 <= t1; d++) {
			int y, m, dd;
			int64_t t = d * 86400 - ISO_SHANGHAI_OFFSET * 60;

			iso_civil_from_days(d, &y, &m, &dd);
			if (dd == 1 || t <= t0) {
				fprintf(f, "<line x1='%.1f' x2='%.1f' y1='14' "
					   "y2='%d' stroke='#9ca3af'/>"
					   "<text x='%.1f' y='11' font-size='12' "
					   "fill='#374151'>%d年%d月</text>\n",
				    X(t), X(t), H - 18, X(t) + 3, y, m);
			} else if (iso_weekday(d) == 0) {
				fprintf(f, "<line x1='%.1f' x2='%.1f' y1='20' "
					   "y2='%d' stroke='#eef0f3'/>"
					   "<text x='%.1f' y='%d' font-size='9' "
					   "fill='#9ca3af' text-anchor='middle'>"
					   "%d</text>\n",
				    X(t), X(t), H - 18, X(t), H - 6, dd);
			}
		}
	}
	for (size_t i = 0; i < r->nitems; i++) {
		const struct rp_item *it = &r->items[i];
		int64_t opens = it->opens;
		int row;
		double x0, x1;
		char *st = short_title(it->title);

		if (strcmp(it->kind, "stage") == 0)
			row = 0;
		else if (strcmp(it->kind, "window") == 0)
			row = strcmp(it->id, "survey") == 0 ? 1 : 2;
		else
			row = 3;
		if (opens == INT64_MIN || row == 3) {
			/* the lock and tasks: a marker at the due moment */
			double x = X(it->due);
			int y = top + row * rowh;

			fprintf(f, "<path d='M%.1f %d l7 9 l-7 9 l-7 -9 z' "
				   "fill='%s'/><text x='%.1f' y='%d' "
				   "font-size='11' fill='#374151' "
				   "text-anchor='%s'>",
			    x, y, status_colour(it->status),
			    x + (x > W - 200 ? -10 : 10), y + 14,
			    x > W - 200 ? "end" : "start");
			html_escape(f, st);
			fprintf(f, " %s</text>\n",
			    report_moment(it->due, buf, sizeof(buf)) + 5);
			free(st);
			continue;
		}
		x0 = X(opens);
		x1 = X(it->due);
		fprintf(f, "<rect x='%.1f' y='%d' width='%.1f' height='20' "
			   "rx='3' fill='%s' stroke='#fff'/>",
		    x0, top + row * rowh, x1 - x0 > 1 ? x1 - x0 : 1,
		    status_colour(it->status));
		fprintf(f, "<text x='%.1f' y='%d' font-size='11' fill='%s' "
			   "text-anchor='middle'>",
		    (x0 + x1) / 2, top + row * rowh + 14,
		    strcmp(it->status, "upcoming") == 0 ? "#374151" : "#fff");
		/* only a label that fits (CJK: 11 px a character) */
		if (x1 - x0 > (double)strlen(st) / 3.0 * 11.0 + 6)
			html_escape(f, st);
		else if (x1 - x0 > 50 && strncmp(st, "第", 3) == 0)
			html_escape(f, st + 3);
		fprintf(f, "</text><title>");
		html_escape(f, it->title);
		fprintf(f, "</title>\n");
		free(st);
	}
	if (r->has_now && r->now >= t0 && r->now <= t1) {
		double x = X(r->now);

		fprintf(f, "<line x1='%.1f' x2='%.1f' y1='16' y2='%d' "
			   "stroke='#b91c1c' stroke-width='2.5'/>"
			   "<rect x='%.1f' y='%d' width='100' height='16' "
			   "rx='3' fill='#b91c1c'/><text x='%.1f' y='%d' "
			   "font-size='11' fill='#fff' text-anchor='middle'>"
			   "今天 %s</text>\n",
		    x, x, H - 18, x > W - 110 ? x - 100 : x, H - 18,
		    x > W - 110 ? x - 50 : x + 50, H - 6,
		    report_moment(r->now, buf, sizeof(buf)) + 5);
	}
#undef X
	fprintf(f, "</svg>\n<div class='small legend'>"
		   "<span style='background:#86a98f'></span>已结束"
		   "<span style='background:#2563eb'></span>进行中"
		   "<span style='background:#dc2626'></span>已截止仍有逾期"
		   "<span style='background:#cbd5e1'></span>未开始"
		   "</div>\n");
}

static void
html_cell(FILE *f, const struct rp_cell *c)
{
	long all = c->total;
	long on = c->on_time - c->extended;

	if (all == 0) {
		fputs("<td class='cell'><small>—</small></td>", f);
		return;
	}
	fprintf(f, "<td class='cell' title='按时%ld 延期内%ld 逾期完成%ld "
		   "逾期未完成%ld 未到期%ld'><div class='bar'>",
	    on, c->extended, c->late, c->overdue, c->pending);
#define SEG(n, cls)                                                        \
	if ((n) > 0)                                                       \
		fprintf(f, "<span class='%s' style='width:%.2f%%'></span>", \
		    cls, 100.0 * (double)(n) / (double)all);
	SEG(on, "s-on")
	SEG(c->extended, "s-ext")
	SEG(c->late, "s-late")
	SEG(c->overdue, "s-over")
	SEG(c->pending, "s-pend")
#undef SEG
	fprintf(f, "</div><small>%d%%</small></td>",
	    report_pct(c->on_time, all));
}

static void
html_overdue(FILE *f, const struct report *r)
{
	char buf[32];

	fprintf(f, "<h2>逾期清单（%ld项）</h2>\n", r->overdue_total);
	if (r->noverdue == 0) {
		fputs("<p>当前没有逾期事项。</p>\n", f);
		return;
	}
	fputs("<table><tr><th>行政村</th><th>户 / 任务</th><th>业务</th>"
	      "<th>所处环节</th><th>应完成节点</th><th>截止</th>"
	      "<th>已逾期</th></tr>\n",
	    f);
	for (size_t i = 0; i < r->noverdue; i++) {
		const struct rp_overdue *o = &r->overdue[i];
		char *st = short_title(o->deadline_title);
		char *state = short_title(o->state_title);
		char *slash = strstr(state, " / ");

		if (slash != NULL)
			*slash = '\0';
		fputs("<tr><td class='nw'>", f);
		html_escape(f, o->village);
		fputs("</td><td>", f);
		html_escape(f, o->household != NULL ? o->household :
		    "（村级任务）");
		fputs("</td><td>", f);
		html_escape(f, o->workflow);
		fputs("</td><td>", f);
		html_escape(f, state);
		fputs("</td><td>", f);
		html_escape(f, st);
		fprintf(f, "</td><td>%s%s</td><td class='num'>%d天</td></tr>\n",
		    report_moment(o->due, buf, sizeof(buf)),
		    o->extended ? "（已延期）" : "", o->days);
		free(st);
		free(state);
	}
	fputs("</table>\n", f);
}

static void
html_alerts(FILE *f, const struct report *r)
{
	char buf[32];

	fprintf(f, "<h2 class='pb'>提醒与督办记录（共%ld条，另有每日汇总%ld条；"
		   "最新在前）</h2>\n",
	    r->alerts_total - r->digests, r->digests);
	if (r->nalerts == 0) {
		fputs("<p>尚未发出提醒。</p>\n", f);
		return;
	}
	fputs("<table><tr><th>时间</th><th>类别</th><th>行政村</th>"
	      "<th>内容</th></tr>\n",
	    f);
	for (size_t i = 0; i < r->nalerts; i++) {
		const struct rp_alert *a = &r->alerts[i];
		const char *word = strcmp(a->kind, "reminder") == 0 ? "提醒" :
		    strcmp(a->kind, "overdue") == 0 ? "逾期" :
		    strcmp(a->kind, "escalation") == 0 ?
		    (strstr(a->recipients, "city") ? "通报" : "督办") :
		    a->kind;

		fprintf(f, "<tr><td class='small nw'>%s</td><td class='nw "
			   "k-%s'>%s</td><td class='nw'>",
		    report_moment(a->at, buf, sizeof(buf)), a->kind, word);
		html_escape(f, a->village);
		fputs("</td><td class='text'>", f);
		html_escape(f, a->text);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

int
report_html(const struct report *r, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	char when[32], due[32];
	long households = 0, exited = 0, overdue = 0, late = 0, on_time = 0;
	size_t nred = 0;

	if (f == NULL) {
		fprintf(stderr, "fupinctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < r->nvillages; i++) {
		households += r->villages[i].households;
		exited += r->villages[i].exited;
		overdue += r->villages[i].sum.overdue;
		late += r->villages[i].sum.late;
		on_time += r->villages[i].sum.on_time;
		if (strcmp(report_village_level(&r->villages[i]), "red") == 0)
			nred++;
	}
	fputs("<!DOCTYPE html>\n<html lang='zh-CN'><head><meta charset='utf-8'>"
	      "<meta name='viewport' content='width=device-width'>"
	      "<title>",
	    f);
	html_escape(f, r->township);
	fprintf(f, "%s年度扶贫对象动态管理进度</title>\n%s</head><body><main>\n",
	    r->campaign, html_style);
	fputs("<h1>", f);
	html_escape(f, r->township);
	fprintf(f, "%s年度扶贫对象动态管理 · 工作进度</h1>\n", r->campaign);
	fprintf(f, "<p class='sub'>数据截至 %s（系统时钟）· %zu个行政村 · "
		   "%ld户</p>\n",
	    r->has_now ? report_moment(r->now, when, sizeof(when)) : "—",
	    r->nvillages, households);

	/* Who is behind, in one sentence. */
	if (nred > 0) {
		size_t shown = 0;

		fputs("<div class='alertbox'><b>进度落后：</b>", f);
		for (size_t i = 0; i < r->nvillages; i++) {
			const struct rp_village *v = &r->villages[i];

			if (strcmp(report_village_level(v), "red") != 0)
				continue;
			fputs(shown++ ? "；" : "", f);
			fputs("<b>", f);
			html_escape(f, v->name);
			fprintf(f, "</b>（逾期未完成%ld项，逾期完成%ld项，督办%ld次%s）",
			    v->sum.overdue, v->sum.late, v->escalations,
			    v->notices ? "，已通报" : "");
		}
		fputs("</div>\n", f);
	} else
		fputs("<div class='alertbox okbox'><b>各村均按期推进。</b></div>\n",
		    f);

	fprintf(f, "<div class='kpis'>"
		   "<div class='kpi ok'><b>%ld</b>户已脱贫退出</div>"
		   "<div class='kpi%s'><b>%d%%</b>事项按时完成（%ld/%ld）</div>"
		   "<div class='kpi%s'><b>%ld</b>项逾期完成</div>"
		   "<div class='kpi%s'><b>%ld</b>项当前逾期</div>"
		   "<div class='kpi%s'><b>%zu</b>个村进度落后</div></div>\n",
	    exited, report_pct(on_time, on_time + late + overdue) >= 95 ? " ok" :
	    " bad", report_pct(on_time, on_time + late + overdue), on_time,
	    on_time + late + overdue, late ? " bad" : " ok", late,
	    overdue ? " bad" : " ok", overdue, nred ? " bad" : " ok", nred);

	fputs("<h2>工作日程</h2>\n", f);
	html_timeline(f, r);

	fputs("<h2>各村进度（落后的村排在前面）</h2>\n"
	      "<div class='small legend'>每格为该节点应完成事项中按时完成的比例："
	      "<span class='s-on'></span>按时<span class='s-ext'></span>延期内"
	      "<span class='s-late'></span>逾期完成"
	      "<span class='s-over'></span>逾期未完成"
	      "<span class='s-pend'></span>未到期</div>\n"
	      "<table><tr><th>行政村</th><th>状态</th><th>按时率</th>"
	      "<th>逾期</th><th>督办</th><th>延期</th>",
	    f);
	for (size_t k = 0; k < r->nitems; k++) {
		char *st;

		if (!r->items[k].deadline)
			continue;
		st = short_title(r->items[k].title);
		fputs("<th title='", f);
		html_escape(f, r->items[k].title);
		fputs("'>", f);
		html_escape(f, st);
		fprintf(f, "<small>%.5s截止</small></th>",
		    report_moment(r->items[k].due - 1, due, sizeof(due)) + 5);
		free(st);
	}
	fputs("</tr>\n", f);
	for (size_t i = 0; i < r->nvillages; i++) {
		const struct rp_village *v = &r->villages[i];
		const char *level = report_village_level(v);

		long done = v->sum.on_time + v->sum.late + v->sum.overdue;

		fprintf(f, "<tr class='%s'><td class='name'>", level);
		html_escape(f, v->name);
		fprintf(f, "</td><td><span class='badge'>%s</span></td>"
			   "<td class='num'>%d%%</td><td class='num'>%ld</td>"
			   "<td class='num'>%ld%s</td><td class='num'>%ld</td>",
		    report_level_word(level), report_pct(v->sum.on_time, done),
		    v->sum.overdue, v->escalations, v->notices ? "·通报" : "",
		    v->extensions);
		for (size_t k = 0; k < r->nitems; k++)
			if (r->items[k].deadline)
				html_cell(f, &v->cells[k]);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);

	html_overdue(f, r);
	html_alerts(f, r);
	fputs("<p class='small'>由 fupinctl report 生成；“按时”以审计记录中离开"
	      "各节点所属环节的时间对照该村的截止时间（含延期）计算。</p>\n"
	      "</main></body></html>\n",
	    f);
	if (f != stdout && fclose(f) != 0) {
		fprintf(stderr, "fupinctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}
