/*
 * How the simulated township behaves (see sim.h): which procedures the
 * village teams start, when each next step is taken, how the teams answer
 * a refusal, and how they react to reminders and escalations.
 *
 * Days are counted from the start day (0) at 08:00; a step "on day d"
 * happens at d 08:00 on the daemon's clock. Base dates follow the 2019
 * calendar; a village's delay and a per-household draw spread them out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "sim.h"
#include "util.h"

static const char *const wf_names[W_COUNT] = { "exit", "inclusion",
	"marginal", "monitoring", "member", "rectify", "village_team",
	"village_summary" };
static const char *const wf_titles[W_COUNT] = { "脱贫退出", "返贫纳入",
	"边缘户", "监测户", "成员变更", "核查整改", "工作队", "工作总结" };

const char *
workflow_name(enum workflow w)
{
	return wf_names[w];
}

const char *
workflow_title(enum workflow w)
{
	return wf_titles[w];
}

static const struct {
	const char *event, *title;
} event_titles[] = {
	{ "propose", "提名" }, { "publish", "村级公示" },
	{ "submit", "报镇审核" }, { "approve", "镇级复审" },
	{ "request", "报市请示" }, { "confirm", "市级批准" },
	{ "survey", "入户摸底" }, { "assess", "摸底监测" },
	{ "mark", "标注" }, { "list", "列入名单" },
	{ "collect", "镇级汇总" }, { "review", "市级审核" },
	{ "report_increase", "上报增员" }, { "report_decrease", "上报减员" },
	{ "enter", "录入系统" }, { "set_up", "成立工作队" },
	{ "send", "上报总结" }, { "verify", "实地核查" },
	{ "correct", "系统修改" }, { "recheck", "复核" },
};

static const char *
event_title(const char *ev)
{
	for (size_t i = 0; i < nitems(event_titles); i++)
		if (strcmp(event_titles[i].event, ev) == 0)
			return event_titles[i].title;
	return ev;
}

/* ---- deterministic draws ---- */

static uint64_t
mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
fnv1a(const char *s, uint64_t h)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int
sim_draw(const struct sim *s, const char *key, const char *salt, int lo,
    int hi)
{
	uint64_t h = fnv1a(salt, fnv1a(key, 0xcbf29ce484222325ULL));

	h = mix64(h ^ mix64(s->seed));
	return lo + (int)(h % (uint64_t)(hi - lo + 1));
}

int
sim_day(const struct sim *s, int y, int m, int d)
{
	return (int)(iso_days_from_civil(y, m, d) -
	    (s->start + ISO_SHANGHAI_OFFSET * 60) / 86400);
}

static int
max_int(int a, int b)
{
	return a > b ? a : b;
}

/* ---- villages ---- */

void
plan_villages(struct sim *s)
{
	size_t n = s->nvillages, late = SIZE_MAX, slow[2] = { SIZE_MAX,
		SIZE_MAX };
	size_t nslow = n >= 6 ? 2 : n >= 3 ? 1 : 0;

	/* The very late village and the slow ones, drawn from the seed;
	 * never the first village (the township seat keeps pace). */
	if (n >= 2)
		late = 1 + (size_t)sim_draw(s, "villages", "late", 0,
		    (int)n - 2);
	for (size_t i = 0; i < nslow; i++) {
		size_t k = 1 + (size_t)sim_draw(s, "villages",
		    i ? "slow1" : "slow0", 0, (int)n - 2);

		while (k == late || (i == 1 && k == slow[0]))
			k = k + 1 < n ? k + 1 : 1;
		slow[i] = k;
	}
	for (size_t i = 0; i < n; i++) {
		struct village *v = &s->villages[i];

		v->pace = PACE_ON_TIME;
		v->delay = 0;
		v->objections = 3;
		if (i == late) {
			v->pace = PACE_VERY_LATE;
			v->delay = 9;
			v->objections = 5;
		} else if (i == slow[0] || i == slow[1]) {
			v->pace = PACE_SLOW;
			v->delay = 4;
			v->objections = 6;
			if (i == slow[0]) {
				/* Many objections: the township extends its
				 * village notices. */
				v->extension = 1;
				v->objections = 15;
				v->delay = 5;
			}
		}
	}
}

