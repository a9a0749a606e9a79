/*
 * fupin-sim -s SOCKET -d DIR [--seed N] [--until DATE] [--quiet]
 *
 * Plays the village work teams and the township poverty office of the
 * township in DIR (villages.csv, households.csv, members.csv, as
 * tools/gen/gen-township writes them) against a fupind on a manual clock:
 * each day it acts (ADVANCE, EXTEND), prints a progress line from STATUS,
 * moves the clock a day (CLOCK ADVANCE 1d) and prints the alerts the
 * daemon sent meanwhile (ALERTS), to which the teams react the next day.
 *
 * Deterministic: the same register, seed and daemon give the same output
 * (no wall-clock time is printed or used).
 * Exit 0 when the run finished, 1 on a bad argument or file, 2 when the
 * daemon could not be asked.
 */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "isotime.h"
#include "sim.h"
#include "util.h"

struct cal_entry {
	char *id, *kind, *short_title, *title;
	int64_t opens, due; /* opens INT64_MIN: open from the start */
};

static struct cal_entry *cal;
static size_t ncal;
static json_int_t last_alert;

static void
usage(FILE *out)
{
	fputs("usage: fupin-sim -s SOCKET -d DIR [--seed N] [--until DATE] "
	      "[--quiet]\n"
	      "  -s SOCKET     fupind's status socket (manual clock)\n"
	      "  -d DIR        the township: villages.csv, households.csv, "
	      "members.csv\n"
	      "  --seed N      behaviour seed (default 2019)\n"
	      "  --until DATE  last simulated day (default 2020-01-04)\n"
	      "  --quiet       print only the closing line\n",
	    out);
}