/* ---- cases ---- */

static struct kase *
case_add(struct sim *s, enum workflow wf, const char *target, int household,
    int village)
{
	struct kase *k;

	if (s->ncases == s->capcases) {
		s->capcases = s->capcases ? s->capcases * 2 : 1024;
		s->cases = xrealloc(s->cases, s->capcases * sizeof(*s->cases));
	}
	k = &s->cases[s->ncases++];
	memset(k, 0, sizeof(*k));
	k->wf = wf;
	strlcpy_safe(k->target, target, sizeof(k->target));
	k->household = household;
	k->village = village;
	return k;
}

static void
next_step(struct kase *k, const char *event, int day, int by_village,
    const char *note)
{
	k->event = event;
	k->day = max_int(day, k->earliest);
	k->by_village = by_village;
	k->note = note;
}

static void
done(struct kase *k)
{
	k->day = DAY_NEVER;
	k->event = NULL;
}

static int
pct(const struct sim *s, const char *key, const char *salt, int percent)
{
	return sim_draw(s, key, salt, 0, 99) < percent;
}

void
plan_cases(struct sim *s)
{
	for (size_t i = 0; i < s->nhouseholds; i++) {
		const struct household *h = &s->households[i];
		const struct village *v = &s->villages[h->village];
		const char *c = h->category;
		int registered_new = h->identified_year == 2019;
		int qualifies = h->income >= 3750 && h->guarantees_ok &&
		    !registered_new;
		int below = h->income >= 0 &&
		    (h->income < 3750 || !h->guarantees_ok);
		struct kase *k;
		int included = 0;

		/* Exit: the poor households the village believes ready, and
		 * a few borderline ones the guards will stop. */
		if (strcmp(c, "poor") == 0 && (qualifies ||
		    (h->income >= 3300 && pct(s, h->id, "borderline", 20)))) {
			k = case_add(s, W_EXIT, h->id, (int)i, h->village);
			if (pct(s, h->id, "objv", v->objections))
				k->flags |= K_OBJECT_VILLAGE;
			if (pct(s, h->id, "objt", 1))
				k->flags |= K_OBJECT_TOWNSHIP;
			if (pct(s, h->id, "reject", 2))
				k->flags |= K_REJECT;
			next_step(k, "propose", sim_day(s, 2019, 10, 9) +
			    sim_draw(s, h->id, "propose", 0, 4) + v->delay, 1,
			    NULL);
		}
		/* Inclusion: relapses with their reason, newly poor
		 * households, and a few weak lifted households that are
		 * not relapses at all (缺什么、补什么). */
		if (strcmp(c, "relapsed") == 0 ||
		    ((strcmp(c, "ordinary") == 0 || strcmp(c, "marginal") == 0) &&
		    below && h->income < 3750) ||
		    (strcmp(c, "lifted") == 0 && below && h->income < 3750 &&
		    pct(s, h->id, "weak", 50))) {
			k = case_add(s, W_INCLUSION, h->id, (int)i, h->village);
			included = 1;
			if (pct(s, h->id, "objv", v->objections))
				k->flags |= K_OBJECT_VILLAGE;
			next_step(k, "propose", sim_day(s, 2019, 10, 10) +
			    sim_draw(s, h->id, "propose", 0, 5) + v->delay, 1,
			    NULL);
		}
		/* Marginal survey: below 5000 with a named risk, and a few
		 * just above that the guard refuses; a household proposed
		 * for inclusion is not surveyed too (the two conflict). */
		if (!included &&
		    (strcmp(c, "ordinary") == 0 || strcmp(c, "marginal") == 0) &&
		    h->risk != NULL && h->income >= 0 && (h->income < 5000 ||
		    (h->income < 5400 && pct(s, h->id, "above", 35)))) {
			k = case_add(s, W_MARGINAL, h->id, (int)i, h->village);
			if (pct(s, h->id, "drop", 4))
				k->flags |= K_DROP;
			next_step(k, "survey", sim_day(s, 2019, 10, 12) +
			    sim_draw(s, h->id, "survey", 0, 8) + v->delay, 1,
			    NULL);
		}
		/* Monitoring survey: lifted households at risk, and a few
		 * without a named risk that cannot be marked. */
		if ((strcmp(c, "monitoring") == 0 || strcmp(c, "lifted") == 0) &&
		    (h->risk != NULL || pct(s, h->id, "norisk", 1))) {
			k = case_add(s, W_MONITORING, h->id, (int)i, h->village);
			if (pct(s, h->id, "drop", 3))
				k->flags |= K_DROP;
			next_step(k, "assess", sim_day(s, 2019, 10, 12) +
			    sim_draw(s, h->id, "assess", 0, 8) + v->delay, 1,
			    NULL);
		}
		/* Problems found by the data analysis. */
		if (pct(s, h->id, "problem", 4)) {
			k = case_add(s, W_RECTIFY, h->id, (int)i, h->village);
			if (pct(s, h->id, "dismiss", 20))
				k->flags |= K_DISMISS;
			else if (pct(s, h->id, "reopen", 6))
				k->flags |= K_REOPEN;
			next_step(k, "find", sim_day(s, 2019, 11, 28) +
			    sim_draw(s, h->id, "find", 0, 8), 0, NULL);
		}
	}
	for (size_t i = 0; i < s->nvillages; i++) {
		struct kase *k;

		k = case_add(s, W_TEAM, s->villages[i].id, -1, (int)i);
		next_step(k, "open", 0, 0, NULL);
		k = case_add(s, W_SUMMARY, s->villages[i].id, -1, (int)i);
		next_step(k, "open", sim_day(s, 2019, 12, 16), 0, NULL);
	}
}

void
plan_member(struct sim *s, int household, const char *person_id,
    int increase)
{
	const struct household *h = &s->households[household];
	char target[112];
	struct kase *k;

	snprintf(target, sizeof(target), "%s/%s", h->id, person_id);
	k = case_add(s, W_MEMBER, target, household, h->village);
	if (increase)
		k->flags |= K_INCREASE;
	next_step(k, increase ? "report_increase" : "report_decrease",
	    sim_day(s, 2019, 10, 12) + sim_draw(s, target, "report", 0, 10) +
		s->villages[h->village].delay, 1, NULL);
}

/* ---- answers ---- */

static void
say_refusal(struct sim *s, const struct kase *k, const json_t *a, int today)
{
	const char *rule = answer_str(a, "rule"), *err = answer_str(a, "error");
	char why[512];
	json_t *x;

	if (strcmp(rule, "income_exit") == 0)
		snprintf(why, sizeof(why), "人均纯收入%.0f元，低于退出标准%.0f元",
		    json_number_value(json_object_get(a, "income")),
		    json_number_value(json_object_get(a, "threshold")));
	else if (strcmp(rule, "guarantees") == 0) {
		static const struct {
			const char *name, *zh;
		} g[] = { { "food", "不愁吃" }, { "clothing", "不愁穿" },
			{ "education", "义务教育" }, { "medical", "基本医疗" },
			{ "housing", "住房安全" } };
		size_t n;

		snprintf(why, sizeof(why), "两不愁三保障未全部解决：");
		json_array_foreach(json_object_get(a, "unresolved"), n, x) {
			for (size_t i = 0; i < nitems(g); i++)
				if (strcmp(g[i].name, json_string_value(x)) ==
				    0) {
					if (n > 0)
						strncat(why, "、", sizeof(why) -
						    strlen(why) - 1);
					strncat(why, g[i].zh, sizeof(why) -
					    strlen(why) - 1);
				}
		}
	} else if (strcmp(rule, "not_new_this_year") == 0)
		snprintf(why, sizeof(why), "当年新识别或返贫的户当年不能退出");
	else if (strcmp(rule, "relapse_reason") == 0)
		snprintf(why, sizeof(why),
		    "无因病、因灾、突发事件等返贫原因，帮扶成效不明显的"
		    "缺什么补什么，不作返贫处理");
	else if (strcmp(rule, "income_below_marginal") == 0)
		snprintf(why, sizeof(why), "人均纯收入%.0f元，不低于边缘户标准%.0f元",
		    json_number_value(json_object_get(a, "income")),
		    json_number_value(json_object_get(a, "threshold")));
	else if (strcmp(rule, "monitoring_risk_named") == 0)
		snprintf(why, sizeof(why), "未发现返贫风险，不能标注为监测户");
	else if (strcmp(err, "locked") == 0)
		snprintf(why, sizeof(why), "数据录入已关闭（%s）",
		    answer_str(a, "message"));
	else
		snprintf(why, sizeof(why), "%s: %s", err,
		    answer_str(a, "message"));
	if (!s->quiet) {
		char when[ISO_BUFSIZE];

		iso_format(s->start + (int64_t)today * 86400,
		    ISO_SHANGHAI_OFFSET, when, sizeof(when));
		printf("  %.5s %.5s ✗ %s %s %s·%s 未通过：%s\n", when + 5,
		    when + 11, s->villages[k->village].name, k->target,
		    workflow_title(k->wf), event_title(k->event), why);
	}
}