/* ---- the register ---- */

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (f == NULL) {
		fprintf(stderr, "fupin-sim: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	do {
		if (*len + 65536 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = xrealloc(buf, cap + 1);
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n > 0);
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

typedef void row_fn(struct sim *, char **fields, const int *col);

/* Calls fn for every record of DIR/name with col[i] the field index of
 * columns[i] (or -1). */
static void
load_csv(struct sim *s, const char *dir, const char *name,
    const char *const *columns, size_t ncolumns, row_fn *fn)
{
	char path[4096], *buf;
	size_t len;
	struct csv csv;
	int col[16];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	buf = read_file(path, &len);
	csv_init(&csv, buf, len);
	if (csv_read(&csv) != CSV_RECORD) {
		fprintf(stderr, "fupin-sim: %s: no header\n", path);
		exit(1);
	}
	for (size_t i = 0; i < ncolumns; i++) {
		col[i] = -1;
		for (size_t f = 0; f < csv.nfields; f++)
			if (strcmp(csv.fields[f], columns[i]) == 0)
				col[i] = (int)f;
		if (col[i] < 0) {
			fprintf(stderr, "fupin-sim: %s: no column %s\n", path,
			    columns[i]);
			exit(1);
		}
	}
	for (;;) {
		enum csv_result r = csv_read(&csv);

		if (r == CSV_EOF)
			break;
		if (r == CSV_ERROR) {
			fprintf(stderr, "fupin-sim: %s:%d: %s\n", path,
			    csv.error_line, csv.error);
			exit(1);
		}
		if (csv.nfields < ncolumns)
			continue;
		fn(s, csv.fields, col);
	}
	csv_free(&csv);
	free(buf);
}

static void
village_row(struct sim *s, char **f, const int *col)
{
	struct village *v;

	s->villages = xrealloc(s->villages,
	    (s->nvillages + 1) * sizeof(*s->villages));
	v = &s->villages[s->nvillages++];
	memset(v, 0, sizeof(*v));
	v->id = xstrdup(f[col[0]]);
	v->name = xstrdup(f[col[1]]);
}

static int
village_index(const struct sim *s, const char *id)
{
	for (size_t i = 0; i < s->nvillages; i++)
		if (strcmp(s->villages[i].id, id) == 0)
			return (int)i;
	return -1;
}

static size_t households_cap;

static void
household_row(struct sim *s, char **f, const int *col)
{
	struct household *h;
	int v = village_index(s, f[col[1]]);

	if (v < 0)
		return;
	if (s->nhouseholds == households_cap) {
		households_cap = households_cap ? households_cap * 2 : 4096;
		s->households = xrealloc(s->households,
		    households_cap * sizeof(*s->households));
	}
	h = &s->households[s->nhouseholds++];
	memset(h, 0, sizeof(*h));
	h->id = xstrdup(f[col[0]]);
	h->village = v;
	strlcpy_safe(h->category, f[col[2]], sizeof(h->category));
	h->identified_year = atoi(f[col[3]]);
	h->income = f[col[4]][0] ? strtod(f[col[4]], NULL) : -1;
	h->guarantees_ok = 1;
	for (int g = 5; g < 10; g++)
		if (strcmp(f[col[g]], "1") != 0)
			h->guarantees_ok = 0;
	h->risk = f[col[10]][0] ? xstrdup(f[col[10]]) : NULL;
	h->relapse_reason = f[col[11]][0] ? xstrdup(f[col[11]]) : NULL;
}

static int
household_cmp(const void *a, const void *b)
{
	return strcmp(((const struct household *)a)->id,
	    ((const struct household *)b)->id);
}

static void
member_row(struct sim *s, char **f, const int *col)
{
	struct household key = { .id = f[col[0]] }, *h;

	if (f[col[2]][0] == '\0')
		return;
	h = bsearch(&key, s->households, s->nhouseholds,
	    sizeof(*s->households), household_cmp);
	/* The member workflow is for registered households only. */
	if (h == NULL || strcmp(h->category, "ordinary") == 0 ||
	    strcmp(h->category, "marginal") == 0)
		return;
	plan_member(s, (int)(h - s->households), f[col[1]],
	    strcmp(f[col[2]], "increase") == 0);
}

static void
load_register(struct sim *s, const char *dir)
{
	static const char *const vcols[] = { "village_id", "name" };
	static const char *const hcols[] = { "household_id", "village_id",
		"category", "identified_year", "income_per_capita", "food",
		"clothing", "education", "medical", "housing", "risk",
		"relapse_reason" };
	static const char *const mcols[] = { "household_id", "person_id",
		"change" };

	load_csv(s, dir, "villages.csv", vcols, nitems(vcols), village_row);
	load_csv(s, dir, "households.csv", hcols, nitems(hcols),
	    household_row);
	if (s->nvillages == 0 || s->nhouseholds == 0) {
		fprintf(stderr, "fupin-sim: %s: no villages or households\n",
		    dir);
		exit(1);
	}
	qsort(s->households, s->nhouseholds, sizeof(*s->households),
	    household_cmp);
	plan_villages(s);
	plan_cases(s);
	load_csv(s, dir, "members.csv", mcols, nitems(mcols), member_row);
}

/* ---- the daemon ---- */

static json_t *
ask_ok(const char *what, json_t *a)
{
	if (!answer_ok(a)) {
		fprintf(stderr, "fupin-sim: %s: %s: %s\n", what,
		    answer_str(a, "error"), answer_str(a, "message"));
		exit(2);
	}
	return a;
}

/* The text before the first "：" or "，": "第二阶段". */
static char *
short_title(const char *t)
{
	const char *a = strstr(t, "："), *b = strstr(t, "，");
	const char *end = a && (!b || a < b) ? a : b;

	if (end == NULL)
		return xstrdup(t);
	return xasprintf("%.*s", (int)(end - t), t);
}

static int64_t
moment(const json_t *o, const char *key)
{
	const char *t = json_string_value(json_object_get(o, key));
	int64_t v;

	if (t == NULL || iso_parse(t, ISO_SHANGHAI_OFFSET, &v) < 0)
		return INT64_MIN;
	return v;
}

static void
load_calendar(void)
{
	json_t *a = ask_ok("CALENDAR", client_ask("CALENDAR")), *it;
	size_t i;

	json_array_foreach(json_object_get(a, "items"), i, it) {
		struct cal_entry *e;

		cal = xrealloc(cal, (ncal + 1) * sizeof(*cal));
		e = &cal[ncal++];
		e->id = xstrdup(answer_str(it, "id"));
		e->kind = xstrdup(answer_str(it, "kind"));
		e->title = xstrdup(answer_str(it, "title"));
		e->short_title = short_title(e->title);
		e->opens = moment(it, "opens");
		e->due = moment(it, "due");
	}
	json_decref(a);
}

/* The stage or window the campaign is in at t: the open item opened
 * last (stages first), else the next one due. */
static const char *
phase_at(int64_t t)
{
	const struct cal_entry *best = NULL, *next = NULL;

	for (size_t i = 0; i < ncal; i++) {
		const struct cal_entry *e = &cal[i];

		int stage = strcmp(e->kind, "stage") == 0;

		if (e->opens != INT64_MIN && e->opens <= t && t < e->due &&
		    (best == NULL || (stage && strcmp(best->kind, "stage")) ||
		    (stage == !strcmp(best->kind, "stage") &&
		    e->opens > best->opens)))
			best = e;
		if (e->due > t && (next == NULL || e->due < next->due))
			next = e;
	}
	if (best == NULL)
		best = next;
	return best ? best->short_title : "—";
}

/* Wait (bounded) until the daemon serves database verbs. */
static void
wait_ready(void)
{
	for (int i = 0; i < 300; i++) {
		json_t *a = client_ask("CALENDAR");
		int ok = answer_ok(a);

		json_decref(a);
		if (ok)
			return;
		usleep(100 * 1000);
	}
	fprintf(stderr, "fupin-sim: fupind did not become ready\n");
	exit(2);
}

/* ---- output ---- */

static void
when_text(const struct sim *s, int day, char *buf)
{
	iso_format(s->start + (int64_t)day * 86400, ISO_SHANGHAI_OFFSET, buf,
	    ISO_BUFSIZE);
}

struct wf_states {
	const char *workflow, *label;
	const char *states[8], *labels[8];
};

/* What the progress line shows: exit by state, the others as work in
 * hand and finished. */
static const struct wf_states shown[] = {
	{ "exit", "退出", { "draft", "village_notice", "township_review",
	    "township_notice", "city_request", "exited", "withdrawn" },
	    { "评议", "村公示", "镇审", "镇公示", "报市", "已退出", "撤回" } },
	{ "inclusion", "纳入", { "included", "withdrawn" },
	    { "已纳入", "撤回" } },
	{ "marginal", "边缘户", { "prefecture_analysed", "dropped" },
	    { "已研判", "不列入" } },
	{ "monitoring", "监测户", { "prefecture_analysed", "dropped" },
	    { "已研判", "不列入" } },
	{ "member", "成员变更", { "entered", "rejected" }, { "已录入",
	    "不予录入" } },
	{ "rectify", "整改", { "rechecked", "dismissed" }, { "已清零",
	    "无问题" } },
};

static long
state_sum(json_t *status, const char *wf, const char *state)
{
	size_t i;
	json_t *v;
	long n = 0;

	json_array_foreach(json_object_get(status, "villages"), i, v) {
		json_t *w = json_object_get(json_object_get(v, "workflows"), wf);
		const char *k;
		json_t *x;

		json_object_foreach(w, k, x)
			if (state == NULL || strcmp(k, state) == 0)
				n += (long)json_integer_value(x);
	}
	return n;
}

struct overdue_village {
	const char *name;
	long n;
};

static int
overdue_cmp(const void *a, const void *b)
{
	const struct overdue_village *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void
print_progress(struct sim *s, int day)
{
	static const char *const weekdays[] = { "一", "二", "三", "四", "五",
		"六", "日" };
	json_t *st = ask_ok("STATUS", client_ask("STATUS")), *v;
	char when[ISO_BUFSIZE], line[2048];
	int64_t t = s->start + (int64_t)day * 86400;
	struct overdue_village *ov;
	size_t i, nov = 0;

	when_text(s, day, when);
	snprintf(line, sizeof(line), "%.10s 周%s %-s │", when,
	    weekdays[iso_weekday((t + ISO_SHANGHAI_OFFSET * 60) / 86400)],
	    phase_at(t));
	for (size_t w = 0; w < nitems(shown); w++) {
		long all = state_sum(st, shown[w].workflow, NULL), fin = 0;
		char part[512];

		if (all == 0 && w > 0)
			continue;
		snprintf(part, sizeof(part), " %s", shown[w].label);
		if (w == 0) {
			for (size_t k = 0; shown[w].states[k]; k++)
				snprintf(part + strlen(part),
				    sizeof(part) - strlen(part), " %s%ld",
				    shown[w].labels[k], state_sum(st,
					shown[w].workflow, shown[w].states[k]));
		} else {
			for (size_t k = 0; shown[w].states[k]; k++)
				fin += state_sum(st, shown[w].workflow,
				    shown[w].states[k]);
			snprintf(part + strlen(part), sizeof(part) -
			    strlen(part), " 在办%ld 完成%ld", all - fin, fin);
		}
		strncat(line, part, sizeof(line) - strlen(line) - 1);
		strncat(line, " │", sizeof(line) - strlen(line) - 1);
	}
	ov = xcalloc(json_array_size(json_object_get(st, "villages")) + 1,
	    sizeof(*ov));
	json_array_foreach(json_object_get(st, "villages"), i, v) {
		long n = (long)json_integer_value(json_object_get(v, "overdue"));

		if (n > 0) {
			ov[nov].name = answer_str(v, "name");
			ov[nov++].n = n;
		}
	}
	qsort(ov, nov, sizeof(*ov), overdue_cmp);
	strncat(line, " 逾期:", sizeof(line) - strlen(line) - 1);
	if (nov == 0)
		strncat(line, " 无", sizeof(line) - strlen(line) - 1);
	for (i = 0; i < nov; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
		    " %s%ld", ov[i].name, ov[i].n);
	printf("%s\n", line);
	free(ov);
	json_decref(st);
}

static const char *
recipient_title(const char *r)
{
	if (strcmp(r, "village_team") == 0)
		return "村工作队";
	if (strcmp(r, "township_office") == 0)
		return "镇扶贫办";
	if (strcmp(r, "township_leadership") == 0)
		return "镇党委政府";
	if (strcmp(r, "city") == 0)
		return "市扶贫开发领导小组";
	return r;
}

/* The alert's text with the stage's short title and at most three
 * household ids. */
static char *
alert_text(const json_t *a)
{
	const char *text = answer_str(a, "text"), *title = answer_str(a,
	    "title");
	json_t *hh = json_object_get(a, "households");
	char *out, *p, *st;

	st = short_title(title);
	p = title[0] ? strstr(text, title) : NULL;
	if (p != NULL)
		out = xasprintf("%.*s%s%s", (int)(p - text), text, st,
		    p + strlen(title));
	else
		out = xstrdup(text);
	free(st);
	if (json_array_size(hh) > 3 && (p = strstr(out, "（")) != NULL) {
		char *close = strstr(p, "）"), *shorter;

		if (close != NULL) {
			shorter = xasprintf("%.*s（%s、%s、%s等%zu户%s", (int)(p -
			    out), out, json_string_value(json_array_get(hh, 0)),
			    json_string_value(json_array_get(hh, 1)),
			    json_string_value(json_array_get(hh, 2)),
			    json_array_size(hh), close);
			free(out);
			out = shorter;
		}
	}
	return out;
}

static void
flush_digest(const struct sim *s, char *digest, const char *at)
{
	if (!s->quiet)
		printf("  %.5s %.5s 【每日汇总】仍逾期未完成：%s\n", at + 5,
		    at + 11, digest);
	digest[0] = '\0';
}

/* Print the alerts created since the last look, oldest first, and let
 * the teams react on day `day`. */
static void
fetch_alerts(struct sim *s, int day)
{
	json_t *a = ask_ok("ALERTS", client_ask("ALERTS 1000"));
	json_t *items = json_object_get(a, "items");
	size_t n = json_array_size(items);
	char digest[4096] = "", digest_at[ISO_BUFSIZE] = "";
	json_int_t seen = last_alert;

	for (size_t i = n; i-- > 0;) {
		json_t *al = json_array_get(items, i);
		json_int_t id = json_integer_value(json_object_get(al, "id"));
		char fired[ISO_BUFSIZE], *text;

		if (id <= last_alert)
			continue;
		last_alert = id;
		iso_format(moment(al, "fire_at"), ISO_SHANGHAI_OFFSET, fired,
		    sizeof(fired));
		if (strcmp(answer_str(al, "kind"), "digest") == 0) {
			/* The daily repeats, one line for the township. */
			char *st = short_title(answer_str(al, "title"));

			if (strcmp(digest_at, fired) != 0 && digest[0] != '\0')
				flush_digest(s, digest, digest_at);
			strlcpy_safe(digest_at, fired, sizeof(digest_at));
			snprintf(digest + strlen(digest), sizeof(digest) -
			    strlen(digest), "%s%s“%s”%lld项",
			    digest[0] ? "，" : "", answer_str(al, "village_name"),
			    st, (long long)json_integer_value(
				json_object_get(al, "count")));
			free(st);
		} else if (!s->quiet) {
			text = alert_text(al);
			printf("  %.5s %.5s %s", fired + 5, fired + 11, text);
			if (strcmp(answer_str(al, "kind"), "escalation") == 0) {
				json_t *r;
				size_t k;

				printf(" → ");
				json_array_foreach(json_object_get(al,
				    "recipients"), k, r)
					printf("%s%s", k ? "、" : "",
					    recipient_title(
						json_string_value(r)));
			}
			printf("\n");
			free(text);
		}
	}
	if (digest[0] != '\0')
		flush_digest(s, digest, digest_at);
	/* Then the teams read them, oldest first. */
	for (size_t i = n; i-- > 0;) {
		json_t *al = json_array_get(items, i);

		if (json_integer_value(json_object_get(al, "id")) > seen)
			plan_react(s, al, day);
	}
	json_decref(a);
}

/* ---- the run ---- */

static void
act(struct sim *s, int day)
{
	for (size_t i = 0; i < s->ncases; i++) {
		struct kase *k = &s->cases[i];
		json_t *a;

		if (k->day != day || k->event == NULL)
			continue;
		if (k->note != NULL)
			a = client_ask("ADVANCE %s %s %s %s", k->target,
			    workflow_name(k->wf), k->event, k->note);
		else
			a = client_ask("ADVANCE %s %s %s", k->target,
			    workflow_name(k->wf), k->event);
		s->requests++;
		plan_answered(s, k, a, day);
		json_decref(a);
	}
}

static void
sim_free(struct sim *s)
{
	for (size_t i = 0; i < s->nvillages; i++) {
		free(s->villages[i].id);
		free(s->villages[i].name);
	}
	free(s->villages);
	for (size_t i = 0; i < s->nhouseholds; i++) {
		free(s->households[i].id);
		free(s->households[i].risk);
		free(s->households[i].relapse_reason);
	}
	free(s->households);
	free(s->cases);
	for (size_t i = 0; i < ncal; i++) {
		free(cal[i].id);
		free(cal[i].kind);
		free(cal[i].title);
		free(cal[i].short_title);
	}
	free(cal);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'u' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim s;
	const char *sock = NULL, *dir = NULL, *until = "2020-01-04";
	char buf[ISO_BUFSIZE];
	json_t *a;
	int64_t until_t;
	int ch;
	long pace_count[3] = { 0, 0, 0 };

	setlocale(LC_CTYPE, "C.UTF-8");
	memset(&s, 0, sizeof(s));
	s.seed = 2019;
	while ((ch = getopt_long(argc, argv, "s:d:qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'S':
			s.seed = strtoull(optarg, NULL, 10);
			break;
		case 'u':
			until = optarg;
			break;
		case 'q':
			s.quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (sock == NULL || dir == NULL || optind != argc ||
	    iso_parse(until, ISO_SHANGHAI_OFFSET, &until_t) < 0) {
		usage(stderr);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (client_connect(sock) < 0)
		return 2;
	wait_ready();
	a = ask_ok("NOW", client_ask("NOW"));
	if (strcmp(answer_str(a, "clock"), "manual") != 0) {
		fprintf(stderr, "fupin-sim: fupind runs a %s clock; the "
				"simulator needs clock.mode = \"manual\"\n",
		    answer_str(a, "clock"));
		return 1;
	}
	s.start = moment(a, "now");
	json_decref(a);
	s.days = (int)((until_t - s.start + 86400 - 1) / 86400);
	if (s.days < 0)
		s.days = 0;
	load_register(&s, dir);
	load_calendar();
	/* A sweep at the start moment, before anybody acts, so that the
	 * first alerts never depend on when the daemon swept on its own. */
	json_decref(ask_ok("CLOCK", client_ask("CLOCK SET %s",
	    iso_format(s.start, ISO_SHANGHAI_OFFSET, buf, sizeof(buf)))));

	for (size_t i = 0; i < s.nvillages; i++)
		pace_count[s.villages[i].pace]++;
	if (!s.quiet) {
		printf("村工作队：");
		for (int p = 0; p < 3; p++) {
			int first = 1;

			if (pace_count[p] == 0)
				continue;
			printf("%s", p == 0 ? "按期" : p == 1 ? "；较慢" :
			    "；严重滞后");
			for (size_t i = 0; i < s.nvillages; i++)
				if ((int)s.villages[i].pace == p) {
					printf("%s%s", first ? " " : "、",
					    s.villages[i].name);
					first = 0;
				}
		}
		printf("\n模拟 %zu 项办理事项，种子 %llu\n", s.ncases,
		    (unsigned long long)s.seed);
	}
	fetch_alerts(&s, 0);
	for (int day = 0; day <= s.days; day++) {
		if (day > 0) {
			json_decref(ask_ok("CLOCK",
			    client_ask("CLOCK ADVANCE 1d")));
			fetch_alerts(&s, day);
		}
		act(&s, day);
		if (!s.quiet)
			print_progress(&s, day);
	}
	printf("模拟结束：%ld 次请求，%ld 次办结一步，%ld 次被规则拒绝，"
	       "%ld 次因数据录入关闭被拒，其他错误 %ld 次\n",
	    s.requests, s.ok, s.refused_guard, s.refused_locked,
	    s.refused_other);
	client_close();
	sim_free(&s);
	return s.refused_other > 0 ? 3 : 0;
}