/* The ladder of exit and inclusion (same states, same events). */
static void
ladder_answered(struct sim *s, struct kase *k, const json_t *a, int today,
    const char *ev)
{
	const struct village *v = &s->villages[k->village];
	const char *to = answer_str(a, "to");

	if (strcmp(ev, "propose") == 0)
		next_step(k, "publish", max_int(today + 1,
		    sim_day(s, 2019, 10, 13) + sim_draw(s, k->target, "publish",
			0, 4) + v->delay), 1, NULL);
	else if (strcmp(ev, "publish") == 0) {
		if (k->flags & K_OBJECT_VILLAGE) {
			k->flags &= ~K_OBJECT_VILLAGE;
			next_step(k, "object", today + 2, 1,
			    "公示期间有群众对家庭收入核算提出异议，退回重新评议");
		} else {
			k->earliest = today + 5;
			next_step(k, "submit", today + 5 + (v->pace ==
			    PACE_ON_TIME ? 0 : sim_draw(s, k->target, "submit",
				0, 2)), 1, NULL);
		}
	} else if (strcmp(ev, "object") == 0) {
		if (strcmp(to, "draft") == 0)
			next_step(k, "publish", today + 2, 1, NULL);
		else
			next_step(k, "approve", today + 1, 0, NULL);
	} else if (strcmp(ev, "submit") == 0) {
		if (k->flags & K_REJECT) {
			k->flags &= ~K_REJECT;
			next_step(k, "reject", today + 1, 0,
			    "复审发现收入佐证材料不全，退回补充");
		} else
			next_step(k, "approve", max_int(today + 1,
			    sim_day(s, 2019, 10, 25) + sim_draw(s, k->target,
				"approve", 0, 2)), 0, NULL);
	} else if (strcmp(ev, "reject") == 0)
		next_step(k, "publish", today + 2, 1, NULL);
	else if (strcmp(ev, "approve") == 0) {
		if (k->flags & K_OBJECT_TOWNSHIP) {
			k->flags &= ~K_OBJECT_TOWNSHIP;
			next_step(k, "object", today + 2, 0,
			    "镇级公示期间收到实名反映，重新复审");
		} else {
			k->earliest = today + 5;
			next_step(k, "request", today + 5, 0, NULL);
		}
	} else if (strcmp(ev, "request") == 0)
		next_step(k, "confirm", max_int(today + 1,
		    sim_day(s, 2019, 11, 12) + sim_draw(s, k->target, "confirm",
			0, 6)), 0, NULL);
	else
		done(k); /* confirm, withdraw */
}

static void
survey_answered(struct sim *s, struct kase *k, const json_t *a, int today,
    const char *ev)
{
	const struct village *v = &s->villages[k->village];

	if (strcmp(ev, "survey") == 0 || strcmp(ev, "assess") == 0) {
		if (k->flags & K_DROP)
			next_step(k, "drop", today + 2, 1, k->wf == W_MARGINAL ?
			    "复核家庭收入已稳定超过标准，不列入边缘户" :
			    "复核后返贫风险已消除，不列为监测户");
		else if (k->wf == W_MONITORING)
			next_step(k, "mark", max_int(today + 1,
			    sim_day(s, 2019, 10, 16) + sim_draw(s, k->target,
				"mark", 0, 5) + v->delay), 1, NULL);
		else
			next_step(k, "list", max_int(today + 2,
			    sim_day(s, 2019, 10, 22) + sim_draw(s, k->target,
				"list", 0, 6) + v->delay), 1, NULL);
	} else if (strcmp(ev, "mark") == 0)
		next_step(k, "list", max_int(today + 1, sim_day(s, 2019, 10, 22) +
		    sim_draw(s, k->target, "list", 0, 6) + v->delay), 1, NULL);
	else if (strcmp(ev, "list") == 0)
		next_step(k, "collect", max_int(today + 1,
		    sim_day(s, 2019, 10, 30) + sim_draw(s, k->target, "collect",
			0, 3)), 0, NULL);
	else if (strcmp(ev, "collect") == 0)
		next_step(k, "review", max_int(today + 1, sim_day(s, 2019, 11, 4) +
		    sim_draw(s, k->target, "review", 0, 3)), 0, NULL);
	else if (strcmp(ev, "review") == 0)
		next_step(k, "analyse", max_int(today + 1,
		    sim_day(s, 2019, 12, 2) + sim_draw(s, k->target, "analyse",
			0, 4)), 0, NULL);
	else
		done(k); /* analyse, drop */
}

static void
rectify_answered(struct sim *s, struct kase *k, int today, const char *ev)
{
	const struct village *v = &s->villages[k->village];

	if (strcmp(ev, "find") == 0) {
		int day = max_int(today + 1, sim_day(s, 2019, 12, 9) +
		    sim_draw(s, k->target, "verify", 0, 6) + v->delay);

		if (k->flags & K_DISMISS)
			next_step(k, "dismiss", day, 1, "入户核实，数据无误");
		else
			next_step(k, "verify", day, 1,
			    "入户核实，问题属实，已制定整改措施");
	} else if (strcmp(ev, "verify") == 0)
		next_step(k, "correct", max_int(today + 1,
		    sim_day(s, 2019, 12, 19) + sim_draw(s, k->target, "correct",
			0, 5) + v->delay), 1, NULL);
	else if (strcmp(ev, "correct") == 0) {
		int day = max_int(today + 1, sim_day(s, 2019, 12, 28) +
		    sim_draw(s, k->target, "recheck", 0, 2));

		if (k->flags & K_REOPEN) {
			k->flags &= ~K_REOPEN;
			next_step(k, "reopen", day, 0, "复核发现仍有错误，重新整改");
		} else
			next_step(k, "recheck", day, 0, NULL);
	} else if (strcmp(ev, "reopen") == 0)
		next_step(k, "correct", today + 1, 1, NULL);
	else
		done(k); /* recheck, dismiss */
}

static void plan_next(struct sim *, struct kase *, const json_t *, int);

void
plan_answered(struct sim *s, struct kase *k, const json_t *a, int today)
{
	const char *ev = k->event, *err = answer_str(a, "error");

	if (!answer_ok(a)) {
		const char *rule = answer_str(a, "rule");

		if (strcmp(err, "guard") == 0)
			s->refused_guard++;
		else if (strcmp(err, "locked") == 0)
			s->refused_locked++;
		else
			s->refused_other++;
		if (strcmp(rule, "notice_min_days") == 0) {
			next_step(k, ev, today + 1, k->by_village, k->note);
			return;
		}
		say_refusal(s, k, a, today);
		if (strcmp(err, "guard") != 0) {
			done(k);
			return;
		}
		/* The guard said no: the team takes the case back. */
		if (strcmp(ev, "publish") == 0 || strcmp(ev, "submit") == 0)
			next_step(k, "withdraw", today + 1, 1, k->wf == W_EXIT ?
			    "经核查暂不符合退出标准，撤回，继续帮扶" :
			    "经核查不符合纳入条件，撤回");
		else if (strcmp(ev, "mark") == 0 || strcmp(ev, "list") == 0)
			next_step(k, "drop", today + 1, 1,
			    "经评估不符合条件，不列入名单");
		else
			done(k);
		return;
	}
	s->ok++;
	plan_next(s, k, a, today);
	/* Never again today: the day's round has passed this case. */
	if (k->day <= today)
		k->day = today + 1;
}

static void
plan_next(struct sim *s, struct kase *k, const json_t *a, int today)
{
	const struct village *v = &s->villages[k->village];
	const char *ev = k->event;

	switch (k->wf) {
	case W_EXIT:
	case W_INCLUSION:
		ladder_answered(s, k, a, today, ev);
		break;
	case W_MARGINAL:
	case W_MONITORING:
		survey_answered(s, k, a, today, ev);
		break;
	case W_MEMBER:
		if (strcmp(ev, "enter") == 0)
			done(k);
		else
			next_step(k, "enter", today + 1 + sim_draw(s, k->target,
			    "enter", 0, 4), 1, NULL);
		break;
	case W_RECTIFY:
		rectify_answered(s, k, today, ev);
		break;
	case W_TEAM:
		if (strcmp(ev, "open") == 0)
			next_step(k, "set_up", sim_day(s, 2019, 10, 8) +
			    sim_draw(s, k->target, "team", 0, 2) +
			    (v->pace == PACE_VERY_LATE ? 3 :
			    v->pace == PACE_SLOW ? 1 : 0), 1, NULL);
		else
			done(k);
		break;
	case W_SUMMARY:
		if (strcmp(ev, "open") == 0)
			next_step(k, "send", sim_day(s, 2019, 12, 27) +
			    sim_draw(s, k->target, "send", 0, 5) + v->delay, 1,
			    NULL);
		else
			done(k);
		break;
	default:
		done(k);
	}
}

/* ---- reactions to alerts ---- */

/* Whether deadline d binds states of workflow wf (the 2019 workflows). */
static int
deadline_binds(enum workflow wf, const char *d)
{
	switch (wf) {
	case W_EXIT:
	case W_INCLUSION:
		return strncmp(d, "stage", 5) == 0 && strcmp(d, "stage1") != 0;
	case W_MARGINAL:
	case W_MONITORING:
		return strcmp(d, "survey") == 0;
	case W_MEMBER:
		return strcmp(d, "lock") == 0;
	case W_RECTIFY:
		return strcmp(d, "verification") == 0 ||
		    strcmp(d, "correction") == 0 || strcmp(d, "recheck") == 0;
	case W_TEAM:
		return strcmp(d, "stage1") == 0;
	case W_SUMMARY:
		return strcmp(d, "summary") == 0;
	default:
		return 0;
	}
}

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
plan_react(struct sim *s, const json_t *alert, int today)
{
	const char *kind = answer_str(alert, "kind");
	const char *deadline = answer_str(alert, "deadline");
	const char *vid = answer_str(alert, "village");
	json_t *households = json_object_get(alert, "households");
	int level = (int)json_integer_value(json_object_get(alert, "level"));
	int64_t due = 0, fired = 0;
	int village_day, township_day, moved = 0;
	struct village *v = NULL;
	size_t vi = 0, nids = json_array_size(households);
	const char **ids;

	for (vi = 0; vi < s->nvillages; vi++)
		if (strcmp(s->villages[vi].id, vid) == 0) {
			v = &s->villages[vi];
			break;
		}
	if (v == NULL)
		return 0;
	iso_parse(answer_str(alert, "due"), ISO_SHANGHAI_OFFSET, &due);
	iso_parse(answer_str(alert, "fire_at"), ISO_SHANGHAI_OFFSET, &fired);

	/* The township answers a reminder of many open notices with an
	 * extension for the village it knows has many objections. */
	if (v->extension && !v->extended && strcmp(kind, "reminder") == 0 &&
	    strcmp(deadline, "stage3") == 0) {
		char until[ISO_BUFSIZE];
		json_t *a;

		v->extended = 1;
		iso_format(due + 3 * 86400, ISO_SHANGHAI_OFFSET, until,
		    sizeof(until));
		a = client_ask("EXTEND %s %s %s 部分村民小组公示期间收到群众异议，"
			       "需补充入户核实后重新公示",
		    v->id, deadline, until);
		s->requests++;
		if (!s->quiet) {
			char when[ISO_BUFSIZE];

			iso_format(s->start + (int64_t)today * 86400,
			    ISO_SHANGHAI_OFFSET, when, sizeof(when));
			if (answer_ok(a))
				printf("  %.5s %.5s ✎ 镇扶贫办同意%s“%s”延期至%.10s "
				       "%.5s：部分村民小组公示期间收到群众异议\n",
				    when + 5, when + 11, v->name, "第三阶段",
				    until, until + 11);
			else
				printf("  ! EXTEND %s: %s\n", v->id,
				    answer_str(a, "message"));
		}
		json_decref(a);
	}

	/* When each side gets moving. */
	village_day = township_day = DAY_NEVER;
	if (strcmp(kind, "reminder") == 0) {
		township_day = today + 1;
		if (v->pace == PACE_ON_TIME ||
		    (v->pace == PACE_SLOW && due - fired <= 86400))
			village_day = today + 1;
	} else if (strcmp(kind, "escalation") == 0 && level >= 2) {
		township_day = today;
		village_day = v->pace == PACE_VERY_LATE ? today + 1 : today;
	} else {
		/* overdue, the first escalation rung, a digest */
		township_day = today;
		if (v->pace != PACE_VERY_LATE)
			village_day = today;
	}

	ids = xcalloc(nids ? nids : 1, sizeof(*ids));
	for (size_t i = 0; i < nids; i++)
		ids[i] = json_string_value(json_array_get(households, i));
	qsort(ids, nids, sizeof(*ids), id_cmp);
	for (size_t i = 0; i < s->ncases; i++) {
		struct kase *k = &s->cases[i];
		int to = k->by_village ? village_day : township_day;

		if (k->village != (int)vi || k->day == DAY_NEVER ||
		    k->day <= to || to == DAY_NEVER ||
		    !deadline_binds(k->wf, deadline))
			continue;
		if (k->household >= 0) {
			const char *hid = s->households[k->household].id;

			if (bsearch(&hid, ids, nids, sizeof(*ids), id_cmp) ==
			    NULL)
				continue;
		}
		k->day = max_int(to, k->earliest);
		moved++;
	}
	free(ids);
	if (moved > 0 && !s->quiet) {
		char when[ISO_BUFSIZE];

		iso_format(s->start + (int64_t)today * 86400,
		    ISO_SHANGHAI_OFFSET, when, sizeof(when));
		printf("  %.5s %.5s ↳ %s：收到%s后提前办理%d项\n", when + 5,
		    when + 11, v->name, strcmp(kind, "reminder") == 0 ? "提醒" :
		    strcmp(kind, "escalation") == 0 ? (level >= 3 ? "通报" :
		    "督办") : strcmp(kind, "digest") == 0 ? "每日汇总" :
		    "逾期通知", moved);
	}
	return moved;
}
